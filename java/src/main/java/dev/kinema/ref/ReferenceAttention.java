package dev.kinema.ref;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** temporal_attention (OPS.md) as float64 loops: full score rows, masked to -inf, two-pass softmax. */
final class ReferenceAttention {
    static final String TEMPORAL_ATTENTION = "temporal_attention";
    static final Set<String> ATTRS = Set.of("heads", "scale", "window", "causal", "Tmax");

    private ReferenceAttention() {}

    /** y[b,i,p,head*D+d] = sum_j softmax_j(q_i.k_j*scale + bias[head, j-i+Tmax-1], masked) v_j[d]. */
    static float[] attention(float[] q, float[] k, float[] v, float[] bias, long[] shape, int heads, double scale,
                             int window, boolean causal, int tmax) {
        int batch = (int) shape[0], frames = (int) shape[1], positions = (int) (shape[2] * shape[3]);
        int channels = (int) shape[4], dim = channels / heads;
        float[] y = new float[q.length];
        double[] s = new double[frames];
        for (int b = 0; b < batch; b++) {
            for (int p = 0; p < positions; p++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < frames; i++) {
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < frames; j++) {
                            boolean masked = (causal && j > i) || (window > 0 && Math.abs(i - j) > window);
                            double dot = 0;
                            for (int d = 0; d < dim; d++) {
                                dot += (double) q[at(b, i, p, h, d, frames, positions, channels, dim)]
                                        * k[at(b, j, p, h, d, frames, positions, channels, dim)];
                            }
                            s[j] = masked ? Double.NEGATIVE_INFINITY
                                    : dot * scale + (bias == null ? 0 : bias[h * (2 * tmax - 1) + j - i + tmax - 1]);
                            max = Math.max(max, s[j]);
                        }
                        double sum = 0;
                        for (int j = 0; j < frames; j++) {
                            sum += Math.exp(s[j] - max);
                        }
                        for (int d = 0; d < dim; d++) {
                            double acc = 0;
                            for (int j = 0; j < frames; j++) {
                                acc += Math.exp(s[j] - max) / sum * v[at(b, j, p, h, d, frames, positions, channels, dim)];
                            }
                            y[at(b, i, p, h, d, frames, positions, channels, dim)] = (float) acc;
                        }
                    }
                }
            }
        }
        return y;
    }

    private static int at(int b, int t, int p, int h, int d, int frames, int positions, int channels, int dim) {
        return ((b * frames + t) * positions + p) * channels + h * dim + d;
    }

    static Map<String, Tensor> run(Map<String, Tensor> in, Map<String, String> attrs) {
        String op = TEMPORAL_ATTENTION;
        new OpAttributes(op, attrs, ATTRS);  // refuses unknown attribute names
        Map<String, String> a = attrs == null ? Map.of() : attrs;
        for (String name : in.keySet()) {
            if (!Set.of("q", "k", "v", "rel_bias").contains(name) || in.get(name) == null) {
                throw new InvalidArgumentException(op, name, "an input of " + op + " (q, k, v, rel_bias?)",
                        "unknown input '" + name + "'");
            }
        }
        long[] shape = null;
        for (String name : new String[] {"q", "k", "v"}) {
            Tensor t = in.get(name);
            if (t == null || t.rank() != 5 || (shape != null && !Arrays.equals(shape, t.shape()))) {
                throw new InvalidArgumentException(op, name, "a tensor [B,T,H,W,heads*D] (the shape of q)",
                        t == null ? "none" : Arrays.toString(t.shape()));
            }
            shape = t.shape();
        }
        int heads = integer(a, "heads", -1);
        if (heads < 1 || shape[4] % heads != 0 || shape[4] / heads < 1) {
            throw new InvalidArgumentException(op, "heads", ">= 1 dividing " + shape[4], a.get("heads"));
        }
        double scale = a.containsKey("scale") ? Double.parseDouble(a.get("scale").strip())
                : 1.0 / Math.sqrt(shape[4] / heads);
        int window = integer(a, "window", 0);
        String causalText = a.getOrDefault("causal", "0").strip();
        boolean causal = causalText.equals("1") || causalText.equalsIgnoreCase("true");
        Tensor bias = in.get("rel_bias");
        int tmax = integer(a, "Tmax", bias == null ? (int) Math.max(1, shape[1]) : -1);
        if (tmax < shape[1] || tmax < 1 || window < 0) {
            throw new InvalidArgumentException(op, tmax < shape[1] || tmax < 1 ? "Tmax" : "window",
                    "Tmax >= T (" + shape[1] + "), window >= 0", "Tmax " + tmax + ", window " + window);
        }
        if (bias != null && !Arrays.equals(bias.shape(), new long[] {heads, 2L * tmax - 1})) {
            throw new InvalidArgumentException(op, "rel_bias", "shape [" + heads + ", " + (2L * tmax - 1) + "]",
                    Arrays.toString(bias.shape()));
        }
        float[] y = attention(in.get("q").toFloats(), in.get("k").toFloats(), in.get("v").toFloats(),
                bias == null ? null : bias.toFloats(), shape, heads, scale, window, causal, tmax);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("y", Tensor.hostFromFloats(y, shape));
        return out;
    }

    private static int integer(Map<String, String> a, String name, int fallback) {
        String text = a.get(name);
        if (text == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(TEMPORAL_ATTENTION, name, "an integer", "'" + text + "'");
        }
    }
}
