package dev.kinema;

import dev.kinema.raw.kinema_h;
import dev.kinema.raw.kn_alpha_blend_params;
import dev.kinema.raw.kn_concat_params;
import dev.kinema.raw.kn_patch_params;
import dev.kinema.raw.kn_timestep_embedding_params;
import dev.kinema.raw.kn_upsample_nearest_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * upsample_nearest, patchify, unpatchify, alpha_blend, timestep_embedding and concat. Arguments are
 * checked here first, so a bad call fails before any native code runs, naming the op and argument.
 * unpatchify takes the image's H and W (its token tensor alone cannot tell 2x8 from 4x4 patches).
 */
final class ResampleOps {
    static final String UPSAMPLE_NEAREST = "upsample_nearest";
    static final String PATCHIFY = "patchify";
    static final String UNPATCHIFY = "unpatchify";
    static final String ALPHA_BLEND = "alpha_blend";
    static final String TIMESTEP_EMBEDDING = "timestep_embedding";
    static final String CONCAT = "concat";
    private static final String X_DIMS = "[B,T,H,W,C]";

    private ResampleOps() {
    }

    /** y == null: allocate y; else write into y, which may not overlap x. */
    static Tensor upsampleNearest(Kinema runtime, Tensor x, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(UPSAMPLE_NEAREST, runtime);
        check.input("x", x);
        check.rank("x", x, 5, X_DIMS);
        long[] s = x.shape();
        Tensor out = output(runtime, check, UPSAMPLE_NEAREST, x, new long[] {s[0], s[1], 2 * s[2], 2 * s[3], s[4]}, y,
                "[B,T,2H,2W,C]");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_upsample_nearest_params.allocate(arena);
            NativeCalls.describe(kn_upsample_nearest_params.x(params), x);
            NativeCalls.describe(kn_upsample_nearest_params.y(params), out);
            NativeCalls.run(runtime, NativeCalls.Entries.UPSAMPLE_NEAREST, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** y itself after checking it (dtype and shape of the result, disjoint from x), or a new tensor. */
    private static Tensor output(Kinema runtime, OpChecks check, String op, Tensor x, long[] shape, Tensor y, String dims) {
        if (y == null) {
            return runtime.allocateUninitialized(op, x.dtype(), shape);
        }
        check.input("y", y);
        check.dtype("y", y, x.dtype(), "x");
        check.shape("y", y, shape, dims);
        check.disjoint("y", y, "x", x);
        return y;
    }

    private static void checkPatch(OpChecks check, int p, long h, long w, String image) {
        if (p < 1) {
            throw check.fail("p", "a patch size >= 1", Integer.toString(p));
        }
        if (h % p != 0 || w % p != 0) {
            throw check.fail("p", "a divisor of " + image + "'s H and W (" + h + ", " + w + ")", Integer.toString(p));
        }
    }

    /** y == null: allocate y; else write into y, which may not overlap x. */
    static Tensor patchify(Kinema runtime, Tensor x, int p, Tensor out) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(PATCHIFY, runtime);
        check.input("x", x);
        check.rank("x", x, 5, X_DIMS);
        long[] s = x.shape();
        checkPatch(check, p, s[2], s[3], "x");
        long[] y = {s[0], s[1], (s[2] / p) * (s[3] / p), (long) p * p * s[4]};
        return patchCall(runtime, check, PATCHIFY, x, y, p, out, "[B,T,(H/p)*(W/p),p*p*C]");
    }

    /** y == null: allocate y; else write into y, which may not overlap x. */
    static Tensor unpatchify(Kinema runtime, Tensor x, int p, long h, long w, Tensor out) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(UNPATCHIFY, runtime);
        check.input("x", x);
        check.rank("x", x, 4, "[B,T,N,p*p*C]");
        if (h < 0 || w < 0) {
            throw check.fail(h < 0 ? "H" : "W", "a size >= 0", Long.toString(Math.min(h, w)));
        }
        checkPatch(check, p, h, w, "the image");
        long[] s = x.shape();
        long patchArea = (long) p * p;
        if (s[3] % patchArea != 0) {
            throw check.fail("x", "a last dim divisible by p*p = " + patchArea + " (it is p*p*C)", Shapes.format(s));
        }
        long[] expected = {s[0], s[1], (h / p) * (w / p), s[3]};
        check.shape("x", x, expected, "([B,T,(H/p)*(W/p),p*p*C] for H=" + h + ", W=" + w + ", p=" + p + ")");
        return patchCall(runtime, check, UNPATCHIFY, x, new long[] {s[0], s[1], h, w, s[3] / patchArea}, p, out,
                "[B,T,H,W,C]");
    }

