package dev.kinema;

import dev.kinema.raw.kn_conv_spatial_params;
import dev.kinema.raw.kn_conv_temporal_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** conv_spatial and conv_temporal (OPS.md): validation, then one native call. */
final class ConvOps {
    static final String CONV_SPATIAL = "conv_spatial";
    static final String CONV_TEMPORAL = "conv_temporal";
    private static final String X_DIMS = "[B,T,H,W,Ci]";

    private ConvOps() {
    }

    /** y == null: allocate the output; else write into y. */
    static Tensor convSpatial(Kinema runtime, Tensor x, Tensor w, Tensor b, Tensor residual, int stride, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(CONV_SPATIAL, runtime);
        checkInput(check, x);
        if (x.dim(2) < 1 || x.dim(3) < 1) {
            throw check.fail("x", "H >= 1 and W >= 1 in " + X_DIMS, Shapes.format(x.shape()));
        }
        check.input("w", w);
        check.rank("w", w, 5, "[Co,Ci,1,k,k]");
        check.dtype("w", w, x.dtype(), "x");
        long ci = x.dim(4);
        long co = w.dim(0);
        long k = w.dim(3);
        if (w.dim(1) != ci || w.dim(2) != 1 || (k != 1 && k != 3) || w.dim(4) != k) {
            throw check.fail("w", "shape [Co, " + ci + ", 1, k, k] with k in {1, 3} and Ci = x's last dimension",
                    Shapes.format(w.shape()));
        }
        checkBias(check, b, x, co);
        if (stride != 1 && stride != 2) {
            throw check.fail("stride", "1 or 2", Integer.toString(stride));
        }
        long pad = k / 2;
        long[] outShape = {x.dim(0), x.dim(1), (x.dim(2) + 2 * pad - k) / stride + 1,
                (x.dim(3) + 2 * pad - k) / stride + 1, co};
        checkResidualAndOutput(check, x, w, b, residual, y, outShape, "[B,T,H',W',Co]");
        Tensor out = y != null ? y : runtime.allocateUninitialized(CONV_SPATIAL, x.dtype(), outShape);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_conv_spatial_params.allocate(arena);
            NativeCalls.describe(kn_conv_spatial_params.x(params), x);
            NativeCalls.describe(kn_conv_spatial_params.w(params), w);
            NativeCalls.describe(kn_conv_spatial_params.b(params), b);
            NativeCalls.describe(kn_conv_spatial_params.residual(params), residual);
            NativeCalls.describe(kn_conv_spatial_params.y(params), out);
            kn_conv_spatial_params.stride(params, stride);
            NativeCalls.run(runtime, NativeCalls.Entries.CONV_SPATIAL, params);
        } catch (RuntimeException e) {
            closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** y == null: allocate the output; else write into y. */
    static Tensor convTemporal(Kinema runtime, Tensor x, Tensor w, Tensor b, Tensor residual, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(CONV_TEMPORAL, runtime);
        checkInput(check, x);
        check.input("w", w);
        check.rank("w", w, 5, "[Co,Ci,3,1,1]");
        check.dtype("w", w, x.dtype(), "x");
        long ci = x.dim(4);
        long co = w.dim(0);
        if (w.dim(1) != ci || w.dim(2) != 3 || w.dim(3) != 1 || w.dim(4) != 1) {
            throw check.fail("w", "shape [Co, " + ci + ", 3, 1, 1] with Ci = x's last dimension",
                    Shapes.format(w.shape()));
        }
        checkBias(check, b, x, co);
        long[] outShape = {x.dim(0), x.dim(1), x.dim(2), x.dim(3), co};
        checkResidualAndOutput(check, x, w, b, residual, y, outShape, "[B,T,H,W,Co]");
        Tensor out = y != null ? y : runtime.allocateUninitialized(CONV_TEMPORAL, x.dtype(), outShape);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_conv_temporal_params.allocate(arena);
            NativeCalls.describe(kn_conv_temporal_params.x(params), x);
            NativeCalls.describe(kn_conv_temporal_params.w(params), w);
            NativeCalls.describe(kn_conv_temporal_params.b(params), b);
            NativeCalls.describe(kn_conv_temporal_params.residual(params), residual);
            NativeCalls.describe(kn_conv_temporal_params.y(params), out);
            NativeCalls.run(runtime, NativeCalls.Entries.CONV_TEMPORAL, params);
        } catch (RuntimeException e) {
            closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** The output argument of an *Into call, which is required. */
    static Tensor output(String op, Tensor y) {
        if (y == null) {
            throw new InvalidArgumentException(op, "y", "an output tensor", "null");
        }
        return y;
    }

    static void closeIfAllocated(Tensor out, Tensor given) {
        if (out != given) {
            out.close();
        }
    }

    private static void checkInput(OpChecks check, Tensor x) {
        check.input("x", x);
        check.rank("x", x, 5, X_DIMS);
    }

    private static void checkBias(OpChecks check, Tensor b, Tensor x, long co) {
        check.optional("b", b);
        check.dtype("b", b, x.dtype(), "x");
        check.shape("b", b, new long[] {co}, "[Co]");
    }

    private static void checkResidualAndOutput(OpChecks check, Tensor x, Tensor w, Tensor b, Tensor residual,
                                               Tensor y, long[] outShape, String outDims) {
        check.optional("residual", residual);
        check.dtype("residual", residual, x.dtype(), "x");
        check.shape("residual", residual, outShape, outDims);
        if (y == null) {
            return;
        }
        check.input("y", y);
        check.dtype("y", y, x.dtype(), "x");
        check.shape("y", y, outShape, outDims);
        check.disjoint("y", y, "x", x);
        check.disjoint("y", y, "w", w);
        check.disjoint("y", y, "b", b);
        check.disjointOrSame("y", y, "residual", residual);
    }
}
