package dev.kinema;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Kinema.prepareDdimStep: the tensors checked once, the scalars per run, the same bits as ddimStepInto. */
class PreparedDdimStepTest {
    private static final int N = 1000;  // not a multiple of any vector width

    private static float[] random(int seed) {
        Random r = new Random(seed);
        float[] v = new float[N];
        for (int i = 0; i < N; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** A sampler's sequence of steps: eps, v and x0 prediction, guidance, clipping. */
    private static final List<DdimParams> STEPS = List.of(
            new DdimParams(0.3, Math.sqrt(1 - 0.09), 0.5, Math.sqrt(0.75), 4.0, Prediction.V, 0, 1.0),
            new DdimParams(0.5, Math.sqrt(0.75), 0.7, Math.sqrt(0.51), 7.5, Prediction.EPS, 0, 0),
            new DdimParams(0.7, Math.sqrt(0.51), 0.9, Math.sqrt(0.19), 1.0, Prediction.X0, 0, 0),
            new DdimParams(0.9, Math.sqrt(0.19), 1.0, 0.0, 2.0, Prediction.V, 0, 1.0));

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void everyStepMatchesDdimStepIntoBitForBit(Backend backend) {
        try (Kinema rt = Kinema.open(backend);
             Tensor prepared = rt.fromFloats(random(1), N);
             Tensor direct = rt.fromFloats(random(1), N);
             Tensor c = rt.fromFloats(random(2), N);
             Tensor u = rt.fromFloats(random(3), N);
             PreparedDdimStep step = rt.prepareDdimStep(prepared, c, u, null, prepared)) {
            for (DdimParams p : STEPS) {
                step.run(p);
                rt.ddimStepInto(direct, c, u, null, p, direct, null);
                assertArrayEquals(direct.toFloats(), prepared.toFloats(), "after " + p);
            }
        }
    }

    @Test
    void oneStepMatchesTheClosedForm() {
        // eps prediction, guided: m = u + w (c - u); x0 = (x - sigma_t m) / alpha_t; y = alpha_s x0 + sigma_s m
        double at = 0.6, st = 0.8, as = 0.8, ss = 0.6, w = 3.0;
        float[] x = random(4), c = random(5), u = random(6);
        try (Kinema rt = Kinema.open(Backend.CPU);
             Tensor tx = rt.fromFloats(x, N);
             Tensor y = rt.allocate(DType.F32, N);
             Tensor tc = rt.fromFloats(c, N);
             Tensor tu = rt.fromFloats(u, N);
             PreparedDdimStep step = rt.prepareDdimStep(tx, tc, tu, null, y)) {
            step.run(new DdimParams(at, st, as, ss, w, Prediction.EPS, 0, 0));
            float[] got = y.toFloats();
            for (int i = 0; i < N; i++) {
                double m = u[i] + w * (c[i] - u[i]);
                double want = as * (x[i] - st * m) / at + ss * m;
                assertEquals(want, got[i], 1e-5 * Math.max(1, Math.abs(want)), "element " + i);
            }
        }
    }

    @Test
    void badTensorsAreRejectedAtPrepareAndBadScalarsAtRun() {
        try (Kinema rt = Kinema.open(Backend.CPU);
             Tensor x = rt.allocate(DType.F32, 4);
             Tensor c = rt.allocate(DType.F32, 4);
             Tensor wrong = rt.allocate(DType.F32, 5)) {
            assertEquals("y", assertThrows(InvalidArgumentException.class,
                    () -> rt.prepareDdimStep(x, c, null, null, null)).argument());
            assertEquals("out_c", assertThrows(InvalidArgumentException.class,
                    () -> rt.prepareDdimStep(x, wrong, null, null, x)).argument());
            try (PreparedDdimStep step = rt.prepareDdimStep(x, c, null, null, x)) {
                assertEquals("params", assertThrows(InvalidArgumentException.class, () -> step.run(null)).argument());
                assertEquals("alpha_t", assertThrows(InvalidArgumentException.class,
                        () -> step.run(new DdimParams(Double.NaN, 0.6, 0.8, 0.6, 1, Prediction.EPS, 0, 0))).argument());
                assertEquals("eta", assertThrows(InvalidArgumentException.class,
                        () -> step.run(new DdimParams(0.6, 0.8, 0.8, 0.6, 1, Prediction.EPS, 0.5, 0))).argument());
            }
        }
    }

    @Test
    void aClosedTensorStopsTheRun() {
        try (Kinema rt = Kinema.open(Backend.CPU);
             Tensor x = rt.allocate(DType.F32, 4)) {
            Tensor c = rt.allocate(DType.F32, 4);
            PreparedDdimStep step = rt.prepareDdimStep(x, c, null, null, x);
            c.close();
            assertThrows(IllegalStateException.class, () -> step.run(DdimParams.of(0.6, 0.8, 0.8, 0.6)));
            step.close();
            step.close();  // idempotent
        }
    }
}
