package dev.kinema.models;

import dev.kinema.Tensor;
import dev.kinema.graph.Value;


/**
 * diffusers' UNetMotionModel (AnimateDiff) forward as a graph: a Stable Diffusion 2D U-Net run per
 * frame (resnet -> spatial transformer per layer) with a motion module after each layer and in the
 * mid block (AnimateDiffTransformer3D: attention over frames at every position, its sinusoidal table
 * added to the normalized states before both self-attentions). Frames stay in their own axis, as in
 * Unet3dGraph.
 */
final class MotionUnetGraph {
    private final MotionUnetConfig cfg;
    private final Blocks b;
    private final Transformers t;
    private final UnetParts parts;
    private final String spatialKv;

    MotionUnetGraph(MotionUnetConfig cfg, Blocks b, String spatialKvFrames) {
        this.cfg = cfg;
        this.b = b;
        this.t = new Transformers(b);
        this.parts = new UnetParts(b, cfg.normNumGroups(), cfg.normEps());
        this.spatialKv = spatialKvFrames;
    }

    /** sample [B,T,H,W,in] channels-last, timestep [B], context [B,L,D] -> [B,T,H,W,out]. */
    Value forward(Value sample, Value timestep, Value context) {
        int[] ch = cfg.blockOutChannels(), heads = cfg.numAttentionHeads(), motionHeads = cfg.motionNumAttentionHeads();
        int n = ch.length;
        Value embAct = parts.timeEmbedding(timestep, ch[0], cfg.timeEmbedDim());
        Value h = b.conv2d("conv_in", sample, ch[0], 3, 1, null);
        h = parts.skeleton(h, ch, cfg.layersPerBlock(),
                (p, i, l, x, out) -> layer(p, l, x, out, embAct,
                        cfg.downBlockTypes().get(i).startsWith("CrossAttn") ? context : null, heads[i], motionHeads[i]),
                x -> mid(x, embAct, context),
                (p, i, l, x, out) -> layer(p, l, x, out, embAct,
                        cfg.upBlockTypes().get(i).startsWith("CrossAttn") ? context : null, heads[n - 1 - i],
                        motionHeads[n - 1 - i]));
        return parts.output(h, cfg.outChannels());
    }

    /** UNetMidBlockCrossAttnMotion: resnet, then (transformer, motion module, resnet). */
    private Value mid(Value x, Value embAct, Value context) {
        int top = (int) Blocks.last(x), n = cfg.blockOutChannels().length;
        Value h = parts.resnet("mid_block.resnets.0", x, top, embAct, cfg.midBlockScaleFactor());
        h = spatial("mid_block.attentions.0", h, context, cfg.numAttentionHeads()[n - 1]);
        h = motion("mid_block.motion_modules.0", h, cfg.motionNumAttentionHeads()[n - 1]);
        return parts.resnet("mid_block.resnets.1", h, top, embAct, cfg.midBlockScaleFactor());
    }

    private Value layer(String block, int l, Value x, int out, Value embAct, Value context, int heads, int motionHeads) {
        Value h = parts.resnet(block + ".resnets." + l, x, out, embAct, 1.0);
        if (context != null) {
            h = spatial(block + ".attentions." + l, h, context, heads);
        }
        return motion(block + ".motion_modules." + l, h, motionHeads);
    }

    private Value spatial(String prefix, Value x, Value context, int heads) {
        int c = (int) Blocks.last(x);
        return t.transformer2d(prefix, x, context, heads, c / heads, cfg.normNumGroups(), spatialKv,
                cfg.useLinearProjection());
    }

    /** A motion module: its checkpoint table pe [1, max_seq, C], the first F rows laid over [F, H, W, C]. */
    private Value motion(String prefix, Value x, int heads) {
        int c = (int) Blocks.last(x);
        long frames = x.dim(1), height = x.dim(2), width = x.dim(3);
        String key = prefix + ".transformer_blocks.0.pos_embed.pe";
        Tensor table = b.weights.constant(key + "@" + frames + "x" + height + "x" + width, () -> {
            float[] pe = b.weights.get(key, 1, cfg.motionMaxSeqLength(), c).toFloats();
            float[] out = new float[(int) (frames * height * width * c)];
            for (int f = 0; f < frames; f++) {
                for (long p = 0; p < height * width; p++) {
                    System.arraycopy(pe, f * c, out, (int) ((f * height * width + p) * c), c);
                }
            }
            return Tensor.hostFromFloats(out, frames, height, width, c);
        });
        Value pos = b.g.weight(b.name(key), table);
        return t.transformerTemporal(prefix, x, heads, c / heads, cfg.normNumGroups(), pos);
    }
}
