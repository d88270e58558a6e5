package dev.kinema.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kinema.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** conv_spatial and conv_temporal against closed forms worked out by hand. */
class ReferenceConvTest {
    private static float[] random(long seed, int n) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** Runs an op on f32 inputs given as (name, values, shape...) and returns y. */
    private static Tensor run(String op, Map<String, String> attrs, Map<String, Tensor> inputs) {
        try {
            return ReferenceOps.run(op, inputs, attrs).get("y");
        } finally {
            inputs.values().forEach(Tensor::close);
        }
    }

    private static Map<String, Tensor> inputs(Object... nameTensor) {
        Map<String, Tensor> m = new HashMap<>();
        for (int i = 0; i < nameTensor.length; i += 2) {
            m.put((String) nameTensor[i], (Tensor) nameTensor[i + 1]);
        }
        return m;
    }

    @Test
    void centreTapKernelIsTheIdentityPlusBias() {
        int c = 3;
        float[] x = random(1, 2 * 3 * 5 * c);
        float[] w = new float[c * c * 9];
        for (int i = 0; i < c; i++) {
            w[(i * c + i) * 9 + 4] = 1; // w[i, i, 0, 1, 1]
        }
        float[] b = {0.5f, -1f, 2f};
        try (Tensor y = run("conv_spatial", Map.of(), inputs("x", Tensor.hostFromFloats(x, 1, 2, 3, 5, c),
                "w", Tensor.hostFromFloats(w, c, c, 1, 3, 3), "b", Tensor.hostFromFloats(b, c)))) {
            assertArrayEquals(new long[] {1, 2, 3, 5, c}, y.shape());
            float[] got = y.toFloats();
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i] + b[i % c], got[i], 0f);
            }
        }
    }

    @Test
    void allOnesKernelSumsTheZeroPaddedNeighbourhood() {
        float[] x = new float[4 * 5];
        java.util.Arrays.fill(x, 1f);
        float[] w = new float[9];
        java.util.Arrays.fill(w, 1f);
        try (Tensor y = run("conv_spatial", Map.of(), inputs("x", Tensor.hostFromFloats(x, 1, 1, 4, 5, 1),
                "w", Tensor.hostFromFloats(w, 1, 1, 1, 3, 3)))) {
            assertArrayEquals(new float[] {
                4, 6, 6, 6, 4,
                6, 9, 9, 9, 6,
                6, 9, 9, 9, 6,
                4, 6, 6, 6, 4}, y.toFloats());
        }
    }

    @Test
    void leftTapShiftsRightAsCrossCorrelation() {
        // PyTorch's conv is a cross-correlation: y[h, w] = sum x[h - 1 + i, w - 1 + j] * w[i, j].
        float[] x = {1, 2, 3, 4, 5, 6}; // H=2, W=3
        float[] left = new float[9];
        left[3] = 1; // (i, j) = (1, 0)
        float[] up = new float[9];
        up[1] = 1; // (i, j) = (0, 1)
        try (Tensor y = run("conv_spatial", Map.of(), inputs("x", Tensor.hostFromFloats(x, 1, 1, 2, 3, 1),
                "w", Tensor.hostFromFloats(left, 1, 1, 1, 3, 3)))) {
            assertArrayEquals(new float[] {0, 1, 2, 0, 4, 5}, y.toFloats());
        }
        try (Tensor y = run("conv_spatial", Map.of(), inputs("x", Tensor.hostFromFloats(x, 1, 1, 2, 3, 1),
                "w", Tensor.hostFromFloats(up, 1, 1, 1, 3, 3)))) {
            assertArrayEquals(new float[] {0, 0, 0, 1, 2, 3}, y.toFloats());
        }
    }

    @Test
    void pointwiseConvIsAMatrixProductPlusResidual() {
        int pixels = 2 * 3 * 5 * 7;
        int ci = 6;
        int co = 4;
        float[] x = random(2, pixels * ci);
        float[] w = random(3, co * ci);
        float[] b = random(4, co);
        float[] r = random(5, pixels * co);
        try (Tensor y = run("conv_spatial", Map.of("stride", "1"), inputs("x", Tensor.hostFromFloats(x, 2, 3, 5, 7, ci),
                "w", Tensor.hostFromFloats(w, co, ci, 1, 1, 1), "b", Tensor.hostFromFloats(b, co),
                "residual", Tensor.hostFromFloats(r, 2, 3, 5, 7, co)))) {
            float[] got = y.toFloats();
            for (int p = 0; p < pixels; p++) {
                for (int o = 0; o < co; o++) {
                    double dot = 0;
                    for (int c = 0; c < ci; c++) {
                        dot += (double) x[p * ci + c] * w[o * ci + c];
                    }
                    assertEquals((float) (dot + b[o] + r[p * co + o]), got[p * co + o], 1e-6f);
                }
            }
        }
    }

    @Test
    void strideTwoKeepsEvenPositions() {
        float[] x = new float[5 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        try (Tensor y = run("conv_spatial", Map.of("stride", "2"), inputs("x", Tensor.hostFromFloats(x, 1, 1, 5, 4, 1),
                "w", Tensor.hostFromFloats(new float[] {1}, 1, 1, 1, 1, 1)))) {
            assertArrayEquals(new long[] {1, 1, 3, 2, 1}, y.shape());
            assertArrayEquals(new float[] {0, 2, 8, 10, 16, 18}, y.toFloats());
        }
    }

    @Test
    void strideTwoOutputSizesFollowThePaddingFormula() {
        // H' = (H + 2 - 3) / 2 + 1: 9 -> 5, 8 -> 4, 1 -> 1
        try (Tensor y = run("conv_spatial", Map.of("stride", "2"), inputs("x", Tensor.host(dev.kinema.DType.F32, 1, 1, 9, 8, 2),
                "w", Tensor.host(dev.kinema.DType.F32, 3, 2, 1, 3, 3)))) {
            assertArrayEquals(new long[] {1, 1, 5, 4, 3}, y.shape());
        }
        try (Tensor y = run("conv_spatial", Map.of("stride", "2"), inputs("x", Tensor.host(dev.kinema.DType.F32, 1, 1, 1, 1, 1),
                "w", Tensor.host(dev.kinema.DType.F32, 1, 1, 1, 3, 3)))) {
            assertArrayEquals(new long[] {1, 1, 1, 1, 1}, y.shape());
        }
    }

    @Test
    void temporalTapsShiftFramesWithZeroPadding() {
        float[] x = {1, 2, 3, 4}; // T=4, one pixel, one channel
        float[][] taps = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        float[][] expected = {{0, 1, 2, 3}, {1, 2, 3, 4}, {2, 3, 4, 0}};
        for (int k = 0; k < 3; k++) {
            try (Tensor y = run("conv_temporal", Map.of(), inputs("x", Tensor.hostFromFloats(x, 1, 4, 1, 1, 1),
                    "w", Tensor.hostFromFloats(taps[k], 1, 1, 3, 1, 1)))) {
                assertArrayEquals(expected[k], y.toFloats(), "tap " + k);
            }
        }
    }

    @Test
    void singleFrameSeesOnlyTheCentreTap() {
        float[] x = {2, -3}; // T=1, Ci=2
        float[] w = {10, 1, 100, 20, 2, 200}; // [Co=1, Ci=2, 3]
        try (Tensor y = run("conv_temporal", Map.of(), inputs("x", Tensor.hostFromFloats(x, 1, 1, 1, 1, 2),
                "w", Tensor.hostFromFloats(w, 1, 2, 3, 1, 1), "b", Tensor.hostFromFloats(new float[] {0.5f}, 1),
                "residual", Tensor.hostFromFloats(new float[] {7}, 1, 1, 1, 1, 1)))) {
            assertArrayEquals(new float[] {2 * 1 + -3 * 2 + 0.5f + 7}, y.toFloats());
        }
    }
}
