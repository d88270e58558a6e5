package dev.kinema.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The noise generator against Philox's published known answers and the normal distribution's moments. */
class NoiseGeneratorTest {
    @Test
    void philoxMatchesTheKnownAnswerTestsOfRandom123() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                NoiseGenerator.philox(0, 0, 0, 0, 0, 0));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                NoiseGenerator.philox(-1, -1, -1, -1, -1, -1));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                NoiseGenerator.philox(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    @Test
    void anyChunkingGivesTheSameElements() {
        float[] whole = NoiseGenerator.normal(1234, 7, 1001);
        for (int start : new int[] {0, 1, 2, 499, 1000}) {
            float[] part = new float[Math.min(37, 1001 - start)];
            NoiseGenerator.fill(1234, 7, start, part);
            for (int i = 0; i < part.length; i++) {
                assertEquals(whole[start + i], part[i], "element " + (start + i) + " from offset " + start);
            }
        }
    }

    @Test
    void seedsAndStreamsAreIndependentStandardNormals() {
        int n = 1 << 20;
        float[] a = NoiseGenerator.normal(42, 0, n), b = NoiseGenerator.normal(42, 1, n), c = NoiseGenerator.normal(43, 0, n);
        double sum = 0, sq = 0, ab = 0, ac = 0, tail = 0;
        for (int i = 0; i < n; i++) {
            sum += a[i];
            sq += a[i] * (double) a[i];
            ab += a[i] * (double) b[i];
            ac += a[i] * (double) c[i];
            tail += Math.abs(a[i]) > 3 ? 1 : 0;
        }
        // standard errors: mean 1e-3, variance 1.4e-3, correlations 1e-3, P(|z| > 3) = 0.0027 +- 5e-5
        assertTrue(Math.abs(sum / n) < 5e-3, "mean " + sum / n);
        assertTrue(Math.abs(sq / n - 1) < 7e-3, "variance " + sq / n);
        assertTrue(Math.abs(ab / n) < 5e-3 && Math.abs(ac / n) < 5e-3, "correlations " + ab / n + ", " + ac / n);
        assertEquals(0.0027, tail / n, 3e-4, "3-sigma tail");
    }
}
