package dev.kinema;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test data and the OPS.md fp32 tolerance. */
final class TestTensors {
    private TestTensors() {
    }

    static float[] random(long seed, long... shape) {
        Random random = new Random(seed);
        float[] values = new float[(int) Shapes.numel(shape)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    /** max|y - ref| <= tolerance * max(1, max|ref|), NaN-aware (a NaN never passes). */
    static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": element count");
        double maxRef = 1;
        for (double value : expected) {
            maxRef = Math.max(maxRef, Math.abs(value));
        }
        double bound = tolerance * maxRef;
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs(actual[i] - expected[i]);
            final int index = i;
            assertTrue(error <= bound, () -> what + ": element " + index + " is " + actual[index] + ", expected "
                    + expected[index] + " (bound " + bound + ")");
        }
    }
}
