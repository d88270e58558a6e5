package dev.kinema.modelfile;

import java.util.Arrays;
import java.util.Map;

/** A graph node as stored in a .kinema file: op (or "view"), inputs by value name, attributes, y's shape. */
public record NodeRecord(String name, String op, Map<String, String> inputs, Map<String, String> attrs, long[] shape) {
    public NodeRecord {
        inputs = Map.copyOf(inputs);
        attrs = Map.copyOf(attrs);
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeRecord n && name.equals(n.name) && op.equals(n.op) && inputs.equals(n.inputs)
                && attrs.equals(n.attrs) && Arrays.equals(shape, n.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " = " + op + inputs + (attrs.isEmpty() ? "" : " " + attrs) + " -> " + Arrays.toString(shape);
    }
}
