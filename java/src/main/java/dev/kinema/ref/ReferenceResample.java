package dev.kinema.ref;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * upsample_nearest, patchify, unpatchify, alpha_blend, timestep_embedding (OPS.md) and concat
 * (torch.cat(dim=-1)) as plain loops indexed from the output element back to its source; alpha_blend
 * and the embedding in float64.
 */
final class ReferenceResample {
    static final String UPSAMPLE_NEAREST = "upsample_nearest";
    static final String PATCHIFY = "patchify";
    static final String UNPATCHIFY = "unpatchify";
    static final String ALPHA_BLEND = "alpha_blend";
    static final String TIMESTEP_EMBEDDING = "timestep_embedding";
    static final String CONCAT = "concat";
    static final List<String> OPS = List.of(UPSAMPLE_NEAREST, PATCHIFY, UNPATCHIFY, ALPHA_BLEND, TIMESTEP_EMBEDDING,
            CONCAT);

    private ReferenceResample() {}

    static Set<String> attrs(String op) {
        return switch (op) {
            case PATCHIFY -> Set.of("p");
            case UNPATCHIFY -> Set.of("p", "H", "W");
            case ALPHA_BLEND -> Set.of("mode");
            case TIMESTEP_EMBEDDING -> Set.of("dim", "flip_sin_to_cos", "downscale_freq_shift", "max_period");
            default -> Set.of();
        };
    }

    private static List<String> inputs(String op) {
        return switch (op) {
            case ALPHA_BLEND -> List.of("x_spatial", "x_temporal", "mix");
            case TIMESTEP_EMBEDDING -> List.of("t");
            case CONCAT -> List.of("x", "z");
            default -> List.of("x");
        };
    }

