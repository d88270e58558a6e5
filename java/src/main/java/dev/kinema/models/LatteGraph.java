package dev.kinema.models;

import dev.kinema.Tensor;
import dev.kinema.graph.Value;

import java.util.Map;

/**
 * diffusers' LatteTransformer3DModel forward as a graph. Tokens stay [B, F, N, D] (frame-major, N
 * patches of a frame contiguous) for every block: a spatial block attends over each frame's N tokens,
 * a temporal block over each token's F frames (temporal_attention on the same layout viewed as
 * [B, F, N, 1, D]), so diffusers' permutes between the two never happen.
 *
 * <p>adaLN-single: the six [B, D] modulations of a block are table[j] + (W_j silu(e) + b_j), the j-th
 * slices of adaln_single.linear; each is one linear whose bias has the block's scale_shift_table row
 * folded in at load time. Gates and residuals go into the linears' epilogues (gate[b], residual).
 */
final class LatteGraph {
    private static final String[] CHUNKS = {"shift_msa", "scale_msa", "gate_msa", "shift_mlp", "scale_mlp", "gate_mlp"};

    private final LatteConfig cfg;
    private final Blocks b;
    private final Transformers t;

    LatteGraph(LatteConfig cfg, Blocks b) {
        this.cfg = cfg;
        this.b = b;
        this.t = new Transformers(b);
    }

    /** sample [B, F, H, W, C] channels-last, timestep [B], caption [B, L, caption_channels] -> [B, F, H, W, out]. */
    Value forward(Value sample, Value timestep, Value caption) {
        int d = cfg.innerDim(), p = cfg.patchSize();
        long batch = sample.dim(0), frames = sample.dim(1), height = sample.dim(2), width = sample.dim(3);
        long gh = height / p, gw = width / p, tokens = gh * gw;

        // pos_embed: the p x p stride-p conv is patchify + linear (weight reordered to the patch layout)
        Value patches = b.op("pos_embed.patchify", "patchify", Map.of("p", p), "x", sample);
        Value x = linearConst("pos_embed.proj", patches, patchWeight(), b.weight("pos_embed.proj.bias", d), null, null);
        x = b.op("pos_embed.add", "add", Map.of(), "x", x, "z", b.g.weight(b.name("pos_embed.pos_embed"),
                b.weights.constant("pos_embed.pos_embed@" + gh + "x" + gw, () -> Tensor.hostFromFloats(
                        SincosTables.table2d(d, (int) gh, (int) gw, cfg.baseSize(), cfg.interpolationScale()), tokens, d))));

        // adaln_single: e = timestep_embedder(proj(t)); the blocks modulate with linear(silu(e))
        Value tProj = b.op("adaln_single.emb.time_proj", "timestep_embedding",
                Map.of("dim", 256, "flip_sin_to_cos", true, "downscale_freq_shift", 0.0), "t", timestep);
        Value e = b.linear("adaln_single.emb.timestep_embedder.linear_1", tProj, d, true, "silu", null);
        e = b.linear("adaln_single.emb.timestep_embedder.linear_2", e, d);
        Value eAct = b.op("adaln_single.silu", "silu", Map.of(), "x", e);

        Value context = b.linear("caption_projection.linear_1", caption, d, true, "gelu_tanh", null);
        context = b.linear("caption_projection.linear_2", context, d);

        for (int i = 0; i < cfg.numLayers(); i++) {
            x = block("transformer_blocks." + i, x, eAct, context, Transformers.Kind.SPATIAL);
            if (i == 0 && frames > 1) {
                x = b.op("temp_pos_embed.add", "add", Map.of(), "x", x, "z", b.g.weight(b.name("temp_pos_embed"),
                        b.weights.constant("temp_pos_embed@" + frames + "x" + tokens, () -> temporalTable(frames, tokens))));
            }
            x = block("temporal_transformer_blocks." + i, x, eAct, null, Transformers.Kind.TEMPORAL);
        }

        // final layer: shift, scale = scale_shift_table + e; LayerNorm without affine; proj_out; unpatchify
        Value shift = b.op("norm_out.shift", "add", Map.of(), "x", e, "z", tableRow("scale_shift_table", 2, 0));
        Value scale = b.op("norm_out.scale", "add", Map.of(), "x", e, "z", tableRow("scale_shift_table", 2, 1));
        Value n = modulatedNorm("norm_out", x, 1e-6, false, shift, scale);
        Value out = b.linear("proj_out", n, (long) p * p * cfg.outChannels());
        return b.op("unpatchify", "unpatchify", Map.of("p", p, "H", height, "W", width), "x", out);
    }

