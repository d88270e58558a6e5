package dev.kinema.graph;

import java.util.List;
import java.util.Map;

/**
 * One step of a graph: an OPS.md op (or {@link #VIEW}, a zero-cost alias) with named inputs, string
 * attributes exactly as {@link dev.kinema.Kinema#run} takes them, and named outputs ("y", and "x0"
 * for ddim_step).
 */
public final class Node {
    /** The op name of a view node: its output shares its input's bytes under a new shape. */
    public static final String VIEW = "view";

    private final int index;
    private final String name;
    private final String op;
    private final Map<String, Value> inputs;
    private final Map<String, String> attrs;
    private final Map<String, Value> outputs;

    Node(int index, String name, String op, Map<String, Value> inputs, Map<String, String> attrs,
         Map<String, Value> outputs) {
        this.index = index;
        this.name = name;
        this.op = op;
        this.inputs = inputs;
        this.attrs = attrs;
        this.outputs = outputs;
    }

    /** Position in {@link Graph#nodes()}, which is a topological order. */
    public int index() {
        return index;
    }

    public String name() {
        return name;
    }

    public String op() {
        return op;
    }

    public boolean isView() {
        return op.equals(VIEW);
    }

    /** Input name to value, unmodifiable, in the order given. */
    public Map<String, Value> inputs() {
        return inputs;
    }

    /** Attribute name to its text, unmodifiable. */
    public Map<String, String> attrs() {
        return attrs;
    }

    /** Output name to value ("y", and "x0" for ddim_step), unmodifiable. */
    public Map<String, Value> outputs() {
        return outputs;
    }

    /** The primary output, "y". */
    public Value y() {
        return outputs.get("y");
    }

    List<Value> inputValues() {
        return List.copyOf(inputs.values());
    }

    @Override
    public String toString() {
        return "node '" + name + "' (" + op + ")";
    }
}