    private static Tensor patchCall(Kinema runtime, OpChecks check, String op, Tensor x, long[] yShape, int p, Tensor y,
                                    String dims) {
        Tensor out = output(runtime, check, op, x, yShape, y, dims);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_patch_params.allocate(arena);
            NativeCalls.describe(kn_patch_params.x(params), x);
            NativeCalls.describe(kn_patch_params.y(params), out);
            kn_patch_params.p(params, p);
            NativeCalls.run(runtime, op.equals(PATCHIFY) ? NativeCalls.Entries.PATCHIFY : NativeCalls.Entries.UNPATCHIFY,
                    params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** y == null: allocate y; else write into y, which may be xSpatial or xTemporal itself. */
    static Tensor alphaBlend(Kinema runtime, Tensor xSpatial, Tensor xTemporal, Tensor mix, boolean learned, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(ALPHA_BLEND, runtime);
        check.input("x_spatial", xSpatial);
        check.input("x_temporal", xTemporal);
        check.input("mix", mix);
        check.dtype("x_temporal", xTemporal, xSpatial.dtype(), "x_spatial");
        check.dtype("mix", mix, xSpatial.dtype(), "x_spatial");
        check.shape("x_temporal", xTemporal, xSpatial.shape(), "(the shape of x_spatial)");
        check.shape("mix", mix, new long[] {1}, "(one blend factor)");
        if (y != null) {
            check.input("y", y);
            check.dtype("y", y, xSpatial.dtype(), "x_spatial");
            check.shape("y", y, xSpatial.shape(), "(the shape of x_spatial)");
            check.disjointOrSame("y", y, "x_spatial", xSpatial);
            check.disjointOrSame("y", y, "x_temporal", xTemporal);
            check.disjoint("y", y, "mix", mix);
        }
        Tensor out = y != null ? y : runtime.allocateUninitialized(ALPHA_BLEND, xSpatial.dtype(), xSpatial.shape());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_alpha_blend_params.allocate(arena);
            NativeCalls.describe(kn_alpha_blend_params.x_spatial(params), xSpatial);
            NativeCalls.describe(kn_alpha_blend_params.x_temporal(params), xTemporal);
            NativeCalls.describe(kn_alpha_blend_params.mix(params), mix);
            NativeCalls.describe(kn_alpha_blend_params.y(params), out);
            kn_alpha_blend_params.mode(params, learned ? kinema_h.KN_BLEND_LEARNED() : kinema_h.KN_BLEND_FIXED());
            NativeCalls.run(runtime, NativeCalls.Entries.ALPHA_BLEND, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** y == null: allocate y; else write into y, which may not overlap t. */
    static Tensor timestepEmbedding(Kinema runtime, Tensor t, int dim, boolean flipSinToCos, double downscaleFreqShift,
                                    double maxPeriod, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(TIMESTEP_EMBEDDING, runtime);
        check.input("t", t);
        check.rank("t", t, 1, "[B]");
        if (dim < 2 || dim % 2 != 0) {
            throw check.fail("dim", "an even number >= 2", Integer.toString(dim));
        }
        if (!Double.isFinite(downscaleFreqShift)) {
            throw check.fail("downscale_freq_shift", "a finite number", Double.toString(downscaleFreqShift));
        }
        if (dim / 2 - downscaleFreqShift == 0) {
            throw check.fail("downscale_freq_shift", "a value other than dim/2 = " + dim / 2
                    + " (the frequencies divide by dim/2 - shift)", Double.toString(downscaleFreqShift));
        }
        if (!Double.isFinite(maxPeriod) || maxPeriod <= 0) {
            throw check.fail("max_period", "a finite number > 0", Double.toString(maxPeriod));
        }
        Tensor out;
        if (y == null) {
            out = runtime.allocateUninitialized(TIMESTEP_EMBEDDING, t.dtype(), new long[] {t.shape()[0], dim});
        } else {
            check.input("y", y);
            check.dtype("y", y, t.dtype(), "t");
            check.shape("y", y, new long[] {t.shape()[0], dim}, "[B,dim]");
            check.disjoint("y", y, "t", t);
            out = y;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_timestep_embedding_params.allocate(arena);
            NativeCalls.describe(kn_timestep_embedding_params.t(params), t);
            NativeCalls.describe(kn_timestep_embedding_params.y(params), out);
            kn_timestep_embedding_params.dim(params, dim);
            kn_timestep_embedding_params.flip_sin_to_cos(params, flipSinToCos ? 1 : 0);
            kn_timestep_embedding_params.downscale_freq_shift(params, downscaleFreqShift);
            kn_timestep_embedding_params.max_period(params, maxPeriod);
            NativeCalls.run(runtime, NativeCalls.Entries.TIMESTEP_EMBEDDING, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** y == null: allocate y; else write into y, which may not overlap x or z. */
    static Tensor concat(Kinema runtime, Tensor x, Tensor z, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(CONCAT, runtime);
        check.input("x", x);
        check.input("z", z);
        if (x.rank() < 1) {
            throw check.fail("x", "rank >= 1 [..., C1]", "rank 0 " + Shapes.format(x.shape()));
        }
        check.dtype("z", z, x.dtype(), "x");
        check.rank("z", z, x.rank(), "[..., C2] (the rank of x)");
        long[] zShape = x.shape();
        int last = zShape.length - 1;
        zShape[last] = z.shape()[last];
        check.shape("z", z, zShape, "(x's leading dims, any last dim)");
        long[] yShape = x.shape();
        yShape[last] += zShape[last];
        Tensor out = output(runtime, check, CONCAT, x, yShape, y, "[..., C1+C2]");
        if (y != null) {
            check.disjoint("y", y, "z", z);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_concat_params.allocate(arena);
            NativeCalls.describe(kn_concat_params.x(params), x);
            NativeCalls.describe(kn_concat_params.z(params), z);
            NativeCalls.describe(kn_concat_params.y(params), out);
            NativeCalls.run(runtime, NativeCalls.Entries.CONCAT, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** Kinema.run's attributes of one of these ops, parsed before any upload. */
    record NamedAttrs(int p, long h, long w, boolean learned, int dim, boolean flip, double shift, double maxPeriod) {
        static NamedAttrs parse(String op, Map<String, String> attrs) {
            return switch (op) {
                case PATCHIFY -> new NamedAttrs(integer(op, attrs, "p", null), 0, 0, false, 0, false, 0, 0);
                case UNPATCHIFY -> new NamedAttrs(integer(op, attrs, "p", null), integer(op, attrs, "H", null),
                        integer(op, attrs, "W", null), false, 0, false, 0, 0);
                case ALPHA_BLEND -> {
                    String mode = attrs.getOrDefault("mode", "learned").strip();
                    if (!mode.equals("fixed") && !mode.equals("learned")) {
                        throw new InvalidArgumentException(op, "mode", "fixed or learned", "'" + mode + "'");
                    }
                    yield new NamedAttrs(0, 0, 0, mode.equals("learned"), 0, false, 0, 0);
                }
                case TIMESTEP_EMBEDDING -> new NamedAttrs(0, 0, 0, false, integer(op, attrs, "dim", null),
                        flag(op, attrs, "flip_sin_to_cos"), number(op, attrs, "downscale_freq_shift", 1.0),
                        number(op, attrs, "max_period", 10000.0));
                default -> new NamedAttrs(0, 0, 0, false, 0, false, 0, 0);
            };
        }

        private static int integer(String op, Map<String, String> attrs, String name, Integer fallback) {
            String text = attrs.get(name);
            if (text == null) {
                if (fallback == null) {
                    throw new InvalidArgumentException(op, name, "an integer (required attribute)", "nothing");
                }
                return fallback;
            }
            try {
                return Integer.parseInt(text.strip());
            } catch (NumberFormatException e) {
                throw new InvalidArgumentException(op, name, "an integer", "'" + text + "'");
            }
        }

        private static double number(String op, Map<String, String> attrs, String name, double fallback) {
            String text = attrs.get(name);
            if (text == null) {
                return fallback;
            }
            try {
                double v = Double.parseDouble(text.strip());
                if (Double.isFinite(v)) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new InvalidArgumentException(op, name, "a finite number", "'" + text + "'");
        }

        private static boolean flag(String op, Map<String, String> attrs, String name) {
            String text = attrs.getOrDefault(name, "false").strip();
            return switch (text) {
                case "1", "true" -> true;
                case "0", "false" -> false;
                default -> throw new InvalidArgumentException(op, name, "a boolean (true, false, 1 or 0)", "'" + text + "'");
            };
        }
    }

    /** Kinema.run's call on tensors of the runtime; y null: allocate it. */
    static Tensor runNamed(Kinema runtime, String op, Map<String, Tensor> on, NamedAttrs a, Tensor y) {
        return switch (op) {
            case UPSAMPLE_NEAREST -> upsampleNearest(runtime, on.get("x"), y);
            case PATCHIFY -> patchify(runtime, on.get("x"), a.p(), y);
            case UNPATCHIFY -> unpatchify(runtime, on.get("x"), a.p(), a.h(), a.w(), y);
            case ALPHA_BLEND -> alphaBlend(runtime, on.get("x_spatial"), on.get("x_temporal"), on.get("mix"), a.learned(), y);
            case CONCAT -> concat(runtime, on.get("x"), on.get("z"), y);
            default -> timestepEmbedding(runtime, on.get("t"), a.dim(), a.flip(), a.shift(), a.maxPeriod(), y);
        };
    }
}
