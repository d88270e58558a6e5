package dev.kinema;

import dev.kinema.raw.kinema_h;
import dev.kinema.raw.kn_elementwise_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * The elementwise ops of OPS.md (add, mul, silu, gelu, scale_add) over one native entry point,
 * kn_elementwise, with an op kind. z broadcasts to x as {@link Broadcast} defines (x's leading dims,
 * 1s, x's trailing dims); y has x's shape and may be x itself (in place).
 */
final class ElementwiseOps {
    static final String ADD = "add";
    static final String MUL = "mul";
    static final String SILU = "silu";
    static final String GELU = "gelu";
    static final String SCALE_ADD = "scale_add";

    private ElementwiseOps() {
    }

    /** The kn_elementwise_op code of an OPS.md name. */
    static int code(String op) {
        return switch (op) {
            case ADD -> kinema_h.KN_ELEMENTWISE_ADD();
            case MUL -> kinema_h.KN_ELEMENTWISE_MUL();
            case SILU -> kinema_h.KN_ELEMENTWISE_SILU();
            case GELU -> kinema_h.KN_ELEMENTWISE_GELU();
            case SCALE_ADD -> kinema_h.KN_ELEMENTWISE_SCALE_ADD();
            default -> throw new IllegalArgumentException("not an elementwise op: " + op);
        };
    }

    static boolean binary(String op) {
        return op.equals(ADD) || op.equals(MUL) || op.equals(SCALE_ADD);
    }

    /** y == null: allocate y; else write into y. z must be null for silu and gelu. */
    static Tensor run(Kinema runtime, String op, Tensor x, Tensor z, double a, double b, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(op, runtime);
        check.input("x", x);
        if (binary(op)) {
            check.input("z", z);
            check.dtype("z", z, x.dtype(), "x");
            if (Broadcast.split(x.shape(), z.shape()) == null) {
                throw check.fail("z", Broadcast.expected(x.shape()), Shapes.format(z.shape()));
            }
            if (op.equals(SCALE_ADD) && (!Double.isFinite(a) || !Double.isFinite(b))) {
                throw check.fail(Double.isFinite(a) ? "b" : "a", "a finite number", Double.toString(Double.isFinite(a) ? b : a));
            }
        } else if (z != null) {
            throw check.fail("z", "no tensor (" + op + " is unary)", "a tensor");
        }
        if (y != null) {
            check.input("y", y);
            check.dtype("y", y, x.dtype(), "x");
            check.shape("y", y, x.shape(), "(the shape of x)");
            check.disjointOrSame("y", y, "x", x);
            check.disjoint("y", y, "z", z);
        }
        Tensor out = y != null ? y : runtime.allocateUninitialized(op, x.dtype(), x.shape());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_elementwise_params.allocate(arena);
            NativeCalls.describe(kn_elementwise_params.x(params), x);
            NativeCalls.describe(kn_elementwise_params.z(params), z);
            NativeCalls.describe(kn_elementwise_params.y(params), out);
            kn_elementwise_params.a(params, a);
            kn_elementwise_params.b(params, b);
            kn_elementwise_params.op(params, code(op));
            NativeCalls.run(runtime, NativeCalls.Entries.ELEMENTWISE, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** Kinema.run's attributes (scale_add's a and b, default 1), parsed before any upload. */
    static double[] parseAttrs(String op, Map<String, String> attrs) {
        return new double[] {number(op, attrs, "a"), number(op, attrs, "b")};
    }

    private static double number(String op, Map<String, String> attrs, String name) {
        String text = attrs.get(name);
        if (text == null) {
            return 1.0;
        }
        double v;
        try {
            v = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(op, name, "a number", "'" + text + "'");
        }
        if (!Double.isFinite(v)) {
            throw new InvalidArgumentException(op, name, "a finite number", text);
        }
        return v;
    }

    /** Kinema.run's call on tensors of the runtime; y null: allocate it. */
    static Tensor runNamed(Kinema runtime, String op, Map<String, Tensor> on, double[] ab, Tensor y) {
        return run(runtime, op, on.get("x"), on.get("z"), ab[0], ab[1], y);
    }
}