    /** One ada_norm_single BasicTransformerBlock on tokens [B, F, N, D]. */
    private Value block(String prefix, Value x, Value eAct, Value context, Transformers.Kind kind) {
        int d = cfg.innerDim();
        Value[] m = new Value[6];
        for (int j = 0; j < 6; j++) {
            m[j] = modulation(prefix, j, eAct);
        }
        Value n1 = modulatedNorm(prefix + ".norm1", x, cfg.normEps(), cfg.normElementwiseAffine(), m[0], m[1]);
        Value attn = attention(prefix + ".attn1", n1, null, kind, m[2], x);
        if (context != null) {
            attn = attention(prefix + ".attn2", attn, context, Transformers.Kind.CROSS, null, attn);
        }
        Value n2 = modulatedNorm(prefix + ".norm2", attn, cfg.normEps(), cfg.normElementwiseAffine(), m[3], m[4]);
        String act = switch (cfg.activationFn()) {
            case "gelu" -> "gelu";
            case "geglu" -> "geglu";
            default -> "gelu_tanh";
        };
        long ffInner = 4L * d;
        Value f = b.linear(prefix + ".ff.net.0.proj", n2, act.equals("geglu") ? 2 * ffInner : ffInner, true, act, null);
        Value w2 = b.weight(prefix + ".ff.net.2.weight", d, ffInner);
        return linearConst(prefix + ".ff.net.2", f, w2, b.weight(prefix + ".ff.net.2.bias", d), m[5], attn);
    }

    /** Attention on tokens with the output projection's gate and residual fused (gate may be null). */
    private Value attention(String prefix, Value x, Value context, Transformers.Kind kind, Value gate, Value residual) {
        Value frames = b.view(prefix + ".frames", x, x.dim(0), x.dim(1), x.dim(2), 1, x.dim(3));
        Value out = t.attentionCore(prefix, frames, context, kind, "same", cfg.numAttentionHeads(), cfg.attentionHeadDim(),
                cfg.attentionBias());
        Value w = b.weight(prefix + ".to_out.0.weight", cfg.innerDim(), cfg.innerDim());
        Value y = linearConst(prefix + ".to_out.0", b.view(prefix + ".tokens", out, x.shape()), w,
                b.weight(prefix + ".to_out.0.bias", cfg.innerDim()), gate, residual);
        return y;
    }

    /** LayerNorm over D, then x (1 + scale[b]) + shift[b]. */
    private Value modulatedNorm(String prefix, Value x, double eps, boolean affine, Value shift, Value scale) {
        long batch = x.dim(0), d = Blocks.last(x);
        Value flat = b.view(prefix + ".x", x, batch, x.numel() / (batch * d), d);
        Value y = b.op(prefix, "layer_norm", Map.of("eps", eps), "x", flat,
                "gamma", affine ? b.weight(prefix + ".weight", d) : null, "beta", affine ? b.weight(prefix + ".bias", d) : null,
                "shift", shift, "scale", scale);
        return b.view(prefix + ".y", y, x.shape());
    }

