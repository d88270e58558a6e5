package dev.kinema.graph;

import dev.kinema.Broadcast;

import java.util.Arrays;

/**
 * The output shape of every OPS.md op from its input shapes and attributes, checked as the op itself
 * checks them (OPS.md and Kinema's choices in README.md). Only the primary output y is computed here:
 * ddim_step's second output x0 has y's shape, and every output has the primary input's dtype.
 */
final class ShapeInference {
    private ShapeInference() {
    }

    static long[] infer(NodeCheck c) {
        return switch (c.op) {
            case "conv_spatial" -> convSpatial(c);
            case "conv_temporal" -> conv(c, "[Co,Ci,3,1,1]", 3, 1, false);
            case "conv3d" -> conv(c, "[Co,Ci,kt,kh,kw] (each odd)", 0, 0, true);
            case "linear" -> linear(c);
            case "attention" -> FrameShapes.attention(c);
            case "temporal_attention" -> FrameShapes.temporalAttention(c);
            case "group_norm" -> groupNorm(c);
            case "layer_norm" -> layerNorm(c);
            case "ddim_step" -> sameAs(c, "x", "out_c", "out_u", "noise");
            case "alpha_blend" -> alphaBlend(c);
            case "timestep_embedding" -> FrameShapes.timestepEmbedding(c);
            case "upsample_nearest", "patchify", "unpatchify" -> FrameShapes.resample(c);
            case "add", "mul", "scale_add" -> broadcast(c);
            case "concat" -> concat(c);
            default -> c.shape("x").clone(); // silu, gelu
        };
    }

    private static long[] convSpatial(NodeCheck c) {
        long[] x = video(c, "x", "[B,T,H,W,Ci]");
        c.rank("w", 5, "[Co,Ci,1,k,k]");
        long[] w = c.shape("w");
        long k = w[3];
        if (w[1] != x[4] || w[2] != 1 || (k != 1 && k != 3) || w[4] != k) {
            throw c.fail("w", "shape [Co, " + x[4] + ", 1, k, k] with k in {1, 3} and Ci = x's last dimension",
                    NodeCheck.dims(w));
        }
        long stride = c.integer("stride", 1L);
        if (stride != 1 && stride != 2) {
            throw c.fail("stride", "1 or 2", Long.toString(stride));
        }
        if (x[2] < 1 || x[3] < 1) {
            throw c.fail("x", "H >= 1 and W >= 1 in [B,T,H,W,Ci]", NodeCheck.dims(x));
        }
        long pad = k / 2;
        long[] y = {x[0], x[1], (x[2] + 2 * pad - k) / stride + 1, (x[3] + 2 * pad - k) / stride + 1, w[0]};
        return biasAndResidual(c, y, w[0], "[B,T,H',W',Co]");
    }

    /** conv_temporal (kt = 3, kh = kw = 1) and conv3d (any odd kernel). */
    private static long[] conv(NodeCheck c, String wDims, long kt, long khw, boolean anyOdd) {
        long[] x = video(c, "x", "[B,T,H,W,Ci]");
        c.rank("w", 5, wDims);
        long[] w = c.shape("w");
        boolean kernelOk = anyOdd ? w[2] % 2 == 1 && w[3] % 2 == 1 && w[4] % 2 == 1
                : w[2] == kt && w[3] == khw && w[4] == khw;
        if (w[1] != x[4] || !kernelOk) {
            throw c.fail("w", "shape " + wDims + " with Ci = " + x[4] + " (x's last dimension)", NodeCheck.dims(w));
        }
        return biasAndResidual(c, new long[] {x[0], x[1], x[2], x[3], w[0]}, w[0], "[B,T,H,W,Co]");
    }

    private static long[] biasAndResidual(NodeCheck c, long[] y, long co, String yDims) {
        c.shape("b", new long[] {co}, "[Co]");
        c.shape("residual", y, yDims + " (the output's shape)");
        return y;
    }

