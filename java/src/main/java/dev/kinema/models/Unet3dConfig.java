package dev.kinema.models;

import java.util.List;

/**
 * diffusers' UNet3DConditionModel config (ModelScope text-to-video), read from its config.json with
 * diffusers' field names and defaults. Fields that change the network but are not supported here
 * (num_attention_heads, time_cond_proj_dim, another act_fn) are refused by name.
 */
public record Unet3dConfig(int inChannels, int outChannels, List<String> downBlockTypes, List<String> upBlockTypes,
                           int[] blockOutChannels, int layersPerBlock, int downsamplePadding,
                           double midBlockScaleFactor, int normNumGroups, double normEps, int crossAttentionDim,
                           int attentionHeadDim) {
    public static final String CLASS_NAME = "UNet3DConditionModel";

    public static Unet3dConfig read(ConfigReader c) {
        List<String> down = c.strings("down_block_types",
                List.of("CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "DownBlock3D"));
        List<String> up = c.strings("up_block_types",
                List.of("UpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D"));
        int[] channels = c.ints("block_out_channels", down.size(), new int[] {320, 640, 1280, 1280});
        Unet3dConfig cfg = new Unet3dConfig(c.integer("in_channels", 4), c.integer("out_channels", 4), down, up,
                channels, c.integer("layers_per_block", 2), c.integer("downsample_padding", 1),
                c.number("mid_block_scale_factor", 1.0), c.integer("norm_num_groups", 32), c.number("norm_eps", 1e-5),
                c.integer("cross_attention_dim", 1024), c.integer("attention_head_dim", 64));
        c.require(!c.has("num_attention_heads"), "num_attention_heads", "null (diffusers refuses it for this model)",
                c.string("num_attention_heads", "set"));
        c.require(!c.has("time_cond_proj_dim"), "time_cond_proj_dim", "null (LCM conditioning is not supported)", "set");
        c.require(c.string("act_fn", "silu").equals("silu"), "act_fn", "\"silu\"", c.string("act_fn", "silu"));
        cfg.check(c);
        return cfg;
    }

    private void check(ConfigReader c) {
        int n = blockOutChannels.length;
        c.require(n >= 1, "block_out_channels", "at least one level", n);
        c.require(downBlockTypes.size() == n, "down_block_types", n + " entries (one per block_out_channels)",
                downBlockTypes.size());
        c.require(upBlockTypes.size() == n, "up_block_types", n + " entries (one per block_out_channels)",
                upBlockTypes.size());
        // divisors first: the channel checks below take remainders by them
        c.require(normNumGroups >= 1, "norm_num_groups", ">= 1", normNumGroups);
        c.require(attentionHeadDim >= 1, "attention_head_dim", ">= 1", attentionHeadDim);
        for (int i = 0; i < n; i++) {
            String d = downBlockTypes.get(i), u = upBlockTypes.get(i);
            c.require(d.equals("CrossAttnDownBlock3D") || d.equals("DownBlock3D"), "down_block_types[" + i + "]",
                    "CrossAttnDownBlock3D or DownBlock3D", d);
            c.require(u.equals("CrossAttnUpBlock3D") || u.equals("UpBlock3D"), "up_block_types[" + i + "]",
                    "CrossAttnUpBlock3D or UpBlock3D", u);
            c.require(blockOutChannels[i] > 0 && blockOutChannels[i] % normNumGroups == 0, "block_out_channels[" + i + "]",
                    "a positive multiple of norm_num_groups " + normNumGroups, blockOutChannels[i]);
            c.require(blockOutChannels[i] % attentionHeadDim == 0, "block_out_channels[" + i + "]",
                    "a multiple of attention_head_dim " + attentionHeadDim, blockOutChannels[i]);
        }
        c.require(layersPerBlock >= 1 && layersPerBlock <= ConfigReader.MAX_LAYERS, "layers_per_block",
                "1.." + ConfigReader.MAX_LAYERS, layersPerBlock);
        c.require(downsamplePadding == 1, "downsample_padding", "1 (the 3x3 stride-2 conv with padding 1)",
                downsamplePadding);
        c.require(inChannels >= 1 && outChannels >= 1, "in_channels/out_channels", ">= 1", inChannels + "/" + outChannels);
        c.require(normEps > 0, "norm_eps", "> 0", normEps);
        c.require(midBlockScaleFactor > 0, "mid_block_scale_factor", "> 0", midBlockScaleFactor);
        c.require(crossAttentionDim >= 1, "cross_attention_dim", ">= 1", crossAttentionDim);
    }

    /** Channels of the time embedding: 4 x block_out_channels[0]. */
    int timeEmbedDim() {
        return 4 * blockOutChannels[0];
    }

    /** H and W must be multiples of this (2 to the number of downsamplers). */
    int spatialMultiple() {
        return 1 << (blockOutChannels.length - 1);
    }
}
