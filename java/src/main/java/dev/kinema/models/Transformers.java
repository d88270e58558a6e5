package dev.kinema.models;

import dev.kinema.graph.Value;

import java.util.Map;

/**
 * diffusers' attention layers as graph nodes: Attention (to_q, to_k, to_v, to_out.0),
 * BasicTransformerBlock with norm_type "layer_norm", Transformer2DModel and TransformerTemporalModel.
 * Activations are channels-last [B, T, H, W, C]; a spatial attention sees each frame's H*W tokens, a
 * temporal one each position's T frames, and no permute is ever materialized: the attention ops read
 * the layouts the linears write.
 */
final class Transformers {
    /** What an attention layer attends over. */
    enum Kind {
        /** The tokens of frames (attention op; which frames by kv_frames). */
        SPATIAL,
        /** The frames of each position (temporal_attention op). */
        TEMPORAL,
        /**
         * A context sequence [B, L, D] shared by every frame (attention op, kv_frames=context), or one
         * per frame [B, F, L, D] (kv_frames=same: frame t attends to its own L tokens).
         */
        CROSS
    }

    private final Blocks b;

    Transformers(Blocks b) {
        this.b = b;
    }

    /**
     * diffusers Attention `prefix` on x [B,T,H,W,C] (already normalized): softmax(q k^T / sqrt(D)) v
     * with q from x and k, v from context (CROSS) or x, then to_out.0 plus residual.
     */
    Value attention(String prefix, Value x, Value context, Kind kind, String kvFrames, int heads, int headDim,
                    boolean qkvBias, Value residual) {
        Value y = attentionCore(prefix, x, context, kind, kvFrames, heads, headDim, qkvBias);
        return b.linear(prefix + ".to_out.0", y, Blocks.last(x), true, "none", residual);
    }

    /** The attention of `prefix` before its output projection: [B,T,H,W,heads*headDim]. */
    Value attentionCore(String prefix, Value x, Value context, Kind kind, String kvFrames, int heads, int headDim,
                        boolean qkvBias) {
        long batch = x.dim(0), frames = x.dim(1), height = x.dim(2), width = x.dim(3);
        long inner = (long) heads * headDim;
        Value source = kind == Kind.CROSS ? context : x;
        Value q = b.linear(prefix + ".to_q", x, inner, qkvBias, "none", null);
        Value k = b.linear(prefix + ".to_k", source, inner, qkvBias, "none", null);
        Value v = b.linear(prefix + ".to_v", source, inner, qkvBias, "none", null);
        Value y;
        if (kind == Kind.TEMPORAL) {
            y = b.op(prefix, "temporal_attention", Map.of("heads", heads, "Tmax", frames), "q", q, "k", k, "v", v);
        } else {
            long[] qShape = {batch, frames, height * width, heads, headDim};
            Value qh = b.view(prefix + ".q", q, qShape);
            Value kh, vh;
            String mode;
            if (kind == Kind.CROSS) {
                boolean perFrame = context.rank() == 4;
                long[] kvShape = perFrame ? new long[] {context.dim(0), context.dim(1), context.dim(2), heads, headDim}
                        : new long[] {context.dim(0), context.dim(1), heads, headDim};
                kh = b.view(prefix + ".k", k, kvShape);
                vh = b.view(prefix + ".v", v, kvShape);
                mode = perFrame ? "same" : "context";
            } else {
                kh = b.view(prefix + ".k", k, qShape);
                vh = b.view(prefix + ".v", v, qShape);
                mode = kvFrames;
            }
            y = b.view(prefix + ".y", b.op(prefix, "attention", Map.of("kv_frames", mode), "q", qh, "k", kh, "v", vh),
                    batch, frames, height, width, inner);
        }
        return y;
    }

    /**
     * BasicTransformerBlock `prefix` (norm_type layer_norm, GEGLU feed-forward of 4x width):
     * x = attn1(norm1(x)) + x; x = attn2(norm2(x), context) + x (a second self-attention of the same
     * kind when doubleSelf, none when context is null and not doubleSelf); x = ff(norm3(x)) + x.
     */
    Value basicBlock(String prefix, Value x, Value context, Kind kind, String kvFrames, int heads, int headDim,
                     boolean doubleSelf) {
        return basicBlock(prefix, x, context, kind, kvFrames, heads, headDim, doubleSelf, null);
    }

