package dev.kinema;

import dev.kinema.raw.kn_ddim_step_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** ddim_step (OPS.md): validation, then one native call. */
final class DdimOp {
    static final String DDIM_STEP = DdimParams.OP;

    private DdimOp() {
    }

    /** Placeholder scalars for capturing the struct of a prepared step (run overwrites them). */
    private static final DdimParams PREPARE = new DdimParams(0.6, 0.8, 0.8, 0.6, 1.0, Prediction.EPS, 0, 0);

    /** Kinema.prepareDdimStep: run's checks, with the one native call captured instead of made. */
    static PreparedDdimStep prepare(Kinema runtime, Tensor x, Tensor outC, Tensor outU, Tensor noise, Tensor y) {
        runtime.ensureOpen();
        if (y == null) {
            throw new InvalidArgumentException(DDIM_STEP, "y", "an output tensor (required)", "null");
        }
        List<Tensor> tensors = new ArrayList<>();
        for (Tensor t : new Tensor[] {x, outC, outU, noise, y}) {
            if (t != null) {
                tensors.add(t);
            }
        }
        try (NativeCalls.Capture capture = NativeCalls.Capture.begin()) {
            run(runtime, x, outC, outU, noise, PREPARE, y, null);
            MemorySegment params = capture.params();
            PreparedOp op = new PreparedOp(runtime, DDIM_STEP, capture.entry(), capture.arena(), params, tensors);
            return new PreparedDdimStep(op, params, noise != null);
        }
    }

    /** The step's scalars into a kn_ddim_step_params struct (the tensors are described separately). */
    static void writeScalars(MemorySegment params, DdimParams p) {
        kn_ddim_step_params.alpha_t(params, p.alphaT());
        kn_ddim_step_params.sigma_t(params, p.sigmaT());
        kn_ddim_step_params.alpha_s(params, p.alphaS());
        kn_ddim_step_params.sigma_s(params, p.sigmaS());
        kn_ddim_step_params.guidance(params, p.guidance());
        kn_ddim_step_params.eta(params, p.eta());
        kn_ddim_step_params.clip_x0(params, p.clipX0());
        kn_ddim_step_params.prediction(params, p.prediction().code());
    }

    /** y == null: allocate y and x0; else write into y and, when given, x0. */
    static DdimResult run(Kinema runtime, Tensor x, Tensor outC, Tensor outU, Tensor noise, DdimParams p,
                          Tensor y, Tensor x0) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(DDIM_STEP, runtime);
        check.input("x", x);
        long[] shape = x.shape();
        String sameAsX = "(the shape of x)";
        check.input("out_c", outC);
        check.dtype("out_c", outC, x.dtype(), "x");
        check.shape("out_c", outC, shape, sameAsX);
        check.optional("out_u", outU);
        check.dtype("out_u", outU, x.dtype(), "x");
        check.shape("out_u", outU, shape, sameAsX);
        check.optional("noise", noise);
        check.dtype("noise", noise, x.dtype(), "x");
        check.shape("noise", noise, shape, sameAsX);
        if (p == null) {
            throw check.fail("params", "DdimParams", "null");
        }
        p.validate();
        if (p.eta() > 0 && noise == null) {
            throw check.fail("noise", "a tensor when eta > 0 (eta = " + p.eta() + ")", "null");
        }
        if (y != null) {
            check.input("y", y);
            check.dtype("y", y, x.dtype(), "x");
            check.shape("y", y, shape, sameAsX);
            check.disjointOrSame("y", y, "x", x);
            check.disjoint("y", y, "out_c", outC);
            check.disjoint("y", y, "out_u", outU);
            check.disjoint("y", y, "noise", noise);
            check.optional("x0", x0);
            check.dtype("x0", x0, x.dtype(), "x");
            check.shape("x0", x0, shape, sameAsX);
            check.disjoint("x0", x0, "x", x);
            check.disjoint("x0", x0, "out_c", outC);
            check.disjoint("x0", x0, "out_u", outU);
            check.disjoint("x0", x0, "noise", noise);
            check.disjoint("x0", x0, "y", y);
        }
        Tensor yOut = y != null ? y : runtime.allocateUninitialized(DDIM_STEP, x.dtype(), shape);
        Tensor x0Out = null;
        try (Arena arena = Arena.ofConfined()) {
            x0Out = y != null ? x0 : runtime.allocateUninitialized(DDIM_STEP, x.dtype(), shape);
            MemorySegment params = kn_ddim_step_params.allocate(arena);
            NativeCalls.describe(kn_ddim_step_params.x(params), x);
            NativeCalls.describe(kn_ddim_step_params.out_c(params), outC);
            NativeCalls.describe(kn_ddim_step_params.out_u(params), outU);
            NativeCalls.describe(kn_ddim_step_params.noise(params), noise);
            NativeCalls.describe(kn_ddim_step_params.y(params), yOut);
            NativeCalls.describe(kn_ddim_step_params.x0(params), x0Out);
            writeScalars(params, p);
            NativeCalls.run(runtime, NativeCalls.Entries.DDIM_STEP, params);
        } catch (RuntimeException e) {
            if (y == null) {
                yOut.close();
                if (x0Out != null) {
                    x0Out.close();
                }
            }
            throw e;
        }
        return new DdimResult(yOut, x0Out);
    }
}
