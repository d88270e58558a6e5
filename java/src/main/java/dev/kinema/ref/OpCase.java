package dev.kinema.ref;

import dev.kinema.Tensor;
import java.util.Map;

/**
 * One op call: host input tensors (OPS.md names) and string attributes, plus a readable name.
 * Closing it closes the inputs.
 */
public record OpCase(String op, String name, Map<String, Tensor> inputs, Map<String, String> attrs)
        implements AutoCloseable {
    public OpCase {
        inputs = Map.copyOf(inputs);
        attrs = Map.copyOf(attrs);
    }

    @Override
    public void close() {
        inputs.values().forEach(Tensor::close);
    }

    @Override
    public String toString() {
        return op + " " + name;
    }
}
