package dev.kinema.bench;

/** Deterministic benchmark inputs (values do not affect the speed of these ops). */
final class Random {
    private Random() {
    }

    static float[] floats(int n, long seed, float scale) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return values;
    }
}
