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
