package dev.kinema.models;

import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model's weights on its runtime, uploaded once: taken from the {@link Checkpoint} by key on first
 * use (in the model's dtype), then served from this cache to every graph built for the model (one
 * per input shape), which use them in place. Constants a model computes itself (position tables)
 * live here too.
 */
final class Weights implements AutoCloseable {
    private final Kinema runtime;
    private final DType dtype;
    private WeightSource checkpoint;
    private final java.util.List<String> fromSource = new java.util.ArrayList<>();
    private final Map<String, Tensor> cache = new LinkedHashMap<>();

    Weights(Kinema runtime, DType dtype, WeightSource checkpoint) {
        this.runtime = runtime;
        this.dtype = dtype;
        this.checkpoint = checkpoint;
    }

    DType dtype() {
        return dtype;
    }

    /** The runtime tensor of key, shape checked against what the model expects. */
    Tensor get(String key, long... shape) {
        Tensor t = cache.get(key);
        if (t == null) {
            if (checkpoint == null) {
                throw new IllegalStateException("weight " + key + " was not loaded when the model was opened");
            }
            try (Tensor host = checkpoint.take(key, dtype, shape)) {
                t = runtime.upload(host);
            }
            cache.put(key, t);
            fromSource.add(key);
        } else if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalStateException("weight " + key + " is " + Arrays.toString(t.shape()) + ", a graph asked for "
                    + Arrays.toString(shape));
        }
        return t;
    }

    /** A constant the model computes (not in the checkpoint), made once by host() and uploaded. */
    Tensor constant(String key, Supplier<Tensor> host) {
        Tensor t = cache.get(key);
        if (t == null) {
            try (Tensor h = host.get()) {
                t = runtime.upload(h);
            }
            cache.put(key, t);
        }
        return t;
    }

    /** The keys read from the weight source, in the order the model first used them. */
    java.util.List<String> sourceKeys() {
        return java.util.List.copyOf(fromSource);
    }

    /** A runtime tensor already loaded (by source key or constant key), or null. */
    Tensor loaded(String key) {
        return cache.get(key);
    }

    /** Every weight is loaded: later graphs must not reach for the checkpoint again. */
    void detachCheckpoint() {
        checkpoint = null;
    }

    long bytes() {
        return cache.values().stream().mapToLong(Tensor::byteSize).sum();
    }

    @Override
    public void close() {
        cache.values().forEach(Tensor::close);
        cache.clear();
    }
}
