package dev.kinema.models;

import dev.kinema.DType;
import dev.kinema.Tensor;

import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded random weights for a model built from its config alone (benchmarks, smoke tests): every key
 * gets normal values of std 1/sqrt(fan_in) (fan_in = numel / shape[0]; 1 for rank-1 tensors, whose
 * values are drawn around 1 for norm scales and 0 otherwise by the key's name), so activations stay
 * O(1) through deep stacks. The same seed gives the same weights.
 */
final class RandomWeights implements WeightSource {
    private final long seed;

    RandomWeights(long seed) {
        this.seed = seed;
    }

    @Override
    public String source() {
        return "random weights (seed " + seed + ")";
    }

    @Override
    public Set<String> keys() {
        return Set.of();
    }

    @Override
    public Tensor take(String key, DType dtype, long... shape) {
        SplittableRandom rng = new SplittableRandom(seed ^ key.hashCode() * 0x9E3779B97F4A7C15L);
        long numel = 1;
        for (long d : shape) {
            numel *= d;
        }
        float[] v = new float[Math.toIntExact(numel)];
        boolean vector = shape.length == 1;
        double std = vector ? 0.1 : 1.0 / Math.sqrt(Math.max(1, numel / shape[0]));
        double mean = vector && key.matches(".*norm.*\\.weight") ? 1.0 : 0.0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + std * gaussian(rng));
        }
        return Tensor.hostFromFloats(dtype, v, shape);
    }

    private static double gaussian(SplittableRandom rng) {
        double u = rng.nextDouble(Double.MIN_VALUE, 1.0), w = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }

    @Override
    public void ignore(String key) {
    }

    @Override
    public void verify() {
    }

    @Override
    public void close() {
    }
}
