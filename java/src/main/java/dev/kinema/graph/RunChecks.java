package dev.kinema.graph;

import java.util.Arrays;
import java.util.Map;

import dev.kinema.Tensor;

/** GraphExecutor's checks of the tensors given to a run, before any native call; no allocation when they pass. */
final class RunChecks {
    private RunChecks() {
    }

    /** Every declared input is given, with its dtype and shape, and nothing else is. */
    static void inputs(String[] names, Value[] values, Map<String, Tensor> given) {
        for (int i = 0; i < names.length; i++) {
            Tensor t = given.get(names[i]);
            if (t == null) {
                throw new GraphException(names[i], "input", names[i], "a tensor " + describe(values[i]), "nothing");
            }
            matches(names[i], "input", values[i], t);
        }
        if (given.size() != names.length) {
            unknown(names, given, "input");
        }
    }

    /** Each given output is a declared one, with its dtype and shape. */
    static void outputs(String[] names, Value[] values, Map<String, Tensor> given) {
        int found = 0;
        for (int i = 0; i < names.length; i++) {
            Tensor t = given.get(names[i]);
            if (t != null) {
                matches(names[i], "output", values[i], t);
                found++;
            }
        }
        if (found != given.size()) {
            unknown(names, given, "output");
        }
    }

    private static void matches(String name, String kind, Value value, Tensor t) {
        if (t.isClosed()) {
            throw new GraphException(name, kind, name, "an open tensor " + describe(value), "closed " + t);
        }
        if (t.dtype() != value.dtype()) {
            throw new GraphException(name, kind, name, "dtype " + value.dtype().id(), t.dtype().id() + " (" + t + ")");
        }
        long[] shape = value.shapeRef();
        boolean same = t.rank() == shape.length;
        for (int axis = 0; same && axis < shape.length; axis++) {
            same = t.dim(axis) == shape[axis];
        }
        if (!same) {
            throw new GraphException(name, kind, name, "shape " + Arrays.toString(shape), Arrays.toString(t.shape()));
        }
    }

    private static void unknown(String[] names, Map<String, Tensor> given, String kind) {
        for (Map.Entry<String, Tensor> entry : given.entrySet()) {
            String name = entry.getKey();
            if (name == null || !Arrays.asList(names).contains(name)) {
                throw new GraphException(String.valueOf(name), kind, String.valueOf(name),
                        "one of the graph's " + kind + "s " + Arrays.toString(names), "an unknown " + kind);
            }
            if (entry.getValue() == null) {
                throw new GraphException(name, kind, name, "a tensor", "null");
            }
        }
    }

    private static String describe(Value value) {
        return value.dtype().id() + Arrays.toString(value.shapeRef());
    }
}
