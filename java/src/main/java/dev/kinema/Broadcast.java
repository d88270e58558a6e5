package dev.kinema;

/**
 * The shapes the binary elementwise ops (add, mul, scale_add) accept for z, as kinema.h's
 * kn_elementwise defines them: z NumPy-broadcasts to x with one run of broadcast dims. Padded with
 * leading 1s to x's rank, z's shape is [x's leading dims, 1s, x's trailing dims], any part possibly
 * empty: for x[B,T,H,W,C] that is z[C], z[W,C], a scalar, z[B,1,1,1,C], z[1,1,1,1,C] or x's own shape,
 * but not z[1,T,1,1,C] (two runs of 1s) or z[C,1]. The ops, the reference and the graph's shape
 * inference all check z with this class.
 */
public final class Broadcast {
    private Broadcast() {
    }

    /**
     * x viewed as [outer, middle, inner] by z (the products of x's leading dims, of the dims z
     * broadcasts over, and of x's trailing dims): x element i pairs with z element
     * {@code (i / (middle*inner)) * inner + i % inner}. Null when z does not broadcast to x that way.
     */
    public static long[] split(long[] x, long[] z) {
        int rank = x.length;
        int pad = rank - z.length;
        if (pad < 0) {
            return null;
        }
        int b = rank; // inner: the longest suffix where z matches x
        while (b > 0 && zDim(z, pad, b - 1) == x[b - 1]) {
            b--;
        }
        int a = 0; // outer: the longest prefix (ending at b at most) where z matches x
        while (a < b && zDim(z, pad, a) == x[a]) {
            a++;
        }
        long[] parts = {1, 1, 1};
        for (int d = 0; d < rank; d++) {
            if (d >= a && d < b && zDim(z, pad, d) != 1) {
                return null;
            }
            parts[d < a ? 0 : d < b ? 1 : 2] *= x[d];
        }
        return parts;
    }

    /** The "expected" half of the message for a z that does not broadcast to x. */
    public static String expected(long[] x) {
        return "a shape that broadcasts to x's shape " + Shapes.format(x)
                + " as [leading dims of x, 1s, trailing dims of x] (leading 1s may be dropped)";
    }

    private static long zDim(long[] z, int pad, int d) {
        return d < pad ? 1 : z[d - pad];
    }
}
