package dev.kinema.video;

import static dev.kinema.video.VideoFramesTest.assertArgument;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PsnrTest {
    @Test
    void constantOffsetMatchesTheClosedForm() {
        Random random = new Random(11);
        float[] a = new float[1000];
        float[] b = new float[1000];
        float d = 0.125f;
        for (int i = 0; i < a.length; i++) {
            a[i] = (random.nextInt(1024) - 512) / 1024f; // multiples of 2^-10: a +- d is exact in float
            b[i] = a[i] + (i % 2 == 0 ? d : -d);
        }
        assertEquals(10 * Math.log10(4 / (d * d)), Psnr.between(a, b, Psnr.SIGNED_UNIT_RANGE), 1e-12);
        assertEquals(24.0824, Psnr.between(a, b, 2), 1e-4); // 10 log10(256)
    }

    @Test
    void eightBitRange() {
        float[] a = {10, 20, 30, 40};
        float[] b = {13, 17, 33, 37}; // MSE 9
        assertEquals(10 * Math.log10(255.0 * 255 / 9), Psnr.between(a, b, 255), 1e-12);
    }

    @Test
    void identicalIsInfiniteAndNanIsNan() {
        float[] a = {0.1f, -0.7f, 1f};
        assertEquals(Double.POSITIVE_INFINITY, Psnr.between(a, a.clone(), 2));
        assertEquals(Double.NaN, Psnr.between(a, new float[] {0.1f, Float.NaN, 1f}, 2));
    }

    @Test
    void perFrameSeparatesFrames() {
        // [3, F=3, H=2, W=2]: frame 0 identical, frame 1 offset d everywhere, frame 2 one sample off by e
        long[] shape = {3, 3, 2, 2};
        float[] a = new float[36];
        float[] b = new float[36];
        float d = 0.25f;
        float e = 0.5f;
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < 4; p++) {
                b[(c * 3 + 1) * 4 + p] = d;
            }
        }
        b[(1 * 3 + 2) * 4 + 3] = e; // G of frame 2, pixel (1, 1)
        double[] psnr = Psnr.perFrame(a, b, shape, 2);
        assertEquals(3, psnr.length);
        assertEquals(Double.POSITIVE_INFINITY, psnr[0]);
        assertEquals(10 * Math.log10(4 / (d * d)), psnr[1], 1e-12);
        assertEquals(10 * Math.log10(4 / (e * e / 12)), psnr[2], 1e-12);
    }

    @Test
    void rejectsBadInput() {
        float[] a = new float[12];
        assertArgument("actual", () -> Psnr.between(a, new float[11], 2));
        assertArgument("actual", () -> Psnr.between(a, null, 2));
        assertArgument("expected", () -> Psnr.between(new float[0], new float[0], 2));
        assertArgument("range", () -> Psnr.between(a, a, 0));
        assertArgument("range", () -> Psnr.between(a, a, Double.NaN));
        assertArgument("shape", () -> Psnr.perFrame(a, a, new long[] {3, 4}, 2));
        assertArgument("actual", () -> Psnr.perFrame(a, new float[24], new long[] {3, 1, 2, 2}, 2));
    }
}
