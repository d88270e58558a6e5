package dev.kinema.models;

import dev.kinema.DType;
import dev.kinema.Tensor;

import java.util.Set;

/**
 * Where a model's weights are read from: a diffusers checkpoint ({@link Checkpoint}) or a .kinema
 * model file. A builder takes each weight by key and expected shape; problems are collected and
 * reported together by {@link #verify}.
 */
public interface WeightSource extends AutoCloseable {
    /** A description for messages (the file or files). */
    String source();

    Set<String> keys();

    /**
     * The weight key as a new host tensor of dtype and expectedShape (the caller closes it); a missing
     * key or another shape is recorded for {@link #verify} and answered with zeros.
     */
    Tensor take(String key, DType dtype, long... expectedShape);

    /** Marks key as known but unused (a buffer diffusers saves and the model recomputes). */
    void ignore(String key);

    /** Throws CheckpointMismatchException listing missing, unexpected and mis-shaped keys, if any. */
    void verify();

    @Override
    void close();
}
