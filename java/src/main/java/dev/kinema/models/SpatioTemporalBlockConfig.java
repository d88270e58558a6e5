package dev.kinema.models;

/**
 * The constructor arguments of diffusers' CrossAttnDownBlockSpatioTemporal (Stable Video Diffusion),
 * read from a config.json with diffusers' field names and defaults. What diffusers hard-codes inside
 * the block is fixed here too: 32 GroupNorm groups, eps 1e-6, both mixers "learned_with_images", a
 * transformer of num_attention_heads heads of out_channels / num_attention_heads dims on out_channels.
 * A downsampler (diffusers' default add_downsample=true) is refused by name: the block is run for its
 * spatio-temporal mixing, and its golden has none.
 */
public record SpatioTemporalBlockConfig(int inChannels, int outChannels, int tembChannels, int numLayers,
                                        int[] transformerLayersPerBlock, int numAttentionHeads,
                                        int crossAttentionDim) {
    public static final String CLASS_NAME = "CrossAttnDownBlockSpatioTemporal";

    /** GroupNorm groups of every norm in the block (hard-coded in diffusers). */
    static final int GROUPS = 32;

    public static SpatioTemporalBlockConfig read(ConfigReader c) {
        String name = c.string("_class_name", null);
        c.require(CLASS_NAME.equals(name), "_class_name", "\"" + CLASS_NAME + "\"", name);
        int layers = c.integer("num_layers", 1);
        // checked before transformer_layers_per_block's default array is sized by it
        c.require(layers >= 1 && layers <= ConfigReader.MAX_LAYERS, "num_layers", "1.." + ConfigReader.MAX_LAYERS, layers);
        SpatioTemporalBlockConfig cfg = new SpatioTemporalBlockConfig(c.integer("in_channels", 0),
                c.integer("out_channels", 0), c.integer("temb_channels", 0), layers,
                c.ints("transformer_layers_per_block", layers, repeat(1, layers)), c.integer("num_attention_heads", 1),
                c.integer("cross_attention_dim", 1280));
        c.require(!c.bool("add_downsample", true), "add_downsample",
                "false (the block is run without its Downsample2D)", true);
        cfg.check(c);
        return cfg;
    }

    private void check(ConfigReader c) {
        c.require(inChannels > 0 && inChannels % GROUPS == 0, "in_channels", "a positive multiple of " + GROUPS
                + " (diffusers' GroupNorm groups)", inChannels);
        c.require(outChannels > 0 && outChannels % GROUPS == 0, "out_channels", "a positive multiple of " + GROUPS
                + " (diffusers' GroupNorm groups)", outChannels);
        c.require(tembChannels >= 1, "temb_channels", ">= 1", tembChannels);
        c.require(numLayers >= 1, "num_layers", ">= 1", numLayers);
        c.require(transformerLayersPerBlock.length == numLayers, "transformer_layers_per_block",
                numLayers + " entries (one per layer)", transformerLayersPerBlock.length);
        for (int i = 0; i < numLayers; i++) {
            c.require(transformerLayersPerBlock[i] >= 1, "transformer_layers_per_block[" + i + "]", ">= 1",
                    transformerLayersPerBlock[i]);
        }
        c.require(numAttentionHeads >= 1 && outChannels % numAttentionHeads == 0, "num_attention_heads",
                "a divisor of out_channels " + outChannels + " (the frame embedding is added to heads x head_dim"
                        + " channels)", numAttentionHeads);
        c.require(crossAttentionDim >= 1, "cross_attention_dim", ">= 1", crossAttentionDim);
    }

    /** Dims of one attention head: out_channels / num_attention_heads. */
    int headDim() {
        return outChannels / numAttentionHeads;
    }

    private static int[] repeat(int v, int n) {
        int[] out = new int[Math.max(n, 0)];
        java.util.Arrays.fill(out, v);
        return out;
    }
}
