package dev.kinema.graph;

import dev.kinema.DType;
import dev.kinema.DdimParams;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.OpSignature;
import dev.kinema.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link Graph} one node at a time. Every call checks its arguments at once (names, op
 * inputs and attributes, dtypes, shapes, as OPS.md defines them) and infers the outputs' dtype and
 * shape, so a mistake is reported where it is made, as a {@link GraphException} naming the node.
 * Input names, weight names and node names share one namespace. Not thread-safe.
 *
 * <pre>{@code
 * GraphBuilder g = new GraphBuilder();
 * Value x = g.input("x", DType.F32, 1, 4, 8, 8, 32);
 * Value h = g.op("norm", "group_norm", Map.of("x", x, "gamma", g.weight("gamma", gamma), "beta", g.weight("beta", beta)),
 *         Map.of("groups", 8, "silu", true));
 * g.output("y", h);
 * Graph graph = g.build();
 * }</pre>
 */
public final class GraphBuilder {
    private final List<Value> values = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Value> inputs = new LinkedHashMap<>();
    private final Map<Value, Tensor> weights = new LinkedHashMap<>();
    private final Map<String, Value> outputs = new LinkedHashMap<>();
    private final Set<String> names = new HashSet<>();

    /** Declares an input every run supplies: a tensor of dtype and shape. */
    public Value input(String name, DType dtype, long... shape) {
        claim(name, "input");
        if (dtype == null) {
            throw new GraphException(name, "input", "dtype", "one of f32, f16, bf16", "null");
        }
        long[] checked = checkedShape(name, "input", shape);
        Value v = add(name, dtype, checked, Value.Kind.INPUT, null);
        inputs.put(name, v);
        return v;
    }

    /**
     * Declares a weight or constant: tensor (host, or a device tensor of any runtime) is uploaded once
     * by each executor made from the graph, or used in place when it already lives on the executor's
     * runtime. It must stay open until then (and, when used in place, for the executor's life).
     */
    public Value weight(String name, Tensor tensor) {
        claim(name, "weight");
        if (tensor == null || tensor.isClosed()) {
            throw new GraphException(name, "weight", "tensor", "an open tensor", tensor == null ? "null" : "closed " + tensor);
        }
        Value v = add(name, tensor.dtype(), tensor.shape(), Value.Kind.WEIGHT, null);
        weights.put(v, tensor);
        return v;
    }

    /** Adds node running op (an OPS.md name) and returns its output y. */
    public Value op(String node, String op, Map<String, Value> inputs, Map<String, ?> attrs) {
        return opOutputs(node, op, inputs, attrs).get("y");
    }

