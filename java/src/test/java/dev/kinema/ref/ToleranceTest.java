package dev.kinema.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ToleranceTest {
    @Test
    void boundScalesWithTheLargestReferenceValue() {
        Tolerance.Comparison small = Tolerance.compare(new float[] {0.10005f}, new float[] {0.1f});
        assertEquals(1e-4, small.bound());
        assertTrue(small.passed());
        Tolerance.Comparison large = Tolerance.compare(new float[] {1000.05f, 0f}, new float[] {1000f, 0f});
        assertEquals(0.1, large.bound(), 1e-12);
        assertTrue(large.passed());
        assertFalse(Tolerance.compare(new float[] {1.0002f}, new float[] {1f}).passed());
    }

    @Test
    void aNanOrInfinityTheReferenceLacksNeverPasses() {
        assertEquals(Double.POSITIVE_INFINITY, Tolerance.maxAbsError(new float[] {1f, Float.NaN}, new float[] {1f, 2f}));
        assertEquals(Double.POSITIVE_INFINITY, Tolerance.maxAbsError(new float[] {Float.POSITIVE_INFINITY}, new float[] {2f}));
        assertEquals(Double.POSITIVE_INFINITY, Tolerance.maxAbsError(new float[] {0f}, new float[] {Float.NaN}));
        assertFalse(Tolerance.compare(new float[] {Float.NaN}, new float[] {0f}).passed());
        assertEquals(0, Tolerance.maxAbsError(new float[] {Float.NaN, Float.NEGATIVE_INFINITY},
                new float[] {Float.NaN, Float.NEGATIVE_INFINITY}));
    }

    @Test
    void lengthsMustMatch() {
        assertThrows(IllegalArgumentException.class, () -> Tolerance.maxAbsError(new float[2], new float[3]));
    }
}