    private static long[] linear(NodeCheck c) {
        c.minRank("x", 2, "[..., K]");
        long[] x = c.shape("x");
        c.rank("w", 2, "[N,K]");
        long[] w = c.shape("w");
        long k = x[x.length - 1];
        if (w[1] != k) {
            throw c.fail("w", "shape [N, " + k + "] with K = x's last dimension", NodeCheck.dims(w));
        }
        String act = c.text("act", "none");
        if (!Arrays.asList("none", "gelu", "gelu_tanh", "silu", "geglu").contains(act)) {
            throw c.fail("act", "one of none, gelu, gelu_tanh, silu, geglu", "'" + act + "'");
        }
        boolean geglu = act.equals("geglu");
        if (geglu && w[0] % 2 != 0) {
            throw c.fail("w", "an even N (rows) for act geglu", NodeCheck.dims(w));
        }
        long n = geglu ? w[0] / 2 : w[0];
        c.shape("b", new long[] {w[0]}, "[N]");
        long[] y = x.clone();
        y[y.length - 1] = n;
        c.shape("gate", new long[] {x[0], n}, "[B,N']");
        c.shape("residual", y, "[..., N'] (the output's shape)");
        return y;
    }

    private static long[] groupNorm(NodeCheck c) {
        long[] x = video(c, "x", "[B,T,H,W,C]");
        c.shape("gamma", new long[] {x[4]}, "[C]");
        c.shape("beta", new long[] {x[4]}, "[C]");
        long groups = c.integer("groups", null);
        if (groups < 1 || x[4] % groups != 0) {
            throw c.fail("groups", ">= 1 and dividing C = " + x[4], Long.toString(groups));
        }
        c.flag("per_frame");
        c.flag("silu");
        positive(c, "eps");
        return x.clone();
    }

    private static long[] layerNorm(NodeCheck c) {
        c.minRank("x", 2, "[B,...,C]");
        long[] x = c.shape("x");
        long channels = x[x.length - 1];
        c.shape("gamma", new long[] {channels}, "[C]");
        c.shape("beta", new long[] {channels}, "[C]");
        c.shape("shift", new long[] {x[0], channels}, "[B,C]");
        c.shape("scale", new long[] {x[0], channels}, "[B,C]");
        positive(c, "eps");
        return x.clone();
    }

    private static void positive(NodeCheck c, String name) {
        double v = c.number(name, 1e-5);
        if (!(v > 0)) {
            throw c.fail(name, "a finite number > 0", Double.toString(v));
        }
    }

    private static long[] alphaBlend(NodeCheck c) {
        long[] y = sameAs(c, "x_spatial", "x_temporal");
        c.shape("mix", new long[] {1}, "(one blend factor)");
        String mode = c.text("mode", "learned");
        if (!mode.equals("fixed") && !mode.equals("learned")) {
            throw c.fail("mode", "fixed or learned", "'" + mode + "'");
        }
        return y;
    }

    /** The shape of first; each of others, when present, must have it too. */
    private static long[] sameAs(NodeCheck c, String first, String... others) {
        long[] shape = c.shape(first);
        for (String other : others) {
            c.shape(other, shape, "(the shape of " + first + ")");
        }
        return shape.clone();
    }

    private static long[] broadcast(NodeCheck c) {
        long[] x = c.shape("x");
        long[] z = c.shape("z");
        if (Broadcast.split(x, z) == null) {
            throw c.fail("z", Broadcast.expected(x), NodeCheck.dims(z));
        }
        if (c.op.equals("scale_add")) {
            c.number("a", 1);
            c.number("b", 1);
        }
        return x.clone();
    }

    /** x[..., C1] and z[..., C2] with x's leading dims give y[..., C1+C2]. */
    private static long[] concat(NodeCheck c) {
        c.minRank("x", 1, "[..., C1]");
        long[] x = c.shape("x");
        c.rank("z", x.length, "[..., C2] (the rank of x)");
        long[] z = c.shape("z");
        int last = x.length - 1;
        if (!Arrays.equals(Arrays.copyOf(z, last), Arrays.copyOf(x, last))) {
            throw c.fail("z", "[..., C2] with x's leading dims " + NodeCheck.dims(Arrays.copyOf(x, last)),
                    NodeCheck.dims(z));
        }
        long[] y = x.clone();
        y[last] += z[last];
        return y;
    }

    static long[] video(NodeCheck c, String name, String dims) {
        c.rank(name, 5, dims);
        return c.shape(name);
    }
}
