package dev.kinema.graph;

import dev.kinema.Tensor;

import java.util.List;
import java.util.Map;

/**
 * An immutable dataflow graph of OPS.md ops, made by {@link GraphBuilder}: values with dtypes and
 * shapes inferred at build time, nodes in a topological order (the order they were added), the named
 * inputs each run supplies, the weights (tensors fixed for an executor's life) and the named outputs.
 * Run it with a {@link GraphExecutor}; see its memory plan with {@link MemoryPlanner#plan}.
 */
public final class Graph {
    private final List<Value> values;
    private final List<Node> nodes;
    private final Map<String, Value> inputs;
    private final Map<Value, Tensor> weights;
    private final Map<String, Value> outputs;

    Graph(List<Value> values, List<Node> nodes, Map<String, Value> inputs, Map<Value, Tensor> weights,
          Map<String, Value> outputs) {
        this.values = List.copyOf(values);
        this.nodes = List.copyOf(nodes);
        this.inputs = inputs;
        this.weights = weights;
        this.outputs = outputs;
    }

    /** Every value, indexed by {@link Value#id()}. */
    public List<Value> values() {
        return values;
    }

    /** The nodes in a topological order: each node's inputs are graph inputs, weights or earlier nodes' outputs. */
    public List<Node> nodes() {
        return nodes;
    }

    /** Input name to value, in declaration order, unmodifiable. */
    public Map<String, Value> inputs() {
        return inputs;
    }

    /** Weight value to the tensor given for it (host or device), unmodifiable. */
    public Map<Value, Tensor> weights() {
        return weights;
    }

    /** Output name to value, in declaration order, unmodifiable. */
    public Map<String, Value> outputs() {
        return outputs;
    }

    /** One line per node: "name = op(input=value, ...) {attrs} -> outputs". */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        inputs.forEach((name, v) -> text.append("input ").append(v).append('\n'));
        weights.keySet().forEach(v -> text.append("weight ").append(v).append('\n'));
        for (Node node : nodes) {
            text.append(node.name()).append(" = ").append(node.op()).append('(');
            List<String> args = node.inputs().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().name()).toList();
            text.append(String.join(", ", args)).append(')');
            if (!node.attrs().isEmpty()) {
                text.append(' ').append(node.attrs());
            }
            text.append(" -> ").append(node.outputs().values()).append('\n');
        }
        outputs.forEach((name, v) -> text.append("output ").append(name).append(" = ").append(v.name()).append('\n'));
        return text.toString();
    }
}
