package dev.kinema.ref;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** group_norm and layer_norm (OPS.md) as float64 two-pass loops: mean, then centred variance, then the affine. */
final class ReferenceNorm {
    static final String GROUP_NORM = "group_norm";
    static final String LAYER_NORM = "layer_norm";
    static final Set<String> GROUP_NORM_ATTRS = Set.of("groups", "eps", "per_frame", "silu");
    static final Set<String> LAYER_NORM_ATTRS = Set.of("eps");
    private static final Set<String> BOOLEANS = Set.of("true", "false", "1", "0");

    private ReferenceNorm() {}

    /** y[b,t,h,w,c] over domains of {@code positions} positions (a batch item, or a frame when per frame). */
    static float[] groupNorm(float[] x, long[] shape, float[] gamma, float[] beta, int groups, double eps,
                             boolean perFrame, boolean silu) {
        int channels = (int) shape[4];
        long hw = shape[2] * shape[3];
        long domains = perFrame ? shape[0] * shape[1] : shape[0];
        long positions = perFrame ? hw : shape[1] * hw;
        int perGroup = channels / groups;
        float[] y = new float[x.length];
        for (long d = 0; d < domains; d++) {
            for (int g = 0; g < groups; g++) {
                double sum = 0;
                for (long p = 0; p < positions; p++) {
                    for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                        sum += x[(int) ((d * positions + p) * channels + c)];
                    }
                }
                double mean = sum / (positions * perGroup);
                double squares = 0;
                for (long p = 0; p < positions; p++) {
                    for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                        double v = x[(int) ((d * positions + p) * channels + c)] - mean;
                        squares += v * v;
                    }
                }
                double rstd = 1.0 / Math.sqrt(squares / (positions * perGroup) + eps);
                for (long p = 0; p < positions; p++) {
                    for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                        int i = (int) ((d * positions + p) * channels + c);
                        double v = (x[i] - mean) * rstd * gamma[c] + beta[c];
                        y[i] = (float) (silu ? v / (1 + Math.exp(-v)) : v);
                    }
                }
            }
        }
        return y;
    }

    /** y = LN(x)*gamma + beta, then y*(1 + scale[b]) + shift[b]; any of the four may be null. */
    static float[] layerNorm(float[] x, long[] shape, float[] gamma, float[] beta, float[] shift, float[] scale,
                             double eps) {
        int channels = (int) shape[shape.length - 1];
        int rows = channels == 0 ? 0 : x.length / channels;
        int rowsPerBatch = shape[0] == 0 ? 0 : (int) (rows / shape[0]);
        float[] y = new float[x.length];
        for (int r = 0; r < rows; r++) {
            int b = r / rowsPerBatch;
            double mean = 0;
            for (int c = 0; c < channels; c++) {
                mean += x[r * channels + c];
            }
            mean /= channels;
            double squares = 0;
            for (int c = 0; c < channels; c++) {
                double v = x[r * channels + c] - mean;
                squares += v * v;
            }
            double rstd = 1.0 / Math.sqrt(squares / channels + eps);
            for (int c = 0; c < channels; c++) {
                double v = (x[r * channels + c] - mean) * rstd;
                if (gamma != null) {
                    v *= gamma[c];
                }
                if (beta != null) {
                    v += beta[c];
                }
                if (shift != null || scale != null) {
                    v = v * (1 + (scale == null ? 0 : scale[b * channels + c])) + (shift == null ? 0 : shift[b * channels + c]);
                }
                y[r * channels + c] = (float) v;
            }
        }
        return y;
    }

    static Map<String, Tensor> runGroupNorm(Map<String, Tensor> in, OpAttributes attrs) {
        String op = GROUP_NORM;
        checkNames(op, in, List.of("x", "gamma", "beta"));
        Tensor x = required(op, in, "x");
        if (x.rank() != 5) {
            throw new InvalidArgumentException(op, "x", "rank 5 [B,T,H,W,C]", "rank " + x.rank() + " " + Arrays.toString(x.shape()));
        }
        long[] shape = x.shape();
        long[] perChannel = {shape[4]};
        float[] gamma = values(op, required(op, in, "gamma"), "gamma", perChannel);
        float[] beta = values(op, required(op, in, "beta"), "beta", perChannel);
        double groupsValue = attrs.requiredNumber("groups");
        if (groupsValue != Math.rint(groupsValue) || groupsValue < 1 || shape[4] % (long) groupsValue != 0) {
            throw new InvalidArgumentException(op, "groups", "an integer >= 1 dividing C = " + shape[4], Double.toString(groupsValue));
        }
        double eps = positiveEps(op, attrs);
        boolean perFrame = flag(attrs, "per_frame");
        boolean silu = flag(attrs, "silu");
        float[] y = groupNorm(x.toFloats(), shape, gamma, beta, (int) groupsValue, eps, perFrame, silu);
        return output(Tensor.hostFromFloats(y, shape));
    }

    static Map<String, Tensor> runLayerNorm(Map<String, Tensor> in, OpAttributes attrs) {
        String op = LAYER_NORM;
        checkNames(op, in, List.of("x", "gamma", "beta", "shift", "scale"));
        Tensor x = required(op, in, "x");
        if (x.rank() < 2) {
            throw new InvalidArgumentException(op, "x", "rank >= 2 [B,...,C]", "rank " + x.rank() + " " + Arrays.toString(x.shape()));
        }
        long[] shape = x.shape();
        long[] perChannel = {shape[shape.length - 1]};
        long[] perBatch = {shape[0], shape[shape.length - 1]};
        float[] gamma = in.get("gamma") == null ? null : values(op, in.get("gamma"), "gamma", perChannel);
        float[] beta = in.get("beta") == null ? null : values(op, in.get("beta"), "beta", perChannel);
        float[] shift = in.get("shift") == null ? null : values(op, in.get("shift"), "shift", perBatch);
        float[] scale = in.get("scale") == null ? null : values(op, in.get("scale"), "scale", perBatch);
        float[] y = layerNorm(x.toFloats(), shape, gamma, beta, shift, scale, positiveEps(op, attrs));
        return output(Tensor.hostFromFloats(y, shape));
    }

    private static double positiveEps(String op, OpAttributes attrs) {
        double eps = attrs.number("eps", 1e-5);
        if (eps <= 0) {
            throw new InvalidArgumentException(op, "eps", "a number > 0", Double.toString(eps));
        }
        return eps;
    }

    private static boolean flag(OpAttributes attrs, String name) {
        String v = attrs.choice(name, "false", BOOLEANS);
        return v.equals("true") || v.equals("1");
    }

    private static void checkNames(String op, Map<String, Tensor> in, List<String> known) {
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw new InvalidArgumentException(op, e.getKey(), "an input of " + op + " (one of "
                        + String.join(", ", known) + ")", "unknown input '" + e.getKey() + "'");
            }
        }
    }

    private static Tensor required(String op, Map<String, Tensor> in, String name) {
        Tensor t = in.get(name);
        if (t == null) {
            throw new InvalidArgumentException(op, name, "a tensor", "none");
        }
        return t;
    }

    private static float[] values(String op, Tensor t, String name, long[] expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new InvalidArgumentException(op, name, "shape " + Arrays.toString(expected), Arrays.toString(t.shape()));
        }
        return t.toFloats();
    }

    private static Map<String, Tensor> output(Tensor y) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("y", y);
        return out;
    }
}
