package dev.kinema.ref;

/**
 * The fp32 acceptance rule of OPS.md: {@code max|y - ref| <= 1e-4 * max(1, max|ref|)}, NaN-aware:
 * a NaN or infinity that the reference does not have at the same place is an infinite error, so a
 * kernel writing NaN never passes.
 */
public final class Tolerance {
    public static final double RELATIVE_FP32 = 1e-4;

    private Tolerance() {}

    /** The outcome of comparing one output with its reference. */
    public record Comparison(double maxAbsError, double bound) {
        public boolean passed() {
            return maxAbsError <= bound;
        }
    }

    /** Compares with the OPS.md fp32 bound. */
    public static Comparison compare(float[] actual, float[] reference) {
        return compare(actual, reference, RELATIVE_FP32);
    }

    /** Compares with {@code relative * max(1, max|ref|)} as the bound. */
    public static Comparison compare(float[] actual, float[] reference, double relative) {
        return new Comparison(maxAbsError(actual, reference), relative * Math.max(1.0, maxAbsFinite(reference)));
    }

    /** max |actual - reference|; equal non-finite values agree, any other non-finite value is +inf. */
    public static double maxAbsError(float[] actual, float[] reference) {
        if (actual.length != reference.length) {
            throw new IllegalArgumentException("actual has " + actual.length + " values, reference " + reference.length);
        }
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            float a = actual[i];
            float r = reference[i];
            double err;
            if (Float.isFinite(a) && Float.isFinite(r)) {
                err = Math.abs((double) a - (double) r);
            } else {
                boolean same = (Float.isNaN(a) && Float.isNaN(r)) || a == r;
                err = same ? 0 : Double.POSITIVE_INFINITY;
            }
            if (err > max) {
                max = err;
            }
        }
        return max;
    }

    /** The largest finite magnitude (0 for none). */
    public static double maxAbsFinite(float[] values) {
        double max = 0;
        for (float v : values) {
            if (Float.isFinite(v) && Math.abs(v) > max) {
                max = Math.abs(v);
            }
        }
        return max;
    }
}
