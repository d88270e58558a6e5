package dev.kinema;

import dev.kinema.raw.kn_conv3d_params;
import dev.kinema.raw.kn_linear_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** linear (GEMM with fused epilogue) and conv3d (OPS.md): validation, then one native call. */
final class LinearOps {
    static final String LINEAR = "linear";
    static final String CONV3D = "conv3d";

    private LinearOps() {
    }

    /** y == null: allocate the output; else write into y. */
    static Tensor linear(Kinema runtime, Tensor x, Tensor w, Tensor b, Tensor residual, Tensor gate, Activation act,
                         Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(LINEAR, runtime);
        check.input("x", x);
        if (x.rank() < 2) {
            throw check.fail("x", "rank >= 2 [..., K]", "rank " + x.rank() + " " + Shapes.format(x.shape()));
        }
        check.input("w", w);
        check.rank("w", w, 2, "[N,K]");
        check.dtype("w", w, x.dtype(), "x");
        if (act == null) {
            throw check.fail("act", "one of none, gelu, gelu_tanh, silu, geglu", "null");
        }
        long k = x.dim(x.rank() - 1);
        long n = w.dim(0);
        if (w.dim(1) != k) {
            throw check.fail("w", "shape [N, " + k + "] with K = x's last dimension", Shapes.format(w.shape()));
        }
        if (act == Activation.GEGLU && n % 2 != 0) {
            throw check.fail("w", "an even N (rows) for act geglu", Shapes.format(w.shape()));
        }
        check.optional("b", b);
        check.dtype("b", b, x.dtype(), "x");
        check.shape("b", b, new long[] {n}, "[N]");
        long nOut = act == Activation.GEGLU ? n / 2 : n;
        long[] outShape = Arrays.copyOf(x.shape(), x.rank());
        outShape[x.rank() - 1] = nOut;
        check.optional("gate", gate);
        check.dtype("gate", gate, x.dtype(), "x");
        check.shape("gate", gate, new long[] {x.dim(0), nOut}, "[B,N']");
        check.optional("residual", residual);
        check.dtype("residual", residual, x.dtype(), "x");
        check.shape("residual", residual, outShape, "[..., N']");
        if (y != null) {
            check.input("y", y);
            check.dtype("y", y, x.dtype(), "x");
            check.shape("y", y, outShape, "[..., N']");
            check.disjoint("y", y, "x", x);
            check.disjoint("y", y, "w", w);
            check.disjoint("y", y, "b", b);
            check.disjoint("y", y, "gate", gate);
            check.disjointOrSame("y", y, "residual", residual);
        }
        Tensor out = y != null ? y : runtime.allocateUninitialized(LINEAR, x.dtype(), outShape);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_linear_params.allocate(arena);
            NativeCalls.describe(kn_linear_params.x(params), x);
            NativeCalls.describe(kn_linear_params.w(params), w);
            NativeCalls.describe(kn_linear_params.b(params), b);
            NativeCalls.describe(kn_linear_params.residual(params), residual);
            NativeCalls.describe(kn_linear_params.gate(params), gate);
            NativeCalls.describe(kn_linear_params.y(params), out);
            kn_linear_params.act(params, act.code());
            NativeCalls.run(runtime, NativeCalls.Entries.LINEAR, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** y == null: allocate the output; else write into y. */
    static Tensor conv3d(Kinema runtime, Tensor x, Tensor w, Tensor b, Tensor residual, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(CONV3D, runtime);
        check.input("x", x);
        check.rank("x", x, 5, "[B,T,H,W,Ci]");
        check.input("w", w);
        check.rank("w", w, 5, "[Co,Ci,kt,kh,kw]");
        check.dtype("w", w, x.dtype(), "x");
        long ci = x.dim(4);
        long co = w.dim(0);
        if (w.dim(1) != ci || w.dim(2) % 2 != 1 || w.dim(3) % 2 != 1 || w.dim(4) % 2 != 1) {
            throw check.fail("w", "shape [Co, " + ci + ", kt, kh, kw] with odd kt, kh, kw and Ci = x's last dimension",
                    Shapes.format(w.shape()));
        }
        check.optional("b", b);
        check.dtype("b", b, x.dtype(), "x");
        check.shape("b", b, new long[] {co}, "[Co]");
        long[] outShape = {x.dim(0), x.dim(1), x.dim(2), x.dim(3), co};
        check.optional("residual", residual);
        check.dtype("residual", residual, x.dtype(), "x");
        check.shape("residual", residual, outShape, "[B,T,H,W,Co]");
        if (y != null) {
            check.input("y", y);
            check.dtype("y", y, x.dtype(), "x");
            check.shape("y", y, outShape, "[B,T,H,W,Co]");
            check.disjoint("y", y, "x", x);
            check.disjoint("y", y, "w", w);
            check.disjoint("y", y, "b", b);
            check.disjointOrSame("y", y, "residual", residual);
        }
        Tensor out = y != null ? y : runtime.allocateUninitialized(CONV3D, x.dtype(), outShape);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_conv3d_params.allocate(arena);
            NativeCalls.describe(kn_conv3d_params.x(params), x);
            NativeCalls.describe(kn_conv3d_params.w(params), w);
            NativeCalls.describe(kn_conv3d_params.b(params), b);
            NativeCalls.describe(kn_conv3d_params.residual(params), residual);
            NativeCalls.describe(kn_conv3d_params.y(params), out);
            NativeCalls.run(runtime, NativeCalls.Entries.CONV3D, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }
}
