package dev.kinema.sampling;

/**
 * The specified, counter-based Gaussian noise of every sampler: element i of the noise tensor number
 * `stream` drawn from `seed` is a pure function of (seed, stream, i), so results do not depend on
 * thread counts, chunking or the backend, and other implementations can reproduce them.
 *
 * <p>Definition. Philox4x32-10 (Salmon et al., SC'11; multipliers 0xD2511F53, 0xCD9E8D57, Weyl
 * increments 0x9E3779B9, 0xBB67AE85) with key (k0, k1) = (low, high 32 bits of seed) and counter
 * (c0, c1, c2, c3) = (low, high 32 bits of j, low, high 32 bits of stream), j = floor(i / 2), gives
 * four words r0..r3. Two uniforms in (0, 1], each from 53 bits: u1 = ((r0 << 21 ^ r1 >>> 11) + 1) /
 * 2^53 taking r0 as the high 32 and r1's top 21 bits, u2 likewise from r2, r3; then Box-Muller:
 * element 2j is sqrt(-2 ln u1) cos(2 pi u2), element 2j + 1 is sqrt(-2 ln u1) sin(2 pi u2), in double,
 * rounded once to float.
 */
public final class NoiseGenerator {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private NoiseGenerator() {
    }

    /** Philox4x32-10 of counter (c0..c3) under key (k0, k1). */
    static int[] philox(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xffffffffL) * (c0 & 0xffffffffL);
            long p1 = (M1 & 0xffffffffL) * (c2 & 0xffffffffL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /** Fills out with elements [first, first + out.length) of noise tensor `stream` of seed. */
    public static void fill(long seed, long stream, long first, float[] out) {
        int k0 = (int) seed, k1 = (int) (seed >>> 32), s0 = (int) stream, s1 = (int) (stream >>> 32);
        long i = first;
        int at = 0;
        while (at < out.length) {
            long j = i >>> 1;
            int[] r = philox((int) j, (int) (j >>> 32), s0, s1, k0, k1);
            double u1 = (uniform53(r[0], r[1]) + 1) * 0x1p-53, u2 = (uniform53(r[2], r[3]) + 1) * 0x1p-53;
            double radius = Math.sqrt(-2 * Math.log(u1)), angle = 2 * Math.PI * u2;
            if ((i & 1) == 0) {
                out[at++] = (float) (radius * Math.cos(angle));
                i++;
                if (at == out.length) {
                    break;
                }
            }
            out[at++] = (float) (radius * Math.sin(angle));
            i++;
        }
    }

    /** count elements of noise tensor `stream`, from element 0. */
    public static float[] normal(long seed, long stream, int count) {
        float[] out = new float[count];
        fill(seed, stream, 0, out);
        return out;
    }

    /** 53 bits: hi's 32 bits above lo's top 21 bits. */
    private static long uniform53(int hi, int lo) {
        return ((hi & 0xffffffffL) << 21) | ((lo & 0xffffffffL) >>> 11);
    }
}
