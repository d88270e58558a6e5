package dev.kinema;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.EnumMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Small op calls through the Java API on cpu and cuda-emu, against the naive loops of NaiveOps
 * (the full harness over every op and shape lives elsewhere). These check the plumbing: shapes,
 * strides and attributes reach the kernels as intended, outputs come back in the right order.
 */
class OpNumericsTest {
    private static final double TOLERANCE = 1e-4;
    private static final Map<Backend, Kinema> RUNTIMES = new EnumMap<>(Backend.class);

    @BeforeAll
    static void open() {
        RUNTIMES.put(Backend.CPU, Kinema.open(Backend.CPU));
        RUNTIMES.put(Backend.CUDA_EMU, Kinema.open(Backend.CUDA_EMU));
    }

    @AfterAll
    static void close() {
        RUNTIMES.values().forEach(Kinema::close);
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void convSpatial3x3Stride1WithBiasAndResidual(Backend backend) {
        checkConvSpatial(RUNTIMES.get(backend), new long[] {2, 2, 5, 6, 3}, 4, 3, 1, true, true);
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void convSpatial3x3Stride2OddSize(Backend backend) {
        checkConvSpatial(RUNTIMES.get(backend), new long[] {1, 3, 7, 5, 2}, 3, 3, 2, true, false);
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void convSpatial1x1(Backend backend) {
        checkConvSpatial(RUNTIMES.get(backend), new long[] {1, 2, 3, 4, 5}, 6, 1, 1, false, true);
    }

    private static void checkConvSpatial(Kinema rt, long[] xs, int co, int k, int stride, boolean bias, boolean withResidual) {
        long[] ws = {co, xs[4], 1, k, k};
        long oh = (xs[2] + 2 * (k / 2) - k) / stride + 1, ow = (xs[3] + 2 * (k / 2) - k) / stride + 1;
        long[] ys = {xs[0], xs[1], oh, ow, co};
        float[] x = TestTensors.random(11, xs), w = TestTensors.random(12, ws);
        float[] b = bias ? TestTensors.random(13, co) : null;
        float[] r = withResidual ? TestTensors.random(14, ys) : null;
        double[] expected = NaiveOps.convSpatial(x, xs, w, ws, b, r, stride);
        try (Tensor tx = rt.fromFloats(x, xs); Tensor tw = rt.fromFloats(w, ws);
             Tensor tb = b == null ? null : rt.fromFloats(b, co); Tensor tr = r == null ? null : rt.fromFloats(r, ys);
             Tensor y = rt.convSpatial(tx, tw, tb, tr, stride)) {
            assertArrayEquals(ys, y.shape());
            TestTensors.assertClose(expected, y.toFloats(), TOLERANCE, rt + " conv_spatial");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void convSpatialAccumulatesIntoResidualInPlace(Backend backend) {
        Kinema rt = RUNTIMES.get(backend);
        long[] xs = {1, 2, 4, 4, 3}, ws = {2, 3, 1, 3, 3}, ys = {1, 2, 4, 4, 2};
        float[] x = TestTensors.random(21, xs), w = TestTensors.random(22, ws), r = TestTensors.random(23, ys);
        double[] expected = NaiveOps.convSpatial(x, xs, w, ws, null, r, 1);
        try (Tensor tx = rt.fromFloats(x, xs); Tensor tw = rt.fromFloats(w, ws); Tensor acc = rt.fromFloats(r, ys)) {
            rt.convSpatialInto(tx, tw, null, acc, 1, acc);
            TestTensors.assertClose(expected, acc.toFloats(), TOLERANCE, rt + " conv_spatial in place");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void convTemporal(Backend backend) {
        Kinema rt = RUNTIMES.get(backend);
        long[] xs = {2, 4, 3, 2, 5}, ws = {3, 5, 3, 1, 1}, ys = {2, 4, 3, 2, 3};
        float[] x = TestTensors.random(31, xs), w = TestTensors.random(32, ws), b = TestTensors.random(33, 3);
        float[] r = TestTensors.random(34, ys);
        try (Tensor tx = rt.fromFloats(x, xs); Tensor tw = rt.fromFloats(w, ws); Tensor tb = rt.fromFloats(b, 3);
             Tensor tr = rt.fromFloats(r, ys)) {
            try (Tensor y = rt.convTemporal(tx, tw, tb, null)) {
                TestTensors.assertClose(NaiveOps.convTemporal(x, xs, w, ws, b, null), y.toFloats(), TOLERANCE, rt + " conv_temporal");
            }
            try (Tensor y = rt.convTemporal(tx, tw, null, tr)) {
                TestTensors.assertClose(NaiveOps.convTemporal(x, xs, w, ws, null, r), y.toFloats(), TOLERANCE,
                        rt + " conv_temporal + residual");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void ddimStepEveryPrediction(Backend backend) {
        Kinema rt = RUNTIMES.get(backend);
        long[] shape = {2, 3, 4, 5};
        float[] x = TestTensors.random(41, shape), c = TestTensors.random(42, shape);
        float[] u = TestTensors.random(43, shape), n = TestTensors.random(44, shape);
        DdimParams[] cases = {
                DdimParams.of(0.6, 0.8, 0.8, 0.6),
                new DdimParams(0.6, 0.8, 0.8, 0.6, 7.5, Prediction.EPS, 0, 0),
                new DdimParams(0.6, 0.8, 0.8, 0.6, 3.0, Prediction.V, 1.0, 0),
                new DdimParams(0.6, 0.8, 0.8, 0.6, 1.0, Prediction.X0, 0.5, 0.25),
                new DdimParams(0.6, 0.8, 0.8, 0.6, 2.0, Prediction.EPS, 0, 1.0),
        };
        try (Tensor tx = rt.fromFloats(x, shape); Tensor tc = rt.fromFloats(c, shape);
             Tensor tu = rt.fromFloats(u, shape); Tensor tn = rt.fromFloats(n, shape)) {
            for (DdimParams p : cases) {
                boolean guided = p.guidance() != 1.0;
                boolean noisy = p.eta() > 0;
                double[][] expected = NaiveOps.ddimStep(x, c, guided ? u : null, noisy ? n : null, p);
                DdimResult result = rt.ddimStep(tx, tc, guided ? tu : null, noisy ? tn : null, p);
                try (Tensor y = result.y(); Tensor x0 = result.x0()) {
                    TestTensors.assertClose(expected[0], y.toFloats(), TOLERANCE, rt + " ddim y " + p);
                    TestTensors.assertClose(expected[1], x0.toFloats(), TOLERANCE, rt + " ddim x0 " + p);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void ddimStepInPlaceOnX(Backend backend) {
        Kinema rt = RUNTIMES.get(backend);
        float[] x = TestTensors.random(51, 17), c = TestTensors.random(52, 17);
        DdimParams p = new DdimParams(0.6, 0.8, 0.8, 0.6, 1, Prediction.V, 0, 0);
        double[][] expected = NaiveOps.ddimStep(x, c, null, null, p);
        try (Tensor state = rt.fromFloats(x, 17); Tensor tc = rt.fromFloats(c, 17)) {
            rt.ddimStepInto(state, tc, null, null, p, state, null);
            TestTensors.assertClose(expected[0], state.toFloats(), TOLERANCE, rt + " ddim in place");
        }
    }

    /**
     * f16/bf16 storage: a backend either computes the op (checked against the reference on the
     * rounded inputs, at half precision's tolerance) or refuses with UnsupportedByBackendException.
     */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void halfPrecisionIsComputedOrRefusedAsUnsupported(Backend backend) {
        Kinema rt = RUNTIMES.get(backend);
        long[] xs = {1, 3, 2, 2, 4}, ws = {2, 4, 3, 1, 1};
        for (DType dtype : new DType[] {DType.F16, DType.BF16}) {
            try (Tensor tx = rt.fromFloats(dtype, TestTensors.random(61, xs), xs);
                 Tensor tw = rt.fromFloats(dtype, TestTensors.random(62, ws), ws)) {
                double[] expected = NaiveOps.convTemporal(tx.toFloats(), xs, tw.toFloats(), ws, null, null);
                Tensor y;
                try {
                    y = rt.convTemporal(tx, tw, null, null);
                } catch (UnsupportedByBackendException e) {
                    assertEquals(dev.kinema.raw.kinema_h.KN_ERR_UNSUPPORTED(), e.status(), e.getMessage());
                    assertEquals("kn_conv_temporal", e.function());
                    continue;
                }
                try (y) {
                    assertEquals(dtype, y.dtype());
                    TestTensors.assertClose(expected, y.toFloats(), dtype == DType.F16 ? 5e-3 : 4e-2, rt + " " + dtype.id());
                }
            }
        }
    }
}
