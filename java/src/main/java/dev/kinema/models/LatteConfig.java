package dev.kinema.models;

/**
 * diffusers' LatteTransformer3DModel config (a video DiT: alternating spatial and temporal transformer
 * blocks over patchified latents, adaLN-single on the timestep, cross-attention to a projected caption).
 * Only the Latte / PixArt combination diffusers ships is supported: norm_type ada_norm_single.
 */
public record LatteConfig(int inChannels, int outChannels, int numAttentionHeads, int attentionHeadDim, int numLayers,
                          int patchSize, int sampleSize, int captionChannels, int videoLength, boolean attentionBias,
                          String activationFn, double normEps, boolean normElementwiseAffine) {
    public static final String CLASS_NAME = "LatteTransformer3DModel";

    /** Far above any published DiT (Latte-XL: 1152); keeps heads x head dim an int. */
    static final long MAX_INNER_DIM = 1 << 16;

    public static LatteConfig read(ConfigReader c) {
        int in = c.integer("in_channels", 4);
        LatteConfig cfg = new LatteConfig(in, c.integer("out_channels", in), c.integer("num_attention_heads", 16),
                c.integer("attention_head_dim", 88), c.integer("num_layers", 1), c.integer("patch_size", 2),
                c.integer("sample_size", 64), c.integer("caption_channels", 4096), c.integer("video_length", 16),
                c.bool("attention_bias", false), c.string("activation_fn", "gelu-approximate"), c.number("norm_eps", 1e-5),
                c.bool("norm_elementwise_affine", true));
        String norm = c.string("norm_type", "layer_norm");
        c.require(norm.equals("ada_norm_single"), "norm_type", "\"ada_norm_single\" (Latte)", "\"" + norm + "\"");
        c.require(cfg.activationFn.equals("gelu-approximate") || cfg.activationFn.equals("gelu")
                || cfg.activationFn.equals("geglu"), "activation_fn", "gelu-approximate, gelu or geglu", cfg.activationFn);
        c.require(cfg.numAttentionHeads >= 1 && cfg.attentionHeadDim >= 1, "num_attention_heads/attention_head_dim",
                ">= 1", cfg.numAttentionHeads + "/" + cfg.attentionHeadDim);
        c.require((long) cfg.numAttentionHeads * cfg.attentionHeadDim <= MAX_INNER_DIM, "num_attention_heads/attention_head_dim",
                "an inner dim (heads x head dim) of at most " + MAX_INNER_DIM,
                (long) cfg.numAttentionHeads * cfg.attentionHeadDim);
        c.require(cfg.innerDim() % 2 == 0 && cfg.innerDim() % 4 == 0, "attention_head_dim",
                "an inner dim (heads x head dim) divisible by 4 (the 2D sincos table)", cfg.innerDim());
        c.require(cfg.patchSize >= 1, "patch_size", ">= 1", cfg.patchSize);
        c.require(cfg.sampleSize >= cfg.patchSize, "sample_size", ">= patch_size", cfg.sampleSize);
        c.require(cfg.numLayers >= 1 && cfg.numLayers <= ConfigReader.MAX_LAYERS, "num_layers",
                "1.." + ConfigReader.MAX_LAYERS, cfg.numLayers);
        c.require(cfg.videoLength >= 1, "video_length", ">= 1", cfg.videoLength);
        c.require(c.integer("cross_attention_dim", cfg.innerDim()) == cfg.innerDim(), "cross_attention_dim",
                "the inner dim " + cfg.innerDim() + " (the caption projection's width)", c.integer("cross_attention_dim", 0));
        c.require(!c.bool("use_additional_conditions", false), "use_additional_conditions", "false", true);
        return cfg;
    }

    int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    /** The 2D position table's base size (diffusers: sample_size // patch_size). */
    int baseSize() {
        return sampleSize / patchSize;
    }

    /** diffusers: max(sample_size // 64, 1). */
    int interpolationScale() {
        return Math.max(sampleSize / 64, 1);
    }
}
