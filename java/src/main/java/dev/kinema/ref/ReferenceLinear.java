package dev.kinema.ref;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** linear and conv3d (OPS.md) as float64 loops. */
final class ReferenceLinear {
    static final String LINEAR = "linear";
    static final String CONV3D = "conv3d";
    static final Set<String> LINEAR_ATTRS = Set.of("act");
    static final Set<String> CONV3D_ATTRS = Set.of();
    private static final List<String> LINEAR_INPUTS = List.of("x", "w", "b", "residual", "gate");
    private static final List<String> CONV3D_INPUTS = List.of("x", "w", "b", "residual");

    private ReferenceLinear() {}

    /** erf to ~1e-15: the Maclaurin series below 3, the continued fraction of erfc above. */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double result;
        if (a < 3.0) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            result = 2.0 / Math.sqrt(Math.PI) * sum;
        } else {
            double k = a;
            for (int n = 120; n >= 1; n--) {
                k = a + (n / 2.0) / k;
            }
            result = 1.0 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * k);
        }
        return x < 0 ? -result : result;
    }

    static double gelu(double v) {
        return 0.5 * v * (1.0 + erf(v / Math.sqrt(2.0)));
    }

    static double activate(String act, double v) {
        return switch (act) {
            case "gelu" -> gelu(v);
            case "gelu_tanh" -> 0.5 * v * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (v + 0.044715 * v * v * v)));
            case "silu" -> v / (1.0 + Math.exp(-v));
            default -> v;
        };
    }

    /** h = x @ w.T + b; geglu: a * gelu(g) of the halves; * gate[b]; + residual. */
    static float[] linear(float[] x, long rows, long batch, int k, float[] w, int n, float[] bias, float[] gate,
                          float[] residual, String act) {
        boolean geglu = act.equals("geglu");
        int nOut = geglu ? n / 2 : n;
        long rowsPerBatch = batch == 0 ? 1 : rows / batch;
        float[] y = new float[(int) (rows * nOut)];
        double[] h = new double[n];
        for (long r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double acc = bias == null ? 0.0 : bias[j];
                for (int i = 0; i < k; i++) {
                    acc += (double) x[(int) (r * k + i)] * w[j * k + i];
                }
                h[j] = acc;
            }
            for (int j = 0; j < nOut; j++) {
                double v = geglu ? h[j] * gelu(h[nOut + j]) : activate(act, h[j]);
                if (gate != null) {
                    v *= gate[(int) ((r / rowsPerBatch) * nOut + j)];
                }
                int at = (int) (r * nOut + j);
                if (residual != null) {
                    v += residual[at];
                }
                y[at] = (float) v;
            }
        }
        return y;
    }

    static Map<String, Tensor> runLinear(Map<String, Tensor> in, OpAttributes attrs) {
        String op = LINEAR;
        checkNames(op, in, LINEAR_INPUTS);
        String act = attrs.choice("act", "none", Set.of("none", "gelu", "gelu_tanh", "silu", "geglu"));
        Tensor xt = required(op, in, "x");
        long[] x = xt.shape();
        if (x.length < 2) {
            throw new InvalidArgumentException(op, "x", "rank >= 2 [..., K]", "rank " + x.length + " " + Arrays.toString(x));
        }
        long[] w = required(op, in, "w").shape();
        long k = x[x.length - 1];
        if (w.length != 2 || w[1] != k) {
            throw new InvalidArgumentException(op, "w", "shape [N," + k + "]", Arrays.toString(w));
        }
        if (act.equals("geglu") && w[0] % 2 != 0) {
            throw new InvalidArgumentException(op, "w", "an even N for act geglu", Arrays.toString(w));
        }
        long nOut = act.equals("geglu") ? w[0] / 2 : w[0];
        long[] yShape = Arrays.copyOf(x, x.length);
        yShape[x.length - 1] = nOut;
        long rows = 1;
        for (int i = 0; i < x.length - 1; i++) {
            rows *= x[i];
        }
        float[] bias = optional(op, in, "b", new long[] {w[0]});
        float[] gate = optional(op, in, "gate", new long[] {x[0], nOut});
        float[] residual = optional(op, in, "residual", yShape);
        float[] y = linear(xt.toFloats(), rows, x[0], (int) k, in.get("w").toFloats(), (int) w[0], bias, gate,
                residual, act);
        return outputs(Tensor.hostFromFloats(y, yShape));
    }

    static Map<String, Tensor> runConv3d(Map<String, Tensor> in, OpAttributes attrs) {
        String op = CONV3D;
        checkNames(op, in, CONV3D_INPUTS);
        long[] x = required(op, in, "x").shape();
        long[] w = required(op, in, "w").shape();
        if (x.length != 5) {
            throw new InvalidArgumentException(op, "x", "rank 5 [B,T,H,W,Ci]", "rank " + x.length + " " + Arrays.toString(x));
        }
        if (w.length != 5 || w[1] != x[4] || w[2] % 2 != 1 || w[3] % 2 != 1 || w[4] % 2 != 1) {
            throw new InvalidArgumentException(op, "w", "shape [Co," + x[4] + ",kt,kh,kw] with odd kt, kh, kw",
                    Arrays.toString(w));
        }
        long[] yShape = {x[0], x[1], x[2], x[3], w[0]};
        float[] bias = optional(op, in, "b", new long[] {w[0]});
        float[] residual = optional(op, in, "residual", yShape);
        float[] y = ReferenceConv.conv3d(in.get("x").toFloats(), (int) x[0], (int) x[1], (int) x[2], (int) x[3],
                (int) x[4], in.get("w").toFloats(), (int) w[0], (int) w[2], (int) w[3], (int) w[4], bias, residual, 1,
                (int) w[2] / 2, (int) w[3] / 2, (int) w[4] / 2);
        return outputs(Tensor.hostFromFloats(y, yShape));
    }

    private static void checkNames(String op, Map<String, Tensor> in, List<String> known) {
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw new InvalidArgumentException(op, e.getKey(), "an input of " + op + " (one of "
                        + String.join(", ", known) + ")", "unknown input '" + e.getKey() + "'");
            }
            if (e.getValue() == null) {
                throw new InvalidArgumentException(op, e.getKey(), "a tensor", "null");
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

    private static float[] optional(String op, Map<String, Tensor> in, String name, long[] expected) {
        Tensor t = in.get(name);
        if (t == null) {
            return null;
        }
        if (!Arrays.equals(t.shape(), expected)) {
            throw new InvalidArgumentException(op, name, "shape " + Arrays.toString(expected), Arrays.toString(t.shape()));
        }
        return t.toFloats();
    }

    private static Map<String, Tensor> outputs(Tensor y) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("y", y);
        return out;
    }
}