    /** Block modulation j: table[j] + (silu(e) W_j^T + b_j), W_j / b_j the j-th D rows of adaln_single.linear. */
    private Value modulation(String prefix, int j, Value eAct) {
        int d = cfg.innerDim();
        String key = prefix + ".scale_shift_table";
        Tensor w = b.weights.constant("adaln_single.linear.weight#" + j, () -> rows("adaln_single.linear.weight", 6 * d, d, j));
        Tensor bias = b.weights.constant(key + "+adaln_single.linear.bias#" + j, () -> {
            float[] table = b.weights.get(key, 6, d).toFloats(), lb = b.weights.get("adaln_single.linear.bias", 6L * d).toFloats();
            float[] out = new float[d];
            for (int c = 0; c < d; c++) {
                out[c] = table[j * d + c] + lb[j * d + c];
            }
            return Tensor.hostFromFloats(out, d);
        });
        return b.op(prefix + "." + CHUNKS[j], "linear", Map.of("act", "none"), "x", eAct,
                "w", b.g.weight(b.name("adaln_single.linear.weight#" + j), w),
                "b", b.g.weight(b.name(key + "#" + j), bias));
    }

    /** Row `row` of a [rows, D] weight as a [D] constant. */
    private Value tableRow(String key, int rows, int row) {
        int d = cfg.innerDim();
        return b.g.weight(b.name(key + "#" + row), b.weights.constant(key + "#" + row,
                () -> Tensor.hostFromFloats(slice(b.weights.get(key, rows, d).toFloats(), row * d, d), d)));
    }

    /** Rows [j*D, (j+1)*D) of a [rows, cols] weight. */
    private Tensor rows(String key, int rowCount, int cols, int j) {
        int d = cfg.innerDim();
        return Tensor.hostFromFloats(slice(b.weights.get(key, rowCount, cols).toFloats(), (long) j * d * cols, d * cols), d, cols);
    }

    /** pos_embed.proj.weight [D, C, p, p] reordered to [D, (ph, pw, c)], the layout patchify writes. */
    private Value patchWeight() {
        int d = cfg.innerDim(), c = cfg.inChannels(), p = cfg.patchSize();
        Tensor w = b.weights.constant("pos_embed.proj.weight@patch", () -> {
            float[] src = b.weights.get("pos_embed.proj.weight", d, c, p, p).toFloats(), out = new float[src.length];
            for (int o = 0; o < d; o++) {
                for (int ci = 0; ci < c; ci++) {
                    for (int ph = 0; ph < p; ph++) {
                        for (int pw = 0; pw < p; pw++) {
                            out[((o * p + ph) * p + pw) * c + ci] = src[((o * c + ci) * p + ph) * p + pw];
                        }
                    }
                }
            }
            return Tensor.hostFromFloats(out, d, (long) p * p * c);
        });
        return b.g.weight(b.name("pos_embed.proj.weight"), w);
    }

    /** The temporal table [F, D] repeated over the N tokens of a frame: [F, N, D]. */
    private Tensor temporalTable(long frames, long tokens) {
        int d = cfg.innerDim();
        double[] pos = new double[cfg.videoLength()];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i;
        }
        double[][] table = SincosTables.table1d(d, pos);
        float[] out = new float[(int) (frames * tokens * d)];
        for (int f = 0; f < frames; f++) {
            for (int n = 0; n < tokens; n++) {
                for (int c = 0; c < d; c++) {
                    out[(int) (((long) f * tokens + n) * d + c)] = (float) table[f][c];
                }
            }
        }
        return Tensor.hostFromFloats(out, frames, tokens, d);
    }

    /**
     * A linear over tokens [B, ..., D] with a given weight value, optional gate [B, N'] (linear's gate
     * indexes x's first dim, so x goes in as [B, tokens, D]) and residual.
     */
    private Value linearConst(String prefix, Value x, Value w, Value bias, Value gate, Value residual) {
        long d = Blocks.last(x), out = w.dim(0), batch = x.dim(0);
        Value rows = b.view(prefix + ".x", x, batch, x.numel() / (batch * d), d);
        Value res = residual == null ? null : b.view(prefix + ".residual", residual, batch, residual.numel() / (batch * out), out);
        Value y = b.op(prefix, "linear", Map.of("act", "none"), "x", rows, "w", w, "b", bias, "gate", gate, "residual", res);
        long[] shape = x.shape().clone();
        shape[shape.length - 1] = out;
        return b.view(prefix, y, shape);
    }

    private static float[] slice(float[] a, long from, int count) {
        float[] out = new float[count];
        System.arraycopy(a, (int) from, out, 0, count);
        return out;
    }

}
