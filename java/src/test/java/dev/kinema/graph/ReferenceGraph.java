package dev.kinema.graph;

import dev.kinema.Tensor;
import dev.kinema.ref.ReferenceOps;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs a graph node by node through the float64 ReferenceOps on host tensors: the oracle of the executor tests. */
final class ReferenceGraph {
    private ReferenceGraph() {
    }

    /** Output name to its values; inputs are host tensors by graph input name. */
    static Map<String, float[]> run(Graph graph, Map<String, Tensor> hostInputs) {
        Map<Value, Tensor> host = new HashMap<>();
        List<Tensor> made = new ArrayList<>();
        try {
            graph.inputs().forEach((name, value) -> host.put(value, hostInputs.get(name)));
            graph.weights().forEach((value, tensor) -> {
                Tensor copy = tensor.isHost() ? tensor : tensor.toHost();
                if (copy != tensor) {
                    made.add(copy);
                }
                host.put(value, copy);
            });
            for (Node node : graph.nodes()) {
                if (node.isView()) {
                    Tensor view = host.get(node.inputs().get("x")).reshape(node.y().shape());
                    host.put(node.y(), view);
                    continue;
                }
                Map<String, Tensor> in = new LinkedHashMap<>();
                node.inputs().forEach((name, value) -> in.put(name, host.get(value)));
                Map<String, Tensor> out = ReferenceOps.run(node.op(), in, node.attrs());
                out.values().forEach(made::add);
                node.outputs().forEach((name, value) -> host.put(value, out.get(name)));
            }
            Map<String, float[]> result = new LinkedHashMap<>();
            graph.outputs().forEach((name, value) -> result.put(name, host.get(value).toFloats()));
            return result;
        } finally {
            made.forEach(Tensor::close);
        }
    }
}
