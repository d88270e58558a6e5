package dev.kinema.ref;

import dev.kinema.Tensor;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random op calls: explicit configurations, or a whole configuration drawn from a seed
 * (small shapes, T=1, odd sizes, stride 2, bias, residual, guidance, eta, clipping). The same seed
 * always gives the same case.
 */
public final class RandomCases {
    private RandomCases() {}

    /** conv_spatial on x[B,T,H,W,Ci] with a [co,Ci,1,k,k] kernel. */
    public static OpCase convSpatial(long seed, long[] x, int co, int k, int stride, boolean bias, boolean residual) {
        SplittableRandom rng = new SplittableRandom(seed);
        int pad = k / 2;
        long[] y = {x[0], x[1], ReferenceConv.outputSize((int) x[2], k, pad, stride),
                ReferenceConv.outputSize((int) x[3], k, pad, stride), co};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(rng, 1.0, x));
        in.put("w", uniform(rng, 1.0 / Math.sqrt(x[4] * k * k), co, x[4], 1, k, k));
        if (bias) {
            in.put("b", uniform(rng, 0.5, co));
        }
        if (residual) {
            in.put("residual", uniform(rng, 1.0, y));
        }
        String name = "k" + k + " s" + stride + " x" + dims(x) + " co" + co + flags(bias, residual);
        return new OpCase(ReferenceOps.CONV_SPATIAL, name, in, Map.of("stride", Integer.toString(stride)));
    }

    /** conv_temporal on x[B,T,H,W,Ci] with a [co,Ci,3,1,1] kernel. */
    public static OpCase convTemporal(long seed, long[] x, int co, boolean bias, boolean residual) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(rng, 1.0, x));
        in.put("w", uniform(rng, 1.0 / Math.sqrt(x[4] * 3), co, x[4], 3, 1, 1));
        if (bias) {
            in.put("b", uniform(rng, 0.5, co));
        }
        if (residual) {
            in.put("residual", uniform(rng, 1.0, x[0], x[1], x[2], x[3], co));
        }
        String name = "x" + dims(x) + " co" + co + flags(bias, residual);
        return new OpCase(ReferenceOps.CONV_TEMPORAL, name, in, Map.of());
    }

    /**
     * ddim_step from noise level t to s (0 < s < t < 1; VP: α = cos(πt/2), σ = sin(πt/2)).
     *
     * @param guidance null for no unconditional output, else the guidance weight
     * @param noise    whether to pass a noise tensor (it only matters when eta > 0)
     */
    public static OpCase ddimStep(long seed, long[] shape, String prediction, Double guidance, double eta,
                                  double clipX0, boolean noise, double t, double s) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(rng, 1.0, shape));
        in.put("out_c", uniform(rng, 1.0, shape));
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("alpha_t", Double.toString(Math.cos(Math.PI / 2 * t)));
        attrs.put("sigma_t", Double.toString(Math.sin(Math.PI / 2 * t)));
        attrs.put("alpha_s", Double.toString(Math.cos(Math.PI / 2 * s)));
        attrs.put("sigma_s", Double.toString(Math.sin(Math.PI / 2 * s)));
        attrs.put("prediction", prediction);
        if (guidance != null) {
            in.put("out_u", uniform(rng, 1.0, shape));
            attrs.put("guidance", Double.toString(guidance));
        }
        if (noise) {
            in.put("noise", uniform(rng, 1.0, shape));
        }
        attrs.put("eta", Double.toString(eta));
        attrs.put("clip_x0", Double.toString(clipX0));
        String name = prediction + " " + dims(shape) + " t" + num(t) + ">" + num(s)
                + (guidance == null ? "" : " w" + num(guidance)) + (eta > 0 ? " eta" + num(eta) : "")
                + (clipX0 > 0 ? " clip" + num(clipX0) : "") + (noise ? " +noise" : "");
        return new OpCase(ReferenceOps.DDIM_STEP, name, in, attrs);
    }

    /** group_norm on x[B,T,H,W,C]; {@code offset} is added to x (large-mean data when it is large). */
    public static OpCase groupNorm(long seed, long[] x, int groups, boolean perFrame, boolean silu, double offset) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", shifted(uniform(rng, 2.0, x), offset));
        in.put("gamma", uniform(rng, 1.5, x[4]));
        in.put("beta", uniform(rng, 0.5, x[4]));
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("groups", Integer.toString(groups));
        attrs.put("eps", "1e-5");
        attrs.put("per_frame", Boolean.toString(perFrame));
        attrs.put("silu", Boolean.toString(silu));
        String name = "x" + dims(x) + " g" + groups + (perFrame ? " per_frame" : "") + (silu ? " silu" : "")
                + (offset != 0 ? " offset" + num(offset) : "");
        return new OpCase(ReferenceOps.GROUP_NORM, name, in, attrs);
    }

    /** layer_norm on x[B,...,C] with any of gamma, beta, shift, scale; {@code offset} is added to x. */
    public static OpCase layerNorm(long seed, long[] x, boolean gamma, boolean beta, boolean shift, boolean scale,
                                   double offset) {
        SplittableRandom rng = new SplittableRandom(seed);
        long channels = x[x.length - 1];
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", shifted(uniform(rng, 2.0, x), offset));
        if (gamma) {
            in.put("gamma", uniform(rng, 1.5, channels));
        }
        if (beta) {
            in.put("beta", uniform(rng, 0.5, channels));
        }
        if (shift) {
            in.put("shift", uniform(rng, 0.5, x[0], channels));
        }
        if (scale) {
            in.put("scale", uniform(rng, 0.5, x[0], channels));
        }
        String name = "x" + dims(x) + (gamma ? " gamma" : "") + (beta ? " beta" : "") + (shift ? " shift" : "")
                + (scale ? " scale" : "") + (offset != 0 ? " offset" + num(offset) : "");
        return new OpCase(ReferenceOps.LAYER_NORM, name, in, Map.of("eps", "1e-6"));
    }

    /** linear on x (rank >= 2, [..., K]) with an [n,K] weight; act is an OPS.md activation name. */
    public static OpCase linear(long seed, long[] x, int n, String act, boolean bias, boolean gate, boolean residual) {
        SplittableRandom rng = new SplittableRandom(seed);
        long k = x[x.length - 1];
        long nOut = act.equals("geglu") ? n / 2 : n;
        long[] y = Arrays.copyOf(x, x.length);
        y[x.length - 1] = nOut;
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(rng, 2.0, x));
        in.put("w", uniform(rng, 2.0 / Math.sqrt(Math.max(1, k)), n, k));
        if (bias) {
            in.put("b", uniform(rng, 0.5, n));
        }
        if (gate) {
            in.put("gate", uniform(rng, 1.0, x[0], nOut));
        }
        if (residual) {
            in.put("residual", uniform(rng, 1.0, y));
        }
        String name = act + " x" + dims(x) + " n" + n + flags(bias, residual) + (gate ? " gate" : "");
        return new OpCase(ReferenceOps.LINEAR, name, in, Map.of("act", act));
    }

    /** conv3d on x[B,T,H,W,Ci] with a [co,Ci,kt,kh,kw] kernel (odd sizes). */
    public static OpCase conv3d(long seed, long[] x, int co, int kt, int kh, int kw, boolean bias, boolean residual) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(rng, 1.0, x));
        in.put("w", uniform(rng, 1.0 / Math.sqrt(Math.max(1, x[4] * kt * kh * kw)), co, x[4], kt, kh, kw));
        if (bias) {
            in.put("b", uniform(rng, 0.5, co));
        }
        if (residual) {
            in.put("residual", uniform(rng, 1.0, x[0], x[1], x[2], x[3], co));
        }
        String name = "k" + kt + "x" + kh + "x" + kw + " x" + dims(x) + " co" + co + flags(bias, residual);
        return new OpCase(ReferenceOps.CONV3D, name, in, Map.of());
    }

    /** temporal_attention on q, k, v [B,T,H,W,heads*dim]; rel_bias over Tmax frames when bias. */
    public static OpCase temporalAttention(long seed, long[] qShape, int heads, int window, boolean causal,
                                           boolean bias, int tmax, double logitScale) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("q", uniform(rng, logitScale, qShape));
        in.put("k", uniform(rng, 1.0, qShape));
        in.put("v", uniform(rng, 1.0, qShape));
        if (bias) {
            in.put("rel_bias", uniform(rng, 1.0, heads, 2L * tmax - 1));
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("heads", Integer.toString(heads));
        attrs.put("window", Integer.toString(window));
        attrs.put("causal", causal ? "1" : "0");
        attrs.put("Tmax", Integer.toString(tmax));
        String name = "q" + dims(qShape) + " heads" + heads + " window" + window + (causal ? " causal" : "")
                + (bias ? " bias" : "") + " Tmax" + tmax;
        return new OpCase(ReferenceOps.TEMPORAL_ATTENTION, name, in, attrs);
    }

    /** attention: q [B,T,Nq,heads,D], k/v kvShape ([B,L,heads,D] for context), logits scaled by logitScale. */
    public static OpCase frameAttention(long seed, long[] qShape, long[] kvShape, String kvFrames, double logitScale) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("q", uniform(rng, logitScale, qShape));
        in.put("k", uniform(rng, 1.0, kvShape));
        in.put("v", uniform(rng, 1.0, kvShape));
        return new OpCase(ReferenceOps.ATTENTION, kvFrames + " q" + dims(qShape) + " kv" + dims(kvShape), in,
                Map.of("kv_frames", kvFrames));
    }

    /** t + offset as a new host tensor (t is closed). */
    private static Tensor shifted(Tensor t, double offset) {
        if (offset == 0) {
            return t;
        }
        float[] v = t.toFloats();
        for (int i = 0; i < v.length; i++) {
            v[i] += (float) offset;
        }
        long[] shape = t.shape();
        t.close();
        return Tensor.hostFromFloats(v, shape);
    }

    /**
     * An elementwise op (add, mul, silu, gelu, scale_add) on x of the given shape; binary ops take z of
     * x's last {@code zRank} dims (0: one scalar). {@code scale} is x's range.
     */
    public static OpCase elementwise(String op, long seed, long[] x, int zRank, double scale) {
        return elementwise(op, seed, x, Arrays.copyOfRange(x, x.length - zRank, x.length), scale);
    }

    /** A binary elementwise op with z of the given shape, broadcast to x (e.g. [B,1,1,1,C] for x[B,T,H,W,C]). */
    public static OpCase elementwise(String op, long seed, long[] x, long[] z, double scale) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(rng, scale, x));
        boolean binary = !op.equals(ReferenceOps.SILU) && !op.equals(ReferenceOps.GELU);
        if (binary) {
            in.put("z", uniform(rng, 2.0, z));
        }
        Map<String, String> attrs = op.equals(ReferenceOps.SCALE_ADD) ? Map.of("a", "0.75", "b", "-1.5") : Map.of();
        return new OpCase(op, "x" + dims(x) + (binary ? " z" + dims(z) : "") + " scale" + num(scale), in, attrs);
    }

    /** concat of x[lead..., c1] and z[lead..., c2] along the last axis. */
    public static OpCase concat(long seed, long[] lead, long c1, long c2) {
        SplittableRandom rng = new SplittableRandom(seed);
        long[] x = Arrays.copyOf(lead, lead.length + 1), z = Arrays.copyOf(lead, lead.length + 1);
        x[lead.length] = c1;
        z[lead.length] = c2;
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(rng, 1.0, x));
        in.put("z", uniform(rng, 3.0, z));
        return new OpCase(ReferenceOps.CONCAT, "x" + dims(x) + " z" + dims(z), in, Map.of());
    }

    /** upsample_nearest on x[B,T,H,W,C]. */
    public static OpCase upsampleNearest(long seed, long[] x) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(new SplittableRandom(seed), 1.0, x));
        return new OpCase(ReferenceOps.UPSAMPLE_NEAREST, "x" + dims(x), in, Map.of());
    }

    /** patchify of x[B,T,H,W,C] with patch size p (dividing H and W). */
    public static OpCase patchify(long seed, long[] x, int p) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(new SplittableRandom(seed), 1.0, x));
        return new OpCase(ReferenceOps.PATCHIFY, "x" + dims(x) + " p" + p, in, Map.of("p", Integer.toString(p)));
    }

    /** unpatchify of tokens [B,T,(H/p)*(W/p),p*p*c] back to an image [B,T,H,W,c]. */
    public static OpCase unpatchify(long seed, long b, long t, int h, int w, int c, int p) {
        long[] x = {b, t, (long) (h / p) * (w / p), (long) p * p * c};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", uniform(new SplittableRandom(seed), 1.0, x));
        return new OpCase(ReferenceOps.UNPATCHIFY, "x" + dims(x) + " p" + p + " H" + h + " W" + w, in,
                Map.of("p", Integer.toString(p), "H", Integer.toString(h), "W", Integer.toString(w)));
    }

    /** alpha_blend of two tensors of {@code shape} with mix[1] (mode fixed or learned). */
    public static OpCase alphaBlend(long seed, long[] shape, String mode, double mix) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x_spatial", uniform(rng, 1.0, shape));
        in.put("x_temporal", uniform(rng, 3.0, shape));
        in.put("mix", Tensor.hostFromFloats(new float[] {(float) mix}, 1));
        return new OpCase(ReferenceOps.ALPHA_BLEND, mode + " mix" + num(mix) + " " + dims(shape), in, Map.of("mode", mode));
    }

    /** timestep_embedding of {@code batch} timesteps in [0, maxT). */
    public static OpCase timestepEmbedding(long seed, int batch, double maxT, int dim, boolean flip, double shift,
                                           double maxPeriod) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] t = new float[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = (float) Math.floor(maxT * rng.nextDouble());
        }
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("t", Tensor.hostFromFloats(t, batch));
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("dim", Integer.toString(dim));
        attrs.put("flip_sin_to_cos", Boolean.toString(flip));
        attrs.put("downscale_freq_shift", Double.toString(shift));
        attrs.put("max_period", Double.toString(maxPeriod));
        return new OpCase(ReferenceOps.TIMESTEP_EMBEDDING, "B" + batch + " dim" + dim + (flip ? " flip" : "")
                + " shift" + num(shift) + " period" + num(maxPeriod), in, attrs);
    }

    /** A whole configuration of {@code op} drawn from {@code seed}, small enough for emulated kernels. */
    public static OpCase draw(String op, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long[] x = {1 + rng.nextInt(2), 1 + rng.nextInt(3), 1 + rng.nextInt(9), 1 + rng.nextInt(9),
                pick(rng, 1, 3, 4, 8, 16, 32)};
        int co = pick(rng, 1, 5, 8, 16, 24);
        long caseSeed = rng.nextLong();
        return switch (op) {
            case ReferenceOps.CONV_SPATIAL -> convSpatial(caseSeed, x, co, pick(rng, 1, 3, 3), pick(rng, 1, 2),
                    rng.nextBoolean(), rng.nextBoolean());
            case ReferenceOps.CONV_TEMPORAL -> convTemporal(caseSeed, x, co, rng.nextBoolean(), rng.nextBoolean());
            case ReferenceOps.DDIM_STEP -> {
                double t = 0.1 + 0.85 * rng.nextDouble();
                double s = t * rng.nextDouble();
                double eta = new double[] {0, 0, 0.5, 1}[rng.nextInt(4)];
                Double guidance = rng.nextBoolean() ? null : 1 + 9 * rng.nextDouble();
                yield ddimStep(caseSeed, x, new String[] {"eps", "v", "x0"}[rng.nextInt(3)], guidance, eta,
                        rng.nextInt(3) == 0 ? 1.0 : 0.0, eta > 0 || rng.nextBoolean(), t, s);
            }
            case ReferenceOps.GROUP_NORM -> {
                long channels = 8L * pick(rng, 1, 2, 5, 6);
                int groups = pick(rng, 1, 2, 4, 8);
                yield groupNorm(caseSeed, new long[] {x[0], x[1], x[2], x[3], channels}, groups, rng.nextBoolean(),
                        rng.nextBoolean(), rng.nextInt(4) == 0 ? 100.0 : 0.0);
            }
            case ReferenceOps.LAYER_NORM -> layerNorm(caseSeed, new long[] {x[0], 1 + rng.nextInt(9), pick(rng, 1, 7, 32, 77, 130)},
                    rng.nextBoolean(), rng.nextBoolean(), rng.nextBoolean(), rng.nextBoolean(), rng.nextInt(4) == 0 ? 100.0 : 0.0);
            case ReferenceOps.TEMPORAL_ATTENTION -> {
                int heads = pick(rng, 1, 2, 3);
                int frames = 1 + rng.nextInt(20);
                yield temporalAttention(caseSeed, new long[] {x[0], frames, x[2], x[3], (long) heads * pick(rng, 8, 17, 40, 64)},
                        heads, pick(rng, 0, 0, 1, 3), rng.nextBoolean(), rng.nextBoolean(), frames + rng.nextInt(4), 3.0);
            }
            case ReferenceOps.ATTENTION -> {
                String mode = new String[] {"same", "first", "sparse_causal", "all", "context"}[rng.nextInt(5)];
                long heads = pick(rng, 1, 2, 3), dim = pick(rng, 8, 17, 40, 64, 80), frames = 1 + rng.nextInt(4);
                long queries = 1 + rng.nextInt(90), keys = 1 + rng.nextInt(90);
                long tk = mode.equals("same") || mode.equals("sparse_causal") ? frames : 1 + rng.nextInt(4);
                long[] kv = mode.equals("context") ? new long[] {x[0], keys, heads, dim}
                        : new long[] {x[0], tk, keys, heads, dim};
                yield frameAttention(caseSeed, new long[] {x[0], frames, queries, heads, dim}, kv, mode, 3.0);
            }
            case ReferenceOps.LINEAR -> {
                String act = new String[] {"none", "gelu", "gelu_tanh", "silu", "geglu"}[rng.nextInt(5)];
                int n = 2 * pick(rng, 1, 3, 8, 20, 33);
                long[] shape = rng.nextBoolean() ? new long[] {x[0], x[2] * x[3], x[4]} : new long[] {x[0] * x[1], x[4]};
                yield linear(caseSeed, shape, n, act, rng.nextBoolean(), rng.nextBoolean(), rng.nextBoolean());
            }
            case ReferenceOps.CONV3D -> conv3d(caseSeed, x, co, pick(rng, 1, 3, 3, 5), pick(rng, 1, 3, 3, 5),
                    pick(rng, 1, 3, 3), rng.nextBoolean(), rng.nextBoolean());
            case ReferenceOps.ADD, ReferenceOps.MUL, ReferenceOps.SILU, ReferenceOps.GELU, ReferenceOps.SCALE_ADD -> {
                int zRank = rng.nextInt(6);
                double scale = pick(rng, 1, 3, 8);
                // One in three: z broadcast over the middle dims, per batch ([B,1,1,1,C]) or shared ([1,1,1,1,C]).
                yield rng.nextInt(3) == 0
                        ? elementwise(op, caseSeed, x, new long[] {rng.nextBoolean() ? x[0] : 1, 1, 1, 1, x[4]}, scale)
                        : elementwise(op, caseSeed, x, zRank, scale);
            }
            case ReferenceOps.CONCAT -> {
                long[] lead = Arrays.copyOf(x, 1 + rng.nextInt(4));
                yield concat(caseSeed, lead, pick(rng, 1, 3, 4, 5, 16, 32), pick(rng, 1, 3, 5, 8, 16, 24));
            }
            case ReferenceOps.UPSAMPLE_NEAREST -> upsampleNearest(caseSeed, x);
            case ReferenceOps.PATCHIFY, ReferenceOps.UNPATCHIFY -> {
                int p = pick(rng, 1, 2, 3);
                int h = p * (1 + rng.nextInt(4)), w = p * (1 + rng.nextInt(4));
                yield op.equals(ReferenceOps.PATCHIFY) ? patchify(caseSeed, new long[] {x[0], x[1], h, w, x[4]}, p)
                        : unpatchify(caseSeed, x[0], x[1], h, w, (int) x[4], p);
            }
            case ReferenceOps.ALPHA_BLEND -> alphaBlend(caseSeed, x, rng.nextBoolean() ? "fixed" : "learned",
                    4 * rng.nextDouble() - 2);
            case ReferenceOps.TIMESTEP_EMBEDDING -> timestepEmbedding(caseSeed, 1 + rng.nextInt(5), 1000,
                    2 * pick(rng, 2, 3, 16, 64, 160), rng.nextBoolean(), pick(rng, 0, 1), pick(rng, 100, 10000));
            default -> throw new IllegalArgumentException("op: expected one of " + ReferenceOps.OPS + ", got " + op);
        };
    }

    private static int pick(SplittableRandom rng, int... values) {
        return values[rng.nextInt(values.length)];
    }

    /** [1,2,3] without spaces. */
    private static String dims(long[] shape) {
        return Arrays.toString(shape).replace(" ", "");
    }

    /** Up to 3 decimals, no trailing zeros. */
    private static String num(double v) {
        return new BigDecimal(v).setScale(3, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
    }

    private static String flags(boolean bias, boolean residual) {
        return (bias ? " +b" : "") + (residual ? " +residual" : "");
    }

    /** A host f32 tensor of values uniform in [-scale, scale). */
    private static Tensor uniform(SplittableRandom rng, double scale, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (scale * (2 * rng.nextDouble() - 1));
        }
        return Tensor.hostFromFloats(v, shape);
    }
}
