package dev.kinema.video;

import dev.kinema.InvalidArgumentException;

/**
 * Peak signal-to-noise ratio, in dB, between two signals over a stated peak-to-peak range:
 * {@code 10 log10(range^2 / MSE)}. One number for "how close is this render (or this decoded file) to
 * that one": about 30 dB is visibly close, 40 dB and up hard to tell apart. Identical inputs give
 * +Infinity; a NaN in either gives NaN. For renders in [-1, 1] the range is 2 ({@link #SIGNED_UNIT_RANGE}),
 * for 8-bit pixels 255.
 */
public final class Psnr {
    /** The peak-to-peak range of a [-1, 1] video. */
    public static final double SIGNED_UNIT_RANGE = 2.0;

    private Psnr() {
    }

    /** The PSNR of actual against expected, two arrays of the same length (at least 1), over range. */
    public static double between(float[] expected, float[] actual, double range) {
        String op = "Psnr.between";
        checkRange(op, range);
        if (expected == null || expected.length == 0) {
            throw new InvalidArgumentException(op, "expected", "at least one value", expected == null ? "null" : "none");
        }
        if (actual == null || actual.length != expected.length) {
            throw new InvalidArgumentException(op, "actual", expected.length + " values, as many as expected",
                    actual == null ? "null" : actual.length + " values");
        }
        return fromMse(squaredError(expected, actual, 0, expected.length) / expected.length, range);
    }

    /**
     * The PSNR of each frame of two videos in [3, F, H, W] order (all three channels of a frame
     * together), over range.
     *
     * @return F values, frame by frame
     */
    public static double[] perFrame(float[] expected, float[] actual, long[] shape, double range) {
        String op = "Psnr.perFrame";
        checkRange(op, range);
        VideoShape s = VideoShape.of(op, "expected", expected, "shape", shape);
        VideoShape.of(op, "actual", actual, "shape", shape);
        double[] psnr = new double[s.frames()];
        for (int f = 0; f < s.frames(); f++) {
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                sum += squaredError(expected, actual, s.planeOffset(c, f), s.planeSize());
            }
            psnr[f] = fromMse(sum / (3.0 * s.planeSize()), range);
        }
        return psnr;
    }

    /** {@code 10 log10(range^2 / mse)}: +Infinity for mse 0. */
    public static double fromMse(double mse, double range) {
        return 10 * Math.log10(range * range / mse);
    }

    private static double squaredError(float[] expected, float[] actual, int from, int count) {
        double sum = 0;
        for (int i = from; i < from + count; i++) {
            double d = (double) expected[i] - actual[i];
            sum += d * d;
        }
        return sum;
    }

    private static void checkRange(String op, double range) {
        if (!(range > 0 && range < Double.POSITIVE_INFINITY)) {
            throw new InvalidArgumentException(op, "range", "a finite peak-to-peak range > 0", Double.toString(range));
        }
    }
}
