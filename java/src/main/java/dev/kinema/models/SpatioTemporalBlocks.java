package dev.kinema.models;

import dev.kinema.DType;
import dev.kinema.Tensor;
import dev.kinema.graph.Value;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stable Video Diffusion's spatio-temporal layers (Video LDM style learned temporal mixing) as graph
 * nodes over channels-last [B, F, H, W, C], module for module (key for key) with diffusers:
 * SpatioTemporalResBlock (spatial_res_block, temporal_res_block, time_mixer), TemporalResnetBlock,
 * AlphaBlender, TemporalBasicTransformerBlock and TransformerSpatioTemporalModel.
 *
 * <p>diffusers folds frames into the batch ([(b f), C, H, W], b-major) and permutes to [(b s), f, C]
 * for the temporal layers; here frames keep their axis, so the 2D layers are per-frame ops (GroupNorm
 * per_frame, conv_spatial, attention kv_frames=same), the temporal ones run along F in place
 * (conv_temporal, temporal_attention, GroupNorm over the clip), and no permute is materialized.
 *
 * <p>AlphaBlender "learned_with_images": alpha = where(image_only_indicator, 1, sigmoid(mix_factor))
 * per (b, f). With no image-only frame that is the one learned scalar of the alpha_blend op (mode
 * learned, mix = the mix_factor weight). With image-only frames alpha varies per (b, f), which
 * alpha_blend (one scalar mix) cannot express and no graph op selects; but the indicator is a host
 * input and alpha is B*F numbers, so the host computes alpha and 1 - alpha (graph inputs
 * [B, F, 1, 1, 1], see {@link #alphaInputs}) and the blend is mul(x_spatial, alpha) +
 * mul(x_temporal, 1 - alpha) by broadcasting, the same expression as diffusers': an image-only frame
 * (alpha exactly 1, 1 - alpha exactly 0) takes its spatial result bit for bit.
 */
final class SpatioTemporalBlocks {
    /** eps of every GroupNorm in the block (diffusers: eps=1e-6 throughout, temporal_eps unset). */
    static final double EPS = 1e-6;
    /** nn.LayerNorm's default eps, which the transformer blocks keep. */
    private static final double LAYER_NORM_EPS = 1e-5;

    private final Blocks b;
    private final Transformers t;
    private final UnetParts parts;
    private final boolean withImages;
    private final Map<String, Value[]> alphas = new LinkedHashMap<>();

    /** withImages: the mixers take per-(b, f) alphas from graph inputs instead of alpha_blend. */
    SpatioTemporalBlocks(Blocks b, boolean withImages) {
        this.b = b;
        this.t = new Transformers(b);
        this.parts = new UnetParts(b, SpatioTemporalBlockConfig.GROUPS, EPS);
        this.withImages = withImages;
    }

    /**
     * The graph inputs the mixers declared (withImages only): input name -> the mix_factor key whose
     * sigmoid it carries; "*.alpha" takes alpha, "*.one_minus_alpha" 1 - alpha, each [B, F, 1, 1, 1].
     */
    Map<String, String> alphaInputs() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : alphas.keySet()) {
            out.put(p + ".alpha", p + ".mix_factor");
            out.put(p + ".one_minus_alpha", p + ".mix_factor");
        }
        return out;
    }

    /**
     * SpatioTemporalResBlock `p`: h = spatial_res_block(x, temb) (ResnetBlock2D per frame);
     * time_mixer(h, temporal_res_block(h, temb)). embAct is silu(temb) [B, F, temb_channels].
     */
    Value resBlock(String p, Value x, int out, Value embAct) {
        Value h = parts.resnet(p + ".spatial_res_block", x, out, embAct, 1.0);
        Value m = temporalResnet(p + ".temporal_res_block", h, embAct);
        return alphaBlend(p + ".time_mixer", h, m);
    }

    /**
     * TemporalResnetBlock `p` (in = out channels): x + conv2(silu(norm2(conv1(silu(norm1(x))) +
     * time_emb_proj(silu(temb))))), the norms over the whole clip, the convs (3, 1, 1).
     */
    Value temporalResnet(String p, Value x, Value embAct) {
        long c = Blocks.last(x);
        int groups = SpatioTemporalBlockConfig.GROUPS;
        Value h = b.conv3x1x1(p + ".conv1", b.groupNorm(p + ".norm1", x, groups, EPS, false, true), c, null);
        h = b.addPerSample(p + ".time_emb_add", h, b.linear(p + ".time_emb_proj", embAct, c));
        return b.conv3x1x1(p + ".conv2", b.groupNorm(p + ".norm2", h, groups, EPS, false, true), c, x);
    }

    /**
     * TransformerSpatioTemporalModel `p` on x [B, F, H, W, C]: GroupNorm per frame, proj_in; per layer
     * a spatial BasicTransformerBlock (cross-attention to each frame's own encoder states, context
     * [B, F, L, D]), a TemporalBasicTransformerBlock on x + the frame embedding (cross-attention to
     * frame 0's states, firstContext [B, L, D]) and the time_mixer; proj_out, plus x.
     */
    Value transformer(String p, Value x, Value context, Value firstContext, int layers, int heads, int headDim) {
        long channels = Blocks.last(x), inner = (long) heads * headDim;
        Value n = b.groupNorm(p + ".norm", x, SpatioTemporalBlockConfig.GROUPS, EPS, true, false);
        Value h = b.linear(p + ".proj_in", n, inner);
        Value frameEmb = framePositions(p + ".time_pos_embed", x.dim(0), x.dim(1), (int) channels);
        for (int i = 0; i < layers; i++) {
            h = t.basicBlock(p + ".transformer_blocks." + i, h, context, Transformers.Kind.SPATIAL, "same", heads,
                    headDim, false);
            Value m = b.addPerSample(p + ".time_pos_embed.add", h, frameEmb);
            m = temporalBlock(p + ".temporal_transformer_blocks." + i, m, firstContext, heads, headDim);
            h = alphaBlend(p + ".time_mixer", h, m);
        }
        return b.linear(p + ".proj_out", h, channels, true, "none", x);
    }

    /**
     * TemporalBasicTransformerBlock `p` (time_mix_inner_dim = dim, so every residual is kept):
     * x = ff_in(norm_in(x)) + x, then self-attention over the frames of each position, cross-attention
     * to context [B, L, D] (every query of video b attends to the same L tokens, so kv_frames=context
     * is diffusers' time_context broadcast to every position exactly) and ff, as BasicTransformerBlock.
     */
    Value temporalBlock(String p, Value x, Value context, int heads, int headDim) {
        long dim = Blocks.last(x);
        Value n = b.layerNorm(p + ".norm_in", x, LAYER_NORM_EPS, true);
        Value f = b.linear(p + ".ff_in.net.0.proj", n, 8 * dim, true, "geglu", null);
        Value h = b.linear(p + ".ff_in.net.2", f, dim, true, "none", x);
        return t.basicBlock(p, h, context, Transformers.Kind.TEMPORAL, null, heads, headDim, false);
    }

    /**
     * time_pos_embed(time_proj(frame index)): the sinusoid of each frame's index (dim channels, cos
     * first, shift 0) through linear_1, SiLU, linear_2, as [B, F, channels] (the index repeated per
     * video, as diffusers does, so the add broadcasts as [B, F, 1, 1, C]).
     */
    private Value framePositions(String p, long batch, long frames, int channels) {
        Tensor index = b.weights.constant("frame_index@" + batch + "x" + frames, () -> {
            float[] v = new float[(int) (batch * frames)];
            for (int i = 0; i < v.length; i++) {
                v[i] = i % frames;
            }
            return Tensor.hostFromFloats(DType.F32, v, v.length);
        });
        Value tProj = b.op(p + ".time_proj", "timestep_embedding",
                Map.of("dim", channels, "flip_sin_to_cos", true, "downscale_freq_shift", 0.0),
                "t", b.g.weight(b.name("frame_index"), index));
        Value e = b.linear(p + ".linear_1", tProj, 4L * channels, true, "silu", null);
        e = b.linear(p + ".linear_2", e, channels);
        return b.view(p, e, batch, frames, channels);
    }

    /** AlphaBlender `p` (learned_with_images): alpha * spatial + (1 - alpha) * temporal; see the class note. */
    Value alphaBlend(String p, Value spatial, Value temporal) {
        if (!withImages) {
            return b.op(p, "alpha_blend", Map.of("mode", "learned"), "x_spatial", spatial, "x_temporal", temporal,
                    "mix", b.weight(p + ".mix_factor", 1));
        }
        Value[] a = alphas.computeIfAbsent(p, k -> new Value[] {
                b.g.input(k + ".alpha", DType.F32, spatial.dim(0), spatial.dim(1), 1, 1, 1),
                b.g.input(k + ".one_minus_alpha", DType.F32, spatial.dim(0), spatial.dim(1), 1, 1, 1)});
        Value s = b.op(p + ".spatial", "mul", Map.of(), "x", spatial, "z", a[0]);
        Value m = b.op(p + ".temporal", "mul", Map.of(), "x", temporal, "z", a[1]);
        return b.op(p, "add", Map.of(), "x", s, "z", m);
    }
}
