package dev.kinema.ref;

import dev.kinema.Broadcast;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * add, mul, silu, gelu (erf), scale_add (OPS.md elementwise) as float64 loops. z broadcasts to x by
 * NumPy's rule, dimension by dimension; which z shapes are accepted is {@link Broadcast}'s rule.
 */
final class ReferenceElementwise {
    static final String ADD = "add";
    static final String MUL = "mul";
    static final String SILU = "silu";
    static final String GELU = "gelu";
    static final String SCALE_ADD = "scale_add";
    static final List<String> OPS = List.of(ADD, MUL, SILU, GELU, SCALE_ADD);

    private ReferenceElementwise() {}

    static Set<String> attrs(String op) {
        return op.equals(SCALE_ADD) ? Set.of("a", "b") : Set.of();
    }

    static boolean binary(String op) {
        return op.equals(ADD) || op.equals(MUL) || op.equals(SCALE_ADD);
    }

    /** erf to ~1e-15 (its Taylor series for |v| < 3, the continued fraction of erfc beyond). */
    static double erf(double v) {
        double a = Math.abs(v);
        double r;
        if (a < 3) {
            double term = a, sum = a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = 0;
            for (int n = 60; n >= 1; n--) {
                f = n / 2.0 / (a + f);
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
        }
        return Double.isNaN(v) ? Double.NaN : Math.copySign(r, v);
    }

    static double apply(String op, double x, double z, double a, double b) {
        return switch (op) {
            case ADD -> x + z;
            case MUL -> x * z;
            case SILU -> x / (1 + Math.exp(-x));
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            default -> a * x + b * z;
        };
    }

    /**
     * NumPy broadcasting: the flat index into z (aligned right to x) of x's flat element i. Each x
     * coordinate is kept where z's dimension equals x's and becomes 0 where z's dimension is 1.
     */
    static int broadcastIndex(long[] xs, long[] zs, int i) {
        int pad = xs.length - zs.length;
        long rest = i, index = 0, stride = 1;
        for (int d = xs.length - 1; d >= 0; d--) {
            long coord = rest % xs[d];
            rest /= xs[d];
            if (d >= pad) {
                long zd = zs[d - pad];
                index += (zd == 1 ? 0 : coord) * stride;
                stride *= zd;
            }
        }
        return (int) index;
    }

    static Map<String, Tensor> run(String op, Map<String, Tensor> in, OpAttributes attrs) {
        List<String> names = binary(op) ? List.of("x", "z") : List.of("x");
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            if (!names.contains(e.getKey()) || e.getValue() == null) {
                throw new InvalidArgumentException(op, e.getKey(), "an input of " + op + " (one of "
                        + String.join(", ", names) + ")", "unknown input '" + e.getKey() + "'");
            }
        }
        Tensor xt = in.get("x");
        if (xt == null) {
            throw new InvalidArgumentException(op, "x", "a tensor", "none");
        }
        long[] xs = xt.shape();
        float[] x = xt.toFloats();
        float[] z = null;
        long[] zs = null;
        if (binary(op)) {
            Tensor zt = in.get("z");
            if (zt == null) {
                throw new InvalidArgumentException(op, "z", "a tensor", "none");
            }
            zs = zt.shape();
            if (Broadcast.split(xs, zs) == null) {
                throw new InvalidArgumentException(op, "z", Broadcast.expected(xs), Arrays.toString(zs));
            }
            z = zt.toFloats();
        }
        double a = op.equals(SCALE_ADD) ? attrs.number("a", 1.0) : 1.0;
        double b = op.equals(SCALE_ADD) ? attrs.number("b", 1.0) : 1.0;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) apply(op, x[i], z == null ? 0 : z[broadcastIndex(xs, zs, i)], a, b);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("y", Tensor.hostFromFloats(y, xs));
        return out;
    }
}
