package dev.kinema.models;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' UNetMotionModel config (AnimateDiff: a Stable Diffusion 2D U-Net with motion modules
 * after each spatial layer), read from a UNetMotionModel config.json or assembled, as diffusers'
 * UNetMotionModel.from_unet2d does, from a UNet2DConditionModel config and a MotionAdapter config.
 */
public record MotionUnetConfig(int inChannels, int outChannels, List<String> downBlockTypes, List<String> upBlockTypes,
                               int[] blockOutChannels, int layersPerBlock, int[] numAttentionHeads,
                               int crossAttentionDim, int normNumGroups, double normEps, double midBlockScaleFactor,
                               boolean useLinearProjection, int motionMaxSeqLength, int[] motionNumAttentionHeads) {
    public static final String CLASS_NAME = "UNetMotionModel";
    public static final String UNET2D_CLASS_NAME = "UNet2DConditionModel";
    public static final String ADAPTER_CLASS_NAME = "MotionAdapter";

    /** A UNetMotionModel config.json. */
    public static MotionUnetConfig read(ConfigReader c) {
        List<String> down = c.strings("down_block_types", List.of("CrossAttnDownBlockMotion",
                "CrossAttnDownBlockMotion", "CrossAttnDownBlockMotion", "DownBlockMotion"));
        int n = down.size();
        MotionUnetConfig cfg = common(c, down, c.strings("up_block_types", List.of("UpBlockMotion",
                        "CrossAttnUpBlockMotion", "CrossAttnUpBlockMotion", "CrossAttnUpBlockMotion")),
                c.ints("num_attention_heads", n, c.ints("attention_head_dim", n, fill(n, 8))),
                c.integer("motion_max_seq_length", 32), c.ints("motion_num_attention_heads", n, fill(n, 8)));
        c.require(c.bool("use_motion_mid_block", true), "use_motion_mid_block", "true", false);
        for (String f : List.of("transformer_layers_per_block", "temporal_transformer_layers_per_block",
                "mid_block_layers", "temporal_transformer_layers_per_mid_block")) {
            c.require(c.ints(f, n, fill(n, 1)).length == n && allOnes(c.ints(f, n, fill(n, 1))), f, "1", "another value");
        }
        return cfg;
    }

    /** A UNet2DConditionModel config plus the MotionAdapter config whose modules go into it. */
    public static MotionUnetConfig fromUnet2d(ConfigReader unet, ConfigReader adapter) {
        List<String> down2d = unet.strings("down_block_types", List.of("CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                "CrossAttnDownBlock2D", "DownBlock2D"));
        List<String> up2d = unet.strings("up_block_types", List.of("UpBlock2D", "CrossAttnUpBlock2D",
                "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"));
        int n = down2d.size();
        List<String> down = new ArrayList<>(), up = new ArrayList<>();
        down2d.forEach(t -> down.add(t.replace("2D", "Motion")));
        up2d.forEach(t -> up.add(t.replace("2D", "Motion")));
        // diffusers: num_attention_heads = num_attention_heads or attention_head_dim (SD's misnomer)
        int[] heads = unet.has("num_attention_heads") ? unet.ints("num_attention_heads", n, null)
                : unet.ints("attention_head_dim", n, fill(n, 8));
        MotionUnetConfig cfg = common(unet, down, up, heads, adapter.integer("motion_max_seq_length", 32),
                adapter.ints("motion_num_attention_heads", n, fill(n, 8)));
        adapter.require(java.util.Arrays.equals(adapter.ints("block_out_channels", n, null), cfg.blockOutChannels),
                "block_out_channels", java.util.Arrays.toString(cfg.blockOutChannels) + " (the U-Net's)",
                java.util.Arrays.toString(adapter.ints("block_out_channels", n, null)));
        adapter.require(adapter.integer("motion_layers_per_block", 2) == cfg.layersPerBlock, "motion_layers_per_block",
                cfg.layersPerBlock + " (the U-Net's layers_per_block)", adapter.integer("motion_layers_per_block", 2));
        adapter.require(adapter.integer("motion_norm_num_groups", 32) == cfg.normNumGroups, "motion_norm_num_groups",
                cfg.normNumGroups + " (the U-Net's norm_num_groups)", adapter.integer("motion_norm_num_groups", 32));
        adapter.require(adapter.bool("use_motion_mid_block", true), "use_motion_mid_block", "true", false);
        adapter.require(!adapter.has("conv_in_channels"), "conv_in_channels", "null (no extra conv_in)", "set");
        String mid = unet.string("mid_block_type", "UNetMidBlock2DCrossAttn");
        unet.require(mid.equals("UNetMidBlock2DCrossAttn"), "mid_block_type", "UNetMidBlock2DCrossAttn", mid);
        return cfg;
    }

    private static MotionUnetConfig common(ConfigReader c, List<String> down, List<String> up, int[] heads, int maxSeq,
                                           int[] motionHeads) {
        int n = down.size();
        int[] channels = c.ints("block_out_channels", n, new int[] {320, 640, 1280, 1280});
        MotionUnetConfig cfg = new MotionUnetConfig(c.integer("in_channels", 4), c.integer("out_channels", 4), down, up,
                channels, c.integer("layers_per_block", 2), heads, c.integer("cross_attention_dim", 1280),
                c.integer("norm_num_groups", 32), c.number("norm_eps", 1e-5), c.number("mid_block_scale_factor", 1.0),
                c.bool("use_linear_projection", false), maxSeq, motionHeads);
        c.require(c.string("act_fn", "silu").equals("silu"), "act_fn", "\"silu\"", c.string("act_fn", "silu"));
        c.require(c.integer("downsample_padding", 1) == 1, "downsample_padding", "1", c.integer("downsample_padding", 1));
        for (String f : List.of("time_cond_proj_dim", "encoder_hid_dim_type", "addition_embed_type", "class_embed_type")) {
            c.require(!c.has(f), f, "null (not supported)", "set");
        }
        c.require(channels.length == n && up.size() == n && heads.length == n && motionHeads.length == n,
                "block_out_channels", n + " levels like down_block_types, up_block_types and the head counts",
                channels.length + "/" + up.size() + "/" + heads.length + "/" + motionHeads.length);
        c.require(maxSeq >= 1, "motion_max_seq_length", ">= 1", maxSeq);
        c.require(cfg.normNumGroups >= 1, "norm_num_groups", ">= 1", cfg.normNumGroups);
        for (int i = 0; i < n; i++) {
            c.require(channels[i] >= 1, "block_out_channels[" + i + "]", ">= 1", channels[i]);
            String d = down.get(i), u = up.get(i);
            c.require(d.equals("CrossAttnDownBlockMotion") || d.equals("DownBlockMotion"), "down_block_types[" + i + "]",
                    "CrossAttnDownBlock{Motion,2D} or DownBlock{Motion,2D}", d);
            c.require(u.equals("CrossAttnUpBlockMotion") || u.equals("UpBlockMotion"), "up_block_types[" + i + "]",
                    "CrossAttnUpBlock{Motion,2D} or UpBlock{Motion,2D}", u);
            c.require(channels[i] % cfg.normNumGroups == 0, "block_out_channels[" + i + "]",
                    "a multiple of norm_num_groups " + cfg.normNumGroups, channels[i]);
            c.require(heads[i] >= 1 && channels[i] % heads[i] == 0, "num_attention_heads[" + i + "]",
                    "a divisor of " + channels[i], heads[i]);
            c.require(motionHeads[i] >= 1 && channels[i] % motionHeads[i] == 0, "motion_num_attention_heads[" + i + "]",
                    "a divisor of " + channels[i], motionHeads[i]);
        }
        c.require(cfg.layersPerBlock >= 1 && cfg.layersPerBlock <= ConfigReader.MAX_LAYERS, "layers_per_block",
                "1.." + ConfigReader.MAX_LAYERS, cfg.layersPerBlock);
        return cfg;
    }

    private static int[] fill(int n, int v) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static boolean allOnes(int[] a) {
        for (int v : a) {
            if (v != 1) {
                return false;
            }
        }
        return true;
    }

    int timeEmbedDim() {
        return 4 * blockOutChannels[0];
    }

    int spatialMultiple() {
        return 1 << (blockOutChannels.length - 1);
    }
}
