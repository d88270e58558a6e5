package dev.kinema.models;

import dev.kinema.DType;
import dev.kinema.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The bookkeeping every {@link WeightSource} shares: take() records missing and mis-shaped keys and
 * answers them with zeros, verify() reports them with the keys never taken, in one exception.
 */
abstract class TrackedWeights implements WeightSource {
    private final Set<String> taken = new LinkedHashSet<>();
    private final List<String> missing = new ArrayList<>();
    private final List<String> shapeMismatches = new ArrayList<>();

    /** The stored shape of key, or null when the source lacks it. */
    abstract long[] storedShape(String key);

    /** key as a new host tensor in its stored dtype. */
    abstract Tensor load(String key);

    @Override
    public final Tensor take(String key, DType dtype, long... expectedShape) {
        taken.add(key);
        long[] stored = storedShape(key);
        if (stored == null) {
            missing.add(key + " " + Arrays.toString(expectedShape));
            return Tensor.host(dtype, expectedShape);
        }
        if (!Arrays.equals(stored, expectedShape)) {
            shapeMismatches.add(key + ": expected " + Arrays.toString(expectedShape) + ", found " + Arrays.toString(stored));
            return Tensor.host(dtype, expectedShape);
        }
        Tensor t = load(key);
        if (t.dtype() == dtype) {
            return t;
        }
        try (t) {
            return Tensor.hostFromFloats(dtype, t.toFloats(), expectedShape);
        }
    }

    @Override
    public final void ignore(String key) {
        taken.add(key);
    }

    @Override
    public final void verify() {
        List<String> unexpected = new ArrayList<>(new TreeSet<>(keys()));
        unexpected.removeAll(taken);
        if (!missing.isEmpty() || !unexpected.isEmpty() || !shapeMismatches.isEmpty()) {
            throw new CheckpointMismatchException(source(), missing, unexpected, shapeMismatches);
        }
    }
}
