package dev.kinema.models;

import dev.kinema.graph.Value;


/**
 * The forward pass of diffusers' UNet3DConditionModel as a graph, module for module (key for key):
 * time_proj + time_embedding, conv_in, transformer_in, down blocks (resnet -> temp_conv ->
 * spatial transformer -> temporal transformer per layer, then a stride-2 conv), the mid block, up
 * blocks (skip states concatenated after the hidden states, nearest x2 + conv), conv_norm_out (GroupNorm
 * + SiLU) and conv_out. Frames stay in their own axis: every 2D layer of diffusers (frames folded into
 * the batch) is a per-frame op here (GroupNorm per_frame, conv_spatial, attention per frame), and the
 * encoder_hidden_states and time embedding that diffusers repeats per frame are read once per sample.
 *
 * <p>Head counts follow diffusers exactly: attention_head_dim a gives a block of C channels C / a heads
 * of a dims; transformer_in has 8 heads of a dims.
 */
final class Unet3dGraph {
    private final Unet3dConfig cfg;
    private final Blocks b;
    private final Transformers t;
    private final UnetParts parts;
    private final String spatialKv;

    Unet3dGraph(Unet3dConfig cfg, Blocks b, String spatialKvFrames) {
        this.cfg = cfg;
        this.b = b;
        this.t = new Transformers(b);
        this.parts = new UnetParts(b, cfg.normNumGroups(), cfg.normEps());
        this.spatialKv = spatialKvFrames;
    }

    /**
     * sample [B,T,H,W,in_channels] channels-last, timestep [B], context [B,L,cross_attention_dim] ->
     * [B,T,H,W,out_channels].
     */
    Value forward(Value sample, Value timestep, Value context) {
        int[] ch = cfg.blockOutChannels();
        int groups = cfg.normNumGroups(), a = cfg.attentionHeadDim();
        Value embAct = parts.timeEmbedding(timestep, ch[0], cfg.timeEmbedDim());
        Value h = b.conv2d("conv_in", sample, ch[0], 3, 1, null);
        h = t.transformerTemporal("transformer_in", h, 8, a, groups);
        h = parts.skeleton(h, ch, cfg.layersPerBlock(),
                (p, i, l, x, out) -> layer(p, l, x, out, embAct, cross(cfg.downBlockTypes(), i) ? context : null),
                x -> mid(x, embAct, context),
                (p, i, l, x, out) -> layer(p, l, x, out, embAct, cross(cfg.upBlockTypes(), i) ? context : null));
        return parts.output(h, cfg.outChannels());
    }

    private static boolean cross(java.util.List<String> types, int level) {
        return types.get(level).startsWith("CrossAttn");
    }

    /** UNetMidBlock3DCrossAttn: resnet, temp_conv, then (transformer, temporal transformer, resnet, temp_conv). */
    private Value mid(Value x, Value embAct, Value context) {
        int top = (int) Blocks.last(x), a = cfg.attentionHeadDim(), groups = cfg.normNumGroups();
        double scale = cfg.midBlockScaleFactor();
        Value h = parts.resnet("mid_block.resnets.0", x, top, embAct, scale);
        h = temporalConv("mid_block.temp_convs.0", h);
        h = t.transformer2d("mid_block.attentions.0", h, context, top / a, a, groups, spatialKv, true);
        h = t.transformerTemporal("mid_block.temp_attentions.0", h, top / a, a, groups);
        h = parts.resnet("mid_block.resnets.1", h, top, embAct, scale);
        return temporalConv("mid_block.temp_convs.1", h);
    }

    /** One layer of a down/up block: resnet, temp_conv, and with context the two transformers. */
    private Value layer(String block, int l, Value x, int out, Value embAct, Value context) {
        Value h = parts.resnet(block + ".resnets." + l, x, out, embAct, 1.0);
        h = temporalConv(block + ".temp_convs." + l, h);
        if (context != null) {
            int heads = out / cfg.attentionHeadDim();
            h = t.transformer2d(block + ".attentions." + l, h, context, heads, cfg.attentionHeadDim(),
                    cfg.normNumGroups(), spatialKv, true);
            h = t.transformerTemporal(block + ".temp_attentions." + l, h, heads, cfg.attentionHeadDim(),
                    cfg.normNumGroups());
        }
        return h;
    }

    /**
     * TemporalConvLayer `p` (ModelScope temp_convs): x + conv4(conv3(conv2(conv1(x)))), each stage a
     * GroupNorm over the clip (eps 1e-5), SiLU and a (3,1,1) conv; the Sequential keys are conv1.0 /
     * conv1.2 and convK.0 / convK.3 (a Dropout sits at index 2 of conv2..conv4).
     */
    private Value temporalConv(String p, Value x) {
        long c = Blocks.last(x);
        int groups = cfg.normNumGroups();
        Value h = b.conv3x1x1(p + ".conv1.2", b.groupNorm(p + ".conv1.0", x, groups, 1e-5, false, true), c, null);
        for (int k = 2; k <= 4; k++) {
            String s = p + ".conv" + k;
            h = b.conv3x1x1(s + ".3", b.groupNorm(s + ".0", h, groups, 1e-5, false, true), c, k == 4 ? x : null);
        }
        return h;
    }
}
