package dev.kinema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.ref.ReferenceOps;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * linear with f16/bf16 tensors end to end: cuda-emu runs the tensor-core kernel and must match
 * ReferenceOps (float64) on the same rounded inputs within the dtype's rounding of the result plus
 * f32 accumulation slack; cpu is f32-only and must refuse with the typed exception.
 */
class HalfPrecisionLinearTest {
    private static final double EPS_F32 = Math.ulp(1.0f);

    /** Unit roundoff (half an ulp relative) of the storage dtype: 2^-11 for f16, 2^-8 for bf16. */
    private static double unitRoundoff(DType dtype) {
        return dtype == DType.F16 ? 0x1p-11 : 0x1p-8;
    }

    /** Host tensors of dtype (random values rounded to it) for x[shape], w[n, K], b, gate, residual. */
    private static Map<String, Tensor> inputs(DType dtype, long[] xShape, long n, Activation act, long seed) {
        long k = xShape[xShape.length - 1];
        long nOut = act == Activation.GEGLU ? n / 2 : n;
        long[] yShape = xShape.clone();
        yShape[yShape.length - 1] = nOut;
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", Tensor.hostFromFloats(dtype, scaled(TestTensors.random(seed, xShape), 2), xShape));
        in.put("w", Tensor.hostFromFloats(dtype, TestTensors.random(seed + 1, n, k), n, k));
        in.put("b", Tensor.hostFromFloats(dtype, TestTensors.random(seed + 2, n), n));
        in.put("gate", Tensor.hostFromFloats(dtype, scaled(TestTensors.random(seed + 3, xShape[0], nOut), 1.5f),
                xShape[0], nOut));
        in.put("residual", Tensor.hostFromFloats(dtype, scaled(TestTensors.random(seed + 4, yShape), 4), yShape));
        return in;
    }

    private static float[] scaled(float[] v, float s) {
        for (int i = 0; i < v.length; i++) {
            v[i] *= s;
        }
        return v;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void cudaEmuMatchesReferenceOnRoundedInputs(DType dtype) {
        long[][] shapes = {{2, 19, 40}, {1, 37, 70}};  // K % 8 == 0 (16-byte loads) and K, M, N tails
        long[] ns = {24, 45};
        long seed = 700;
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU)) {
            for (int s = 0; s < shapes.length; s++) {
                for (Activation act : Activation.values()) {
                    long n = act == Activation.GEGLU ? 2 * ns[s] : ns[s];
                    Map<String, Tensor> in = inputs(dtype, shapes[s], n, act, seed += 10);
                    try {
                        check(rt, dtype, in, act, shapes[s][shapes[s].length - 1]);
                    } finally {
                        in.values().forEach(Tensor::close);
                    }
                }
            }
        }
    }

    private static void check(Kinema rt, DType dtype, Map<String, Tensor> in, Activation act, long k) {
        String what = dtype.id() + " " + act.id() + " x" + java.util.Arrays.toString(in.get("x").shape());
        float[] ref;
        Map<String, Tensor> refOut = ReferenceOps.run("linear", in, Map.of("act", act.id()));
        try (Tensor r = refOut.get("y")) {
            ref = r.toFloats();
        }
        float[] y;
        try (Tensor x = rt.upload(in.get("x")); Tensor w = rt.upload(in.get("w")); Tensor b = rt.upload(in.get("b"));
             Tensor gate = rt.upload(in.get("gate")); Tensor res = rt.upload(in.get("residual"));
             Tensor out = rt.linear(x, w, b, res, gate, act)) {
            assertEquals(dtype, out.dtype(), what);
            y = out.toFloats();
        }
        // Per element: u |ref| (the rounding of the result to the dtype) + 2 (K + 8) eps_f32 T, where T
        // bounds the magnitudes the f32 accumulation and epilogue go through: S_j = sum_k |x_k w_jk| +
        // |b_j| for the dot product, times 1.13 (largest slope of gelu/silu), times |gate|, plus
        // |residual| and |ref|; geglu's a * gelu(g) gives (1 + 1.13) S_a S_g. Doubled because the
        // kernel's f32 value may sit across a rounding midpoint from ref.
        float[] xv = in.get("x").toFloats(), wv = in.get("w").toFloats(), bv = in.get("b").toFloats();
        float[] gv = in.get("gate").toFloats(), rv = in.get("residual").toFloats();
        int rows = (int) (xv.length / k), n = (int) (wv.length / k), nOut = ref.length / rows;
        int rowsPerBatch = (int) (rows / in.get("x").dim(0));
        double u = unitRoundoff(dtype);
        assertEquals(ref.length, y.length, what);
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            double[] mag = new double[n];
            for (int j = 0; j < n; j++) {
                double m = Math.abs(bv[j]);
                for (int i = 0; i < k; i++) {
                    m += Math.abs((double) xv[(int) (r * k + i)] * wv[(int) (j * k + i)]);
                }
                mag[j] = m;
            }
            for (int j = 0; j < nOut; j++) {
                int at = r * nOut + j;
                double t = act == Activation.GEGLU ? 2.13 * mag[j] * mag[nOut + j] : 1.13 * mag[j];
                t = t * Math.abs(gv[(r / rowsPerBatch) * nOut + j]) + Math.abs(rv[at]) + Math.abs(ref[at]);
                double bound = u * Math.abs(ref[at]) + 2 * (k + 8) * EPS_F32 * t;
                double err = Math.abs((double) y[at] - ref[at]);
                assertTrue(err <= bound, what + ": element " + at + " = " + y[at] + ", reference " + ref[at]
                        + ", |err| " + err + " > bound " + bound);
                worst = Math.max(worst, err / bound);
            }
        }
        assertTrue(worst > 0, what + ": no rounding error at all; the output cannot be half precision");
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void cpuRefusesHalfPrecisionLinearAsUnsupported(DType dtype) {
        long[] xs = {2, 3, 16};
        try (Kinema rt = Kinema.open(Backend.CPU);
             Tensor x = rt.fromFloats(dtype, TestTensors.random(1, xs), xs);
             Tensor w = rt.fromFloats(dtype, TestTensors.random(2, 8, 16), 8, 16)) {
            UnsupportedByBackendException e = assertThrows(UnsupportedByBackendException.class,
                    () -> rt.linear(x, w, null, null, null, Activation.NONE));
            assertEquals(dev.kinema.raw.kinema_h.KN_ERR_UNSUPPORTED(), e.status(), e.getMessage());
            assertEquals("kn_linear", e.function(), e.getMessage());
            assertTrue(e.getMessage().contains("cpu") && e.getMessage().contains("'x'"), e.getMessage());
        }
    }
}
