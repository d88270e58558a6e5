package dev.kinema;

import dev.kinema.raw.kn_group_norm_params;
import dev.kinema.raw.kn_layer_norm_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** group_norm and layer_norm (OPS.md): validation, then one native call. y may be x itself (in place). */
final class NormOps {
    static final String GROUP_NORM = "group_norm";
    static final String LAYER_NORM = "layer_norm";

    private NormOps() {
    }

    /** y == null: allocate y; else write into y. */
    static Tensor groupNorm(Kinema runtime, Tensor x, Tensor gamma, Tensor beta, int groups, double eps,
                            boolean perFrame, boolean silu, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(GROUP_NORM, runtime);
        check.input("x", x);
        check.rank("x", x, 5, "[B,T,H,W,C]");
        long channels = x.shape()[4];
        long[] perChannel = {channels};
        check.input("gamma", gamma);
        check.dtype("gamma", gamma, x.dtype(), "x");
        check.shape("gamma", gamma, perChannel, "[C]");
        check.input("beta", beta);
        check.dtype("beta", beta, x.dtype(), "x");
        check.shape("beta", beta, perChannel, "[C]");
        if (groups < 1 || channels % groups != 0) {
            throw check.fail("groups", ">= 1 and dividing C = " + channels, Integer.toString(groups));
        }
        checkEps(check, eps);
        if (y != null) {
            checkOutput(check, x, y);
            check.disjoint("y", y, "gamma", gamma);
            check.disjoint("y", y, "beta", beta);
        }
        Tensor out = y != null ? y : runtime.allocateUninitialized(GROUP_NORM, x.dtype(), x.shape());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_group_norm_params.allocate(arena);
            NativeCalls.describe(kn_group_norm_params.x(params), x);
            NativeCalls.describe(kn_group_norm_params.gamma(params), gamma);
            NativeCalls.describe(kn_group_norm_params.beta(params), beta);
            NativeCalls.describe(kn_group_norm_params.y(params), out);
            kn_group_norm_params.eps(params, eps);
            kn_group_norm_params.groups(params, groups);
            kn_group_norm_params.per_frame(params, perFrame ? 1 : 0);
            kn_group_norm_params.silu(params, silu ? 1 : 0);
            NativeCalls.run(runtime, NativeCalls.Entries.GROUP_NORM, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** y == null: allocate y; else write into y. */
    static Tensor layerNorm(Kinema runtime, Tensor x, Tensor gamma, Tensor beta, Tensor shift, Tensor scale,
                            double eps, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(LAYER_NORM, runtime);
        check.input("x", x);
        if (x.rank() < 2) {
            throw check.fail("x", "rank >= 2 [B,...,C]", "rank " + x.rank() + " " + Shapes.format(x.shape()));
        }
        long[] shape = x.shape();
        long channels = shape[shape.length - 1];
        long[] perChannel = {channels};
        long[] perBatch = {shape[0], channels};
        check.optional("gamma", gamma);
        check.dtype("gamma", gamma, x.dtype(), "x");
        check.shape("gamma", gamma, perChannel, "[C]");
        check.optional("beta", beta);
        check.dtype("beta", beta, x.dtype(), "x");
        check.shape("beta", beta, perChannel, "[C]");
        check.optional("shift", shift);
        check.dtype("shift", shift, x.dtype(), "x");
        check.shape("shift", shift, perBatch, "[B,C]");
        check.optional("scale", scale);
        check.dtype("scale", scale, x.dtype(), "x");
        check.shape("scale", scale, perBatch, "[B,C]");
        checkEps(check, eps);
        if (y != null) {
            checkOutput(check, x, y);
            check.disjoint("y", y, "gamma", gamma);
            check.disjoint("y", y, "beta", beta);
            check.disjoint("y", y, "shift", shift);
            check.disjoint("y", y, "scale", scale);
        }
        Tensor out = y != null ? y : runtime.allocateUninitialized(LAYER_NORM, x.dtype(), shape);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_layer_norm_params.allocate(arena);
            NativeCalls.describe(kn_layer_norm_params.x(params), x);
            NativeCalls.describe(kn_layer_norm_params.gamma(params), gamma);
            NativeCalls.describe(kn_layer_norm_params.beta(params), beta);
            NativeCalls.describe(kn_layer_norm_params.shift(params), shift);
            NativeCalls.describe(kn_layer_norm_params.scale(params), scale);
            NativeCalls.describe(kn_layer_norm_params.y(params), out);
            kn_layer_norm_params.eps(params, eps);
            NativeCalls.run(runtime, NativeCalls.Entries.LAYER_NORM, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** Kinema.run's attributes of group_norm / layer_norm, parsed before any upload. */
    record NamedAttrs(int groups, double eps, boolean perFrame, boolean silu) {
        static NamedAttrs parse(String op, java.util.Map<String, String> attrs) {
            double eps = number(op, attrs, "eps", 1e-5);
            if (op.equals(LAYER_NORM)) {
                return new NamedAttrs(0, eps, false, false);
            }
            String groups = attrs.get("groups");
            if (groups == null) {
                throw new InvalidArgumentException(op, "groups", "an integer (required attribute)", "nothing");
            }
            int g;
            try {
                g = Integer.parseInt(groups.strip());
            } catch (NumberFormatException e) {
                throw new InvalidArgumentException(op, "groups", "an integer", "'" + groups + "'");
            }
            return new NamedAttrs(g, eps, flag(op, attrs, "per_frame"), flag(op, attrs, "silu"));
        }

        private static double number(String op, java.util.Map<String, String> attrs, String name, double fallback) {
            String text = attrs.get(name);
            if (text == null) {
                return fallback;
            }
            try {
                return Double.parseDouble(text.strip());
            } catch (NumberFormatException e) {
                throw new InvalidArgumentException(op, name, "a number", "'" + text + "'");
            }
        }

        private static boolean flag(String op, java.util.Map<String, String> attrs, String name) {
            String text = attrs.get(name);
            if (text == null) {
                return false;
            }
            return switch (text.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "1", "true" -> true;
                case "0", "false" -> false;
                default -> throw new InvalidArgumentException(op, name, "a boolean (true, false, 1 or 0)", "'" + text + "'");
            };
        }
    }

    /** Kinema.run's call of either op on tensors of the runtime; y null: allocate it. */
    static Tensor runNamed(Kinema runtime, String op, java.util.Map<String, Tensor> on, NamedAttrs a, Tensor y) {
        return op.equals(GROUP_NORM)
                ? groupNorm(runtime, on.get("x"), on.get("gamma"), on.get("beta"), a.groups(), a.eps(), a.perFrame(),
                        a.silu(), y)
                : layerNorm(runtime, on.get("x"), on.get("gamma"), on.get("beta"), on.get("shift"), on.get("scale"),
                        a.eps(), y);
    }

    private static void checkEps(OpChecks check, double eps) {
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw check.fail("eps", "a finite number > 0", Double.toString(eps));
        }
    }

    private static void checkOutput(OpChecks check, Tensor x, Tensor y) {
        check.input("y", y);
        check.dtype("y", y, x.dtype(), "x");
        check.shape("y", y, x.shape(), "(the shape of x)");
        check.disjointOrSame("y", y, "x", x);
    }
}
