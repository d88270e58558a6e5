package dev.kinema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.ref.ReferenceOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The memory-bound ops with f16/bf16 storage end to end: ddim_step, elementwise, group_norm,
 * layer_norm, upsample_nearest, patchify and alpha_blend on cuda-emu against ReferenceOps (float64,
 * returned as f32) on the same rounded inputs. Per element the bound is the dtype's rounding of the
 * result (u |ref|, plus half the smallest subnormal step), the f32 rounding of the returned reference
 * (eps_f32 |ref|) and twice the f32 arithmetic slack of the kernel (the kernel's f32 value may sit
 * across a rounding midpoint from ref): 8 eps_f32 times the magnitudes the evaluation goes through,
 * (n + 16) eps_f32 for the f32 statistics of a norm over n values. Copies must be exact. cpu is
 * f32-only and must refuse each of these with the typed exception.
 */
class HalfPrecisionOpsTest {
    private static final double EPS_F32 = Math.ulp(1.0f);

    /** Unit roundoff of the storage dtype: 2^-11 for f16, 2^-8 for bf16. */
    private static double unitRoundoff(DType dtype) {
        return dtype == DType.F16 ? 0x1p-11 : 0x1p-8;
    }

    /** Half the smallest subnormal step: the absolute rounding error near zero. */
    private static double tiny(DType dtype) {
        return dtype == DType.F16 ? 0x1p-25 : 0x1p-134;
    }

    private final List<Tensor> hostTensors = new ArrayList<>();