    /**
     * The same block with positional_embeddings: posEmbed (shaped like x's trailing dims) is added to
     * the normalized states before attn1 and attn2, as diffusers' SinusoidalPositionalEmbedding does.
     */
    Value basicBlock(String prefix, Value x, Value context, Kind kind, String kvFrames, int heads, int headDim,
                     boolean doubleSelf, Value posEmbed) {
        final double eps = 1e-5;
        long channels = Blocks.last(x);
        Value n1 = withPosition(prefix + ".pos_embed#1", b.layerNorm(prefix + ".norm1", x, eps, true), posEmbed);
        Value h = attention(prefix + ".attn1", n1, null, kind, kvFrames, heads, headDim, false, x);
        if (doubleSelf || context != null) {
            Value n2 = withPosition(prefix + ".pos_embed#2", b.layerNorm(prefix + ".norm2", h, eps, true), posEmbed);
            h = doubleSelf ? attention(prefix + ".attn2", n2, null, kind, "same", heads, headDim, false, h)
                    : attention(prefix + ".attn2", n2, context, Kind.CROSS, null, heads, headDim, false, h);
        }
        Value n3 = b.layerNorm(prefix + ".norm3", h, eps, true);
        Value f = b.linear(prefix + ".ff.net.0.proj", n3, 8 * channels, true, "geglu", null);
        return b.linear(prefix + ".ff.net.2", f, channels, true, "none", h);
    }

    /**
     * Transformer2DModel `prefix` (continuous input, one block): GroupNorm(eps 1e-6) per frame,
     * proj_in, the block with spatial self-attention over kv_frames and cross-attention to context,
     * proj_out, plus x. linearProjection: proj_in/proj_out are Linear, else 1x1 Conv2d.
     */
    Value transformer2d(String prefix, Value x, Value context, int heads, int headDim, int groups, String kvFrames,
                        boolean linearProjection) {
        long channels = Blocks.last(x), inner = (long) heads * headDim;
        Value n = b.groupNorm(prefix + ".norm", x, groups, 1e-6, true, false);
        Value h = projection(prefix + ".proj_in", n, inner, null, linearProjection);
        h = basicBlock(prefix + ".transformer_blocks.0", h, context, Kind.SPATIAL, kvFrames, heads, headDim, false);
        return projection(prefix + ".proj_out", h, channels, x, linearProjection);
    }

    /**
     * TransformerTemporalModel `prefix` (one block, double self-attention over frames, no position
     * embedding): GroupNorm(eps 1e-6) over the whole clip, proj_in, the block, proj_out, plus x.
     */
    Value transformerTemporal(String prefix, Value x, int heads, int headDim, int groups) {
        return transformerTemporal(prefix, x, heads, headDim, groups, null);
    }

    /** The same with its block's positional embedding (AnimateDiffTransformer3D): see basicBlock. */
    Value transformerTemporal(String prefix, Value x, int heads, int headDim, int groups, Value posEmbed) {
        long channels = Blocks.last(x), inner = (long) heads * headDim;
        Value n = b.groupNorm(prefix + ".norm", x, groups, 1e-6, false, false);
        Value h = b.linear(prefix + ".proj_in", n, inner);
        h = basicBlock(prefix + ".transformer_blocks.0", h, null, Kind.TEMPORAL, null, heads, headDim, true, posEmbed);
        return b.linear(prefix + ".proj_out", h, channels, true, "none", x);
    }

    private Value withPosition(String node, Value normed, Value posEmbed) {
        return posEmbed == null ? normed : b.op(node, "add", Map.of(), "x", normed, "z", posEmbed);
    }

    /** Linear, or a 1x1 Conv2d (weight [out, in, 1, 1]) run as the same linear. */
    private Value projection(String prefix, Value x, long out, Value residual, boolean linear) {
        if (linear) {
            return b.linear(prefix, x, out, true, "none", residual);
        }
        return b.linearFromConv1x1(prefix, x, out, residual);
    }
}