    /** Adds node running op and returns all of its outputs by name: y, and x0 for ddim_step. */
    public Map<String, Value> opOutputs(String node, String op, Map<String, Value> inputs, Map<String, ?> attrs) {
        if (node == null || node.isEmpty()) {
            throw new GraphException(String.valueOf(node), op, "name", "a non-empty node name", String.valueOf(node));
        }
        OpSignature signature;
        try {
            signature = Kinema.signature(op);
        } catch (InvalidArgumentException e) {
            throw new GraphException(node, op, "op", "one of " + String.join(", ", Kinema.opNames()),
                    op == null ? "null" : "'" + op + "'");
        }
        Map<String, Value> in = checkInputs(node, signature, inputs);
        Map<String, String> text = Attributes.normalize(node, op, attrs, signature.attributes());
        NodeCheck check = new NodeCheck(node, op, in, text);
        long[] y = ShapeInference.infer(check);
        if (op.equals("ddim_step")) {
            try {
                DdimParams.fromAttrs(text).validate();
            } catch (InvalidArgumentException e) {
                throw new GraphException(node, op, e.argument(), e);
            }
        }
        claim(node, op);
        DType dtype = in.get(signature.requiredInputs().get(0)).dtype();
        Map<String, Value> out = new LinkedHashMap<>();
        for (String output : signature.outputs()) {
            out.put(output, add(output.equals("y") ? node : node + ":" + output, dtype, y, Value.Kind.NODE, null));
        }
        nodes.add(new Node(nodes.size(), node, op, in, text, Collections.unmodifiableMap(out)));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Adds a view node: the same bytes as value under a new shape with the same element count (e.g.
     * [B,T,H,W,C] as [B*T*H*W, C] around linear, or q [B,T,N,heads*D] as [B,T,N,heads,D]). Costs
     * nothing at run time; writes to value are seen through the view and vice versa.
     */
    public Value view(String node, Value value, long... shape) {
        Value v = own(node, Node.VIEW, "x", value);
        long[] checked = checkedShape(node, Node.VIEW, shape);
        long numel = Arrays.stream(checked).reduce(1, (a, b) -> a * b);
        if (numel != v.numel()) {
            throw new GraphException(node, Node.VIEW, "shape", v.numel() + " elements (the count of " + v + ")",
                    Arrays.toString(checked) + " with " + numel + " elements");
        }
        claim(node, Node.VIEW);
        Value out = add(node, v.dtype(), checked, Value.Kind.NODE, v.root());
        Map<String, Value> in = new LinkedHashMap<>();
        in.put("x", v);
        nodes.add(new Node(nodes.size(), node, Node.VIEW, Collections.unmodifiableMap(in), Map.of(), Map.of("y", out)));
        return out;
    }

    /** The same as {@link #view}. */
    public Value reshape(String node, Value value, long... shape) {
        return view(node, value, shape);
    }

    /** Names value as an output of the graph; each run can read it back under this name. */
    public void output(String name, Value value) {
        if (name == null || name.isEmpty()) {
            throw new GraphException(String.valueOf(name), "output", "name", "a non-empty output name", String.valueOf(name));
        }
        if (outputs.containsKey(name)) {
            throw new GraphException(name, "output", "name", "a name not yet used by an output", "'" + name + "' again");
        }
        outputs.put(name, own(name, "output", "value", value));
    }

    /** The graph as built so far; the builder can go on adding to make a larger graph. */
    public Graph build() {
        return new Graph(values, nodes, Collections.unmodifiableMap(new LinkedHashMap<>(inputs)),
                Collections.unmodifiableMap(new LinkedHashMap<>(weights)),
                Collections.unmodifiableMap(new LinkedHashMap<>(outputs)));
    }

    private Map<String, Value> checkInputs(String node, OpSignature signature, Map<String, Value> given) {
        Map<String, Value> in = new LinkedHashMap<>();
        Map<String, Value> map = given == null ? Map.of() : given;
        for (Map.Entry<String, Value> entry : map.entrySet()) {
            String name = entry.getKey();
            if (name == null || !signature.hasInput(name)) {
                List<String> all = new ArrayList<>(signature.requiredInputs());
                signature.optionalInputs().forEach(o -> all.add(o + "?"));
                throw new GraphException(node, signature.op(), String.valueOf(name),
                        "an input of " + signature.op() + " (" + String.join(", ", all) + ")", "an unknown input");
            }
            in.put(name, own(node, signature.op(), name, entry.getValue()));
        }
        for (String name : signature.requiredInputs()) {
            if (!in.containsKey(name)) {
                throw new GraphException(node, signature.op(), name, "a value (required input)", "nothing");
            }
        }
        DType dtype = in.get(signature.requiredInputs().get(0)).dtype();
        for (Map.Entry<String, Value> entry : in.entrySet()) {
            if (entry.getValue().dtype() != dtype) {
                throw new GraphException(node, signature.op(), entry.getKey(), "dtype " + dtype.id() + " (the dtype of "
                        + signature.requiredInputs().get(0) + ")", entry.getValue().dtype().id() + " (" + entry.getValue() + ")");
            }
        }
        return Collections.unmodifiableMap(in);
    }

    /** value, after checking it is a value of this builder. */
    private Value own(String node, String op, String argument, Value value) {
        if (value == null) {
            throw new GraphException(node, op, argument, "a value of this graph", "null");
        }
        if (value.id() >= values.size() || values.get(value.id()) != value) {
            throw new GraphException(node, op, argument, "a value of this graph", "a value of another graph (" + value + ")");
        }
        return value;
    }

    private void claim(String name, String op) {
        if (name == null || name.isEmpty()) {
            throw new GraphException(String.valueOf(name), op, "name", "a non-empty name", String.valueOf(name));
        }
        if (!names.add(name)) {
            throw new GraphException(name, op, "name", "a name not yet used by an input, weight or node", "'" + name + "' again");
        }
    }

    private static long[] checkedShape(String name, String op, long[] shape) {
        if (shape == null) {
            throw new GraphException(name, op, "shape", "an array of dimensions", "null");
        }
        if (shape.length > 8) {
            throw new GraphException(name, op, "shape", "rank <= 8", "rank " + shape.length + " " + Arrays.toString(shape));
        }
        for (long dim : shape) {
            if (dim < 0) {
                throw new GraphException(name, op, "shape", "dimensions >= 0", Arrays.toString(shape));
            }
        }
        return shape.clone();
    }

    private Value add(String name, DType dtype, long[] shape, Value.Kind kind, Value base) {
        Value v = new Value(values.size(), name, dtype, shape, kind, base);
        values.add(v);
        return v;
    }
}
