package dev.kinema.ref;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** attention (OPS.md) as float64 loops: K(t)/V(t) gathered per frame, full score rows, two-pass softmax. */
final class ReferenceFrameAttention {
    static final String ATTENTION = "attention";
    static final Set<String> ATTRS = Set.of("scale", "kv_frames");

    private ReferenceFrameAttention() {}

    /** The k/v frames frame t attends to, in OPS.md's concatenation order. */
    static int[] kvFrames(String mode, int t, int kvFrames) {
        return switch (mode) {
            case "same" -> new int[] {t};
            case "sparse_causal" -> new int[] {0, Math.max(t - 1, 0)};
            case "all" -> java.util.stream.IntStream.range(0, kvFrames).toArray();
            default -> new int[] {0};  // first, context
        };
    }

    /** q [B,T,Nq,H,D]; k, v [B,Tk,Nk,H,D] (context: Tk = 1, Nk = L). */
    static float[] attention(float[] q, float[] k, float[] v, long[] qShape, int kvFrameCount, int keys, String mode,
                             double scale) {
        int batch = (int) qShape[0], frames = (int) qShape[1], queries = (int) qShape[2];
        int heads = (int) qShape[3], dim = (int) qShape[4];
        float[] y = new float[q.length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < frames; t++) {
                int[] list = kvFrames(mode, t, kvFrameCount);
                int n = list.length * keys;
                double[] s = new double[n];
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < queries; i++) {
                        int qa = (((b * frames + t) * queries + i) * heads + h) * dim;
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < n; j++) {
                            int ka = (((b * kvFrameCount + list[j / keys]) * keys + j % keys) * heads + h) * dim;
                            double dot = 0;
                            for (int d = 0; d < dim; d++) {
                                dot += (double) q[qa + d] * k[ka + d];
                            }
                            s[j] = dot * scale;
                            max = Math.max(max, s[j]);
                        }
                        double sum = 0;
                        for (int j = 0; j < n; j++) {
                            sum += Math.exp(s[j] - max);
                        }
                        for (int d = 0; d < dim; d++) {
                            double acc = 0;
                            for (int j = 0; j < n; j++) {
                                int va = (((b * kvFrameCount + list[j / keys]) * keys + j % keys) * heads + h) * dim;
                                acc += Math.exp(s[j] - max) / sum * v[va + d];
                            }
                            y[qa + d] = (float) acc;
                        }
                    }
                }
            }
        }
        return y;
    }

    static Map<String, Tensor> run(Map<String, Tensor> in, Map<String, String> attrs) {
        String op = ATTENTION;
        new OpAttributes(op, attrs, ATTRS);  // refuses unknown attribute names
        Map<String, String> a = attrs == null ? Map.of() : attrs;
        for (String name : in.keySet()) {
            if (!Set.of("q", "k", "v").contains(name) || in.get(name) == null) {
                throw new InvalidArgumentException(op, name, "an input of " + op + " (q, k, v)",
                        "unknown input '" + name + "'");
            }
        }
        String mode = a.getOrDefault("kv_frames", "same").strip().toLowerCase(java.util.Locale.ROOT);
        if (!Set.of("same", "first", "sparse_causal", "all", "context").contains(mode)) {
            throw new InvalidArgumentException(op, "kv_frames", "one of same, first, sparse_causal, all, context",
                    "'" + mode + "'");
        }
        Tensor q = in.get("q"), k = in.get("k"), v = in.get("v");
        if (q == null || q.rank() != 5) {
            throw new InvalidArgumentException(op, "q", "a tensor [B,T,Nq,heads,D]",
                    q == null ? "none" : Arrays.toString(q.shape()));
        }
        long[] qs = q.shape();
        boolean context = mode.equals("context");
        int kvRank = context ? 4 : 5;
        if (k == null || v == null || k.rank() != kvRank || !Arrays.equals(k.shape(), v.shape())) {
            throw new InvalidArgumentException(op, k == null || k.rank() != kvRank ? "k" : "v",
                    context ? "tensors [B,L,heads,D] of one shape" : "tensors [B,Tk,Nk,heads,D] of one shape",
                    k == null ? "none" : Arrays.toString(k.shape()));
        }
        long[] ks = k.shape();
        long tk = context ? 1 : ks[1], keys = context ? ks[1] : ks[2];
        boolean framesOk = context || ((mode.equals("same") || mode.equals("sparse_causal")) ? tk == qs[1] : tk >= 1);
        if (ks[0] != qs[0] || ks[kvRank - 2] != qs[3] || ks[kvRank - 1] != qs[4] || keys < 1 || !framesOk) {
            throw new InvalidArgumentException(op, "k", "batch, heads and D of q, Nk >= 1 and Tk as kv_frames "
                    + mode + " requires", Arrays.toString(ks));
        }
        double scale = a.containsKey("scale") ? Double.parseDouble(a.get("scale").strip()) : 1.0 / Math.sqrt(qs[4]);
        float[] y = attention(q.toFloats(), k.toFloats(), v.toFloats(), qs, (int) tk, (int) keys, mode, scale);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("y", Tensor.hostFromFloats(y, qs));
        return out;
    }
}