    private Tensor host(DType dtype, long seed, float scale, float offset, long... shape) {
        float[] v = TestTensors.random(seed, shape);
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] * scale + offset;
        }
        Tensor t = Tensor.hostFromFloats(dtype, v, shape);
        hostTensors.add(t);
        return t;
    }

    private void closeHost() {
        hostTensors.forEach(Tensor::close);
        hostTensors.clear();
    }

    private static float[] reference(String op, Map<String, Tensor> in, Map<String, String> attrs, String output) {
        Map<String, Tensor> out = ReferenceOps.run(op, in, attrs);
        try {
            return out.get(output).toFloats();
        } finally {
            out.values().forEach(Tensor::close);
        }
    }

    /** y from the device, checked against ref with the bound of the class comment; delta is the f32 slack. */
    private static void assertWithin(DType dtype, String what, Tensor y, float[] ref, IntToDoubleFunction delta) {
        assertEquals(dtype, y.dtype(), what);
        float[] v = y.toFloats();
        assertEquals(ref.length, v.length, what);
        double u = unitRoundoff(dtype), worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double bound = (u + EPS_F32) * Math.abs(ref[i]) + tiny(dtype) + 2 * delta.applyAsDouble(i);
            double err = Math.abs((double) v[i] - ref[i]);
            assertTrue(err <= bound, what + ": element " + i + " = " + v[i] + ", reference " + ref[i] + ", |err| "
                    + err + " > bound " + bound);
            worst = Math.max(worst, err / bound);
        }
        assertTrue(worst > 0, what + ": no rounding error at all; the output cannot be half precision");
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void ddimStepMatchesReferenceOnRoundedInputs(DType dtype) {
        long n = 203;  // 50 four-element vectors and a tail of 3
        Tensor x = host(dtype, 11, 2f, 0f, n), c = host(dtype, 12, 1f, 0f, n);
        Tensor u = host(dtype, 13, 1f, 0f, n), noise = host(dtype, 14, 1f, 0f, n);
        DdimParams p = new DdimParams(0.5, Math.sqrt(0.75), 0.9, Math.sqrt(0.19), 3.0, Prediction.V, 1.0, 0.0);
        Map<String, Tensor> in = Map.of("x", x, "out_c", c, "out_u", u, "noise", noise);
        Map<String, String> attrs = Map.of("alpha_t", "0.5", "sigma_t", Double.toString(Math.sqrt(0.75)), "alpha_s",
                "0.9", "sigma_s", Double.toString(Math.sqrt(0.19)), "guidance", "3.0", "prediction", "v", "eta", "1.0");
        float[] refY = reference("ddim_step", in, attrs, "y"), refX0 = reference("ddim_step", in, attrs, "x0");
        float[] xv = x.toFloats(), cv = c.toFloats(), uv = u.toFloats(), nv = noise.toFloats();
        double at = p.alphaT(), st = p.sigmaT(), as = p.alphaS(), se = p.sigmaEta();
        double es = Math.sqrt(Math.max(0, p.sigmaS() * p.sigmaS() - se * se));
        double[] x0Mag = new double[(int) n], yMag = new double[(int) n];
        for (int i = 0; i < n; i++) {  // v prediction: x0 = at x - st m, eps = st x + at m, m = u + w (c - u)
            double m = Math.abs(uv[i]) + p.guidance() * (Math.abs(cv[i]) + Math.abs(uv[i]));
            x0Mag[i] = at * Math.abs(xv[i]) + st * m;
            yMag[i] = as * x0Mag[i] + es * (st * Math.abs(xv[i]) + at * m) + se * Math.abs(nv[i]);
        }
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU); Tensor dx = rt.upload(x); Tensor dc = rt.upload(c);
             Tensor du = rt.upload(u); Tensor dn = rt.upload(noise)) {
            DdimResult r = rt.ddimStep(dx, dc, du, dn, p);
            try (Tensor y = r.y(); Tensor x0 = r.x0()) {
                assertWithin(dtype, dtype.id() + " ddim_step y", y, refY, i -> 8 * EPS_F32 * yMag[i]);
                assertWithin(dtype, dtype.id() + " ddim_step x0", x0, refX0, i -> 8 * EPS_F32 * x0Mag[i]);
            }
        } finally {
            closeHost();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void elementwiseMatchesReferenceOnRoundedInputs(DType dtype) {
        Tensor x = host(dtype, 21, 4f, 0f, 3, 5, 12), z = host(dtype, 22, 2f, 0f, 12);
        float[] xv = x.toFloats(), zv = z.toFloats();
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU); Tensor dx = rt.upload(x); Tensor dz = rt.upload(z)) {
            float[] ref = reference("gelu", Map.of("x", x), Map.of(), "y");
            try (Tensor y = rt.gelu(dx)) {
                assertWithin(dtype, dtype.id() + " gelu", y, ref, i -> 8 * EPS_F32 * (Math.abs(xv[i]) + Math.abs(ref[i])));
            }
            float[] refSa = reference("scale_add", Map.of("x", x, "z", z), Map.of("a", "0.7", "b", "-1.3"), "y");
            try (Tensor y = rt.scaleAdd(0.7, dx, -1.3, dz)) {  // z broadcast over the leading dims
                assertWithin(dtype, dtype.id() + " scale_add", y, refSa,
                        i -> 4 * EPS_F32 * (0.7 * Math.abs(xv[i]) + 1.3 * Math.abs(zv[i % 12])));
            }
        } finally {
            closeHost();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void normsMatchReferenceOnRoundedInputs(DType dtype) {
        long b = 2, t = 3, h = 5, w = 3, ch = 20;
        int groups = 4, cg = (int) ch / groups;
        Tensor x = host(dtype, 31, 2f, 0.5f, b, t, h, w, ch);
        Tensor gamma = host(dtype, 32, 1f, 1f, ch), beta = host(dtype, 33, 1f, 0f, ch);
        float[] xv = x.toFloats(), gv = gamma.toFloats(), bv = beta.toFloats();
        // group_norm over the clip with SiLU: statistics per (b, group) over t*h*w*cg values.
        int per = (int) (t * h * w), n = per * cg;
        double[] delta = new double[xv.length];
        for (int bi = 0; bi < b; bi++) {
            for (int g = 0; g < groups; g++) {
                double sum = 0, sq = 0;
                for (int q = 0; q < per; q++) {
                    for (int k = 0; k < cg; k++) {
                        sum += xv[(int) ((bi * per + q) * ch + g * cg + k)];
                    }
                }
                double mean = sum / n;
                for (int q = 0; q < per; q++) {
                    for (int k = 0; k < cg; k++) {
                        double d = xv[(int) ((bi * per + q) * ch + g * cg + k)] - mean;
                        sq += d * d;
                    }
                }
                double rstd = 1 / Math.sqrt(sq / n + 1e-5);
                for (int q = 0; q < per; q++) {
                    for (int k = 0; k < cg; k++) {
                        int at = (int) ((bi * per + q) * ch + g * cg + k), c = g * cg + k;
                        double xhat = (xv[at] - mean) * rstd, v = xhat * gv[c] + bv[c];
                        delta[at] = 1.1 * ((n + 16) * EPS_F32 * (Math.abs(xhat) + Math.abs(mean) * rstd) * Math.abs(gv[c])
                                + 4 * EPS_F32 * (Math.abs(bv[c]) + Math.abs(v))) + 4 * EPS_F32 * Math.abs(v);
                    }
                }
            }
        }
        // layer_norm with adaLN on the same x viewed as rows of C: delta from each row's statistics.
        Tensor shift = host(dtype, 34, 1f, 0f, b, ch), scale = host(dtype, 35, 0.5f, 0f, b, ch);
        float[] sv = shift.toFloats(), cv = scale.toFloats();
        int rows = (int) (xv.length / ch), rowsPerBatch = (int) (rows / b);
        double[] lnDelta = new double[xv.length];
        for (int r = 0; r < rows; r++) {
            double sum = 0, sq = 0;
            for (int k = 0; k < ch; k++) {
                sum += xv[(int) (r * ch + k)];
            }
            double mean = sum / ch;
            for (int k = 0; k < ch; k++) {
                sq += (xv[(int) (r * ch + k)] - mean) * (xv[(int) (r * ch + k)] - mean);
            }
            double rstd = 1 / Math.sqrt(sq / ch + 1e-6);
            for (int k = 0; k < ch; k++) {
                int at = (int) (r * ch + k), bc = (int) ((r / rowsPerBatch) * ch + k);
                double xhat = (xv[at] - mean) * rstd, s = 1 + Math.abs(cv[bc]);
                double v = (xhat * gv[k] + bv[k]) * (1 + cv[bc]) + sv[bc];
                lnDelta[at] = (ch + 16) * EPS_F32 * (Math.abs(xhat) + Math.abs(mean) * rstd) * Math.abs(gv[k]) * s
                        + 4 * EPS_F32 * (Math.abs(bv[k]) * s + Math.abs(sv[bc]) + Math.abs(v));
            }
        }
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU); Tensor dx = rt.upload(x); Tensor dg = rt.upload(gamma);
             Tensor db = rt.upload(beta); Tensor dsh = rt.upload(shift); Tensor dsc = rt.upload(scale)) {
            float[] ref = reference("group_norm", Map.of("x", x, "gamma", gamma, "beta", beta),
                    Map.of("groups", "4", "eps", "1e-5", "per_frame", "false", "silu", "true"), "y");
            try (Tensor y = rt.groupNorm(dx, dg, db, groups, 1e-5, false, true)) {
                assertWithin(dtype, dtype.id() + " group_norm silu", y, ref, i -> delta[i]);
            }
            float[] lnRef = reference("layer_norm",
                    Map.of("x", x, "gamma", gamma, "beta", beta, "shift", shift, "scale", scale), Map.of("eps", "1e-6"), "y");
            try (Tensor y = rt.layerNorm(dx, dg, db, dsh, dsc, 1e-6)) {
                assertWithin(dtype, dtype.id() + " layer_norm adaLN", y, lnRef, i -> lnDelta[i]);
            }
        } finally {
            closeHost();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void resampleMatchesReferenceOnRoundedInputs(DType dtype) {
        Tensor x = host(dtype, 41, 4f, 0f, 1, 3, 6, 4, 5), xt = host(dtype, 42, 4f, 0f, 1, 3, 6, 4, 5);
        Tensor mix = host(dtype, 43, 0f, -0.8f, 1);
        float[] xv = x.toFloats(), tv = xt.toFloats();
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU); Tensor dx = rt.upload(x); Tensor dt = rt.upload(xt);
             Tensor dm = rt.upload(mix)) {
            try (Tensor y = rt.upsampleNearest(dx)) {  // a copy: exact
                assertEquals(dtype, y.dtype());
                assertArrayEquals(reference("upsample_nearest", Map.of("x", x), Map.of(), "y"), y.toFloats(),
                        dtype.id() + " upsample_nearest");
            }
            try (Tensor y = rt.patchify(dx, 2)) {
                assertEquals(dtype, y.dtype());
                assertArrayEquals(reference("patchify", Map.of("x", x), Map.of("p", "2"), "y"), y.toFloats(),
                        dtype.id() + " patchify");
            }
            double alpha = 1 / (1 + Math.exp(-mix.toFloats()[0]));
            float[] ref = reference("alpha_blend", Map.of("x_spatial", x, "x_temporal", xt, "mix", mix),
                    Map.of("mode", "learned"), "y");
            try (Tensor y = rt.alphaBlend(dx, dt, dm, true)) {
                assertWithin(dtype, dtype.id() + " alpha_blend", y, ref,
                        i -> 4 * EPS_F32 * (alpha * Math.abs(xv[i]) + (1 - alpha) * Math.abs(tv[i])));
            }
        } finally {
            closeHost();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void cpuRefusesHalfPrecisionMemoryBoundOpsAsUnsupported(DType dtype) {
        long[] s = {1, 2, 4, 4, 8};
        try (Kinema rt = Kinema.open(Backend.CPU);
             Tensor x = rt.fromFloats(dtype, TestTensors.random(1, s), s);
             Tensor z = rt.fromFloats(dtype, TestTensors.random(2, 8), 8);
             Tensor gamma = rt.fromFloats(dtype, TestTensors.random(3, 8), 8)) {
            assertRefused("kn_ddim_step", () -> rt.ddimStep(x, x, null, null, DdimParams.of(0.6, 0.8, 0.8, 0.6)));
            assertRefused("kn_elementwise", () -> rt.add(x, z));
            assertRefused("kn_group_norm", () -> rt.groupNorm(x, gamma, gamma, 2, 1e-5, false, false));
            assertRefused("kn_layer_norm", () -> rt.layerNorm(x, gamma, gamma, null, null, 1e-5));
            assertRefused("kn_upsample_nearest", () -> rt.upsampleNearest(x));
        }
    }

    private static void assertRefused(String function, org.junit.jupiter.api.function.Executable call) {
        UnsupportedByBackendException e = assertThrows(UnsupportedByBackendException.class, call);
        assertEquals(dev.kinema.raw.kinema_h.KN_ERR_UNSUPPORTED(), e.status(), e.getMessage());
        assertEquals(function, e.function(), e.getMessage());
        assertTrue(e.getMessage().contains("cpu"), e.getMessage());
    }
}