    static Map<String, Tensor> run(String op, Map<String, Tensor> in, OpAttributes attrs) {
        List<String> names = inputs(op);
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            if (!names.contains(e.getKey()) || e.getValue() == null) {
                throw new InvalidArgumentException(op, e.getKey(), "an input of " + op + " (one of "
                        + String.join(", ", names) + ")", "unknown input '" + e.getKey() + "'");
            }
        }
        for (String name : names) {
            if (in.get(name) == null) {
                throw new InvalidArgumentException(op, name, "a tensor", "none");
            }
        }
        Tensor y = switch (op) {
            case UPSAMPLE_NEAREST -> upsample(op, in.get("x"));
            case PATCHIFY -> patchify(op, in.get("x"), positive(op, "p", attrs.number("p", Double.NaN)));
            case UNPATCHIFY -> unpatchify(op, in.get("x"), positive(op, "p", attrs.number("p", Double.NaN)),
                    positive(op, "H", attrs.number("H", Double.NaN)), positive(op, "W", attrs.number("W", Double.NaN)));
            case ALPHA_BLEND -> blend(op, in, attrs.choice("mode", "learned", Set.of("fixed", "learned")).equals("learned"));
            case CONCAT -> concat(op, in.get("x"), in.get("z"));
            default -> embedding(op, in.get("t"), attrs);
        };
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("y", y);
        return out;
    }

    /** y[..., c] = x[..., c] for c < C1, else z[..., c - C1]; the leading dims of x and z must agree. */
    private static Tensor concat(String op, Tensor xt, Tensor zt) {
        long[] xs = xt.shape(), zs = zt.shape();
        if (xs.length < 1) {
            throw new InvalidArgumentException(op, "x", "rank >= 1 [..., C1]", Arrays.toString(xs));
        }
        int last = xs.length - 1;
        if (zs.length != xs.length || !Arrays.equals(Arrays.copyOf(zs, last), Arrays.copyOf(xs, last))) {
            throw new InvalidArgumentException(op, "z", "[..., C2] with x's leading dims "
                    + Arrays.toString(Arrays.copyOf(xs, last)), Arrays.toString(zs));
        }
        float[] x = xt.toFloats(), z = zt.toFloats();
        int c1 = (int) xs[last], c2 = (int) zs[last], cy = c1 + c2;
        long[] ys = xs.clone();
        ys[last] = cy;
        float[] y = new float[x.length + z.length];
        for (int o = 0; o < y.length; o++) {
            int row = o / cy, c = o % cy;
            y[o] = c < c1 ? x[row * c1 + c] : z[row * c2 + c - c1];
        }
        return Tensor.hostFromFloats(y, ys);
    }

    private static int positive(String op, String name, double v) {
        if (Double.isNaN(v) || v != Math.rint(v) || v < 1 || v > Integer.MAX_VALUE) {
            throw new InvalidArgumentException(op, name, "an integer >= 1", Double.toString(v));
        }
        return (int) v;
    }

    private static long[] rank(String op, String name, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new InvalidArgumentException(op, name, "rank " + rank, Arrays.toString(t.shape()));
        }
        return t.shape();
    }

    private static Tensor upsample(String op, Tensor xt) {
        long[] s = rank(op, "x", xt, 5);
        int frames = (int) (s[0] * s[1]), h = (int) s[2], w = (int) s[3], c = (int) s[4];
        float[] x = xt.toFloats();
        float[] y = new float[frames * 4 * h * w * c];
        for (int f = 0; f < frames; f++) {
            for (int i = 0; i < 2 * h; i++) {
                for (int j = 0; j < 2 * w; j++) {
                    for (int ch = 0; ch < c; ch++) {
                        y[((f * 2 * h + i) * 2 * w + j) * c + ch] = x[((f * h + i / 2) * w + j / 2) * c + ch];
                    }
                }
            }
        }
        return Tensor.hostFromFloats(y, s[0], s[1], 2 * s[2], 2 * s[3], s[4]);
    }

    /** The token index and feature of image element (h, w, ch) for patch size p on a W-wide image. */
    private static int tokenOffset(int f, int h, int w, int ch, int p, int hp, int wp, int c) {
        return ((f * hp * wp + (h / p) * wp + w / p) * p * p + (h % p) * p + w % p) * c + ch;
    }

    private static Tensor patchify(String op, Tensor xt, int p) {
        long[] s = rank(op, "x", xt, 5);
        if (s[2] % p != 0 || s[3] % p != 0) {
            throw new InvalidArgumentException(op, "p", "a divisor of H and W (" + s[2] + ", " + s[3] + ")", Integer.toString(p));
        }
        int frames = (int) (s[0] * s[1]), h = (int) s[2], w = (int) s[3], c = (int) s[4], hp = h / p, wp = w / p;
        float[] x = xt.toFloats();
        float[] y = new float[x.length];
        for (int f = 0; f < frames; f++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    for (int ch = 0; ch < c; ch++) {
                        y[tokenOffset(f, i, j, ch, p, hp, wp, c)] = x[((f * h + i) * w + j) * c + ch];
                    }
                }
            }
        }
        return Tensor.hostFromFloats(y, s[0], s[1], (long) hp * wp, (long) p * p * c);
    }

    private static Tensor unpatchify(String op, Tensor xt, int p, int h, int w) {
        long[] s = rank(op, "x", xt, 4);
        if (h % p != 0 || w % p != 0) {
            throw new InvalidArgumentException(op, "p", "a divisor of H and W (" + h + ", " + w + ")", Integer.toString(p));
        }
        int hp = h / p, wp = w / p;
        if (s[2] != (long) hp * wp || s[3] % ((long) p * p) != 0) {
            throw new InvalidArgumentException(op, "x", "shape [B,T," + (hp * wp) + ",p*p*C] with p=" + p, Arrays.toString(s));
        }
        int frames = (int) (s[0] * s[1]), c = (int) (s[3] / ((long) p * p));
        float[] x = xt.toFloats();
        float[] y = new float[x.length];
        for (int f = 0; f < frames; f++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    for (int ch = 0; ch < c; ch++) {
                        y[((f * h + i) * w + j) * c + ch] = x[tokenOffset(f, i, j, ch, p, hp, wp, c)];
                    }
                }
            }
        }
        return Tensor.hostFromFloats(y, s[0], s[1], h, w, c);
    }

    private static Tensor blend(String op, Map<String, Tensor> in, boolean learned) {
        long[] s = in.get("x_spatial").shape();
        if (!Arrays.equals(s, in.get("x_temporal").shape())) {
            throw new InvalidArgumentException(op, "x_temporal", "shape " + Arrays.toString(s),
                    Arrays.toString(in.get("x_temporal").shape()));
        }
        if (!Arrays.equals(new long[] {1}, in.get("mix").shape())) {
            throw new InvalidArgumentException(op, "mix", "shape [1]", Arrays.toString(in.get("mix").shape()));
        }
        double mix = in.get("mix").toFloats()[0];
        double alpha = learned ? 1 / (1 + Math.exp(-mix)) : mix;
        float[] xs = in.get("x_spatial").toFloats();
        float[] xt = in.get("x_temporal").toFloats();
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) (alpha * xs[i] + (1 - alpha) * xt[i]);
        }
        return Tensor.hostFromFloats(y, s);
    }

    private static Tensor embedding(String op, Tensor tt, OpAttributes attrs) {
        long[] s = rank(op, "t", tt, 1);
        int dim = positive(op, "dim", attrs.number("dim", Double.NaN));
        if (dim % 2 != 0) {
            throw new InvalidArgumentException(op, "dim", "an even number >= 2", Integer.toString(dim));
        }
        boolean flip = attrs.choice("flip_sin_to_cos", "false", Set.of("true", "false", "1", "0")).matches("true|1");
        double shift = attrs.number("downscale_freq_shift", 1.0);
        double maxPeriod = attrs.number("max_period", 10000.0);
        int half = dim / 2;
        if (half - shift == 0 || maxPeriod <= 0) {
            throw new InvalidArgumentException(op, half - shift == 0 ? "downscale_freq_shift" : "max_period",
                    "dim/2 - shift != 0 and max_period > 0", "shift " + shift + ", max_period " + maxPeriod);
        }
        float[] t = tt.toFloats();
        float[] y = new float[t.length * dim];
        for (int b = 0; b < t.length; b++) {
            for (int i = 0; i < half; i++) {
                double arg = t[b] * Math.exp(-Math.log(maxPeriod) * i / (half - shift));
                y[b * dim + i] = (float) (flip ? Math.cos(arg) : Math.sin(arg));
                y[b * dim + half + i] = (float) (flip ? Math.sin(arg) : Math.cos(arg));
            }
        }
        return Tensor.hostFromFloats(y, s[0], dim);
    }
}
