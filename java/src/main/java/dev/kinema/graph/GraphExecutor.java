package dev.kinema.graph;

import dev.kinema.CapturedGraph;
import dev.kinema.DType;
import dev.kinema.DeviceStream;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.NativeCallException;
import dev.kinema.PreparedOp;
import dev.kinema.Tensor;
import dev.kinema.internal.ExclusiveUse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Graph} on a {@link Kinema} runtime, again and again, with no allocation per run.
 *
 * <p>Made once: plans memory ({@link MemoryPlanner}), allocates one arena of
 * {@link MemoryPlan#peakBytes()} on the runtime, uploads the weights (a weight already on this runtime
 * is used in place), makes a {@link Tensor#view} for every value, and prepares every node with
 * {@link Kinema#prepare}: the op checks its arguments once and its native params struct is filled
 * once. {@link #run} then copies the inputs into their arena slots, hands each node's pre-filled
 * struct to its native entry point in schedule order, and copies the outputs out; the Java side
 * allocates nothing per step (a map lookup per input and output is all it does besides the calls).
 *
 * <p>On a runtime that captures graphs ({@link Kinema#supportsGraphCapture}: cuda, cuda-emu) the nodes
 * run on the executor's own {@link DeviceStream}, and the first run captures them into a
 * {@link CapturedGraph} (the input copies before it and the output copies after it stay outside the
 * capture); every later run replays the whole node sequence with one native call. On cpu, or with
 * capture turned off, each run makes one prepared call per node. {@link #profile} always runs node by
 * node.
 *
 * <p>Inputs and outputs are copied (host or device tensors of any runtime, checked by name, dtype and
 * shape before any native call). {@link #result} reads an output in place instead, until the next run.
 * One run at a time: a run, profile or close from a second thread while one runs is refused with
 * ConcurrentUseException. Close the executor to free the arena, the uploaded weights and
 * the prepared calls.
 */
public final class GraphExecutor implements AutoCloseable {
    private final Graph graph;
    private final Kinema runtime;
    private final MemoryPlan plan;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final Map<Value, Tensor> tensors = new HashMap<>();
    private final String[] inputNames;
    private final Value[] inputValues;
    private final Tensor[] inputSlots;
    private final String[] outputNames;
    private final Value[] outputValues;
    private final Tensor[] outputTensors;
    private final Node[] stepNodes;
    private final PreparedOp[] steps;
    private final List<Tensor> borrowedWeights = new ArrayList<>();
    private final DeviceStream stream;  // null on a runtime that cannot capture
    private final boolean captureEnabled;
    private CapturedGraph captured;
    private final ExclusiveUse use = new ExclusiveUse("GraphExecutor");
    private boolean closed;

    /**
     * Plans, allocates, uploads and prepares everything a run needs; captures the node sequence on its
     * first run where the runtime can (see {@link #GraphExecutor(Graph, Kinema, boolean)}).
     *
     * @throws GraphException when an op rejects a node's call (named after the node)
     */
    public GraphExecutor(Graph graph, Kinema runtime) {
        this(graph, runtime, true);
    }

    /**
     * Like {@link #GraphExecutor(Graph, Kinema)}; with captureGraph false every run makes one prepared
     * call per node even where the runtime could capture them into a graph.
     */
    public GraphExecutor(Graph graph, Kinema runtime, boolean captureGraph) {
        if (graph == null || runtime == null) {
            throw new InvalidArgumentException("GraphExecutor", graph == null ? "graph" : "runtime", "non-null", "null");
        }
        this.graph = graph;
        this.runtime = runtime;
        this.plan = MemoryPlanner.plan(graph);
        List<Node> schedule = plan.schedule();
        List<Node> opNodes = schedule.stream().filter(n -> !n.isView()).toList();
        stepNodes = opNodes.toArray(new Node[0]);
        steps = new PreparedOp[stepNodes.length];
        inputNames = graph.inputs().keySet().toArray(new String[0]);
        inputValues = graph.inputs().values().toArray(new Value[0]);
        inputSlots = new Tensor[inputNames.length];
        outputNames = graph.outputs().keySet().toArray(new String[0]);
        outputValues = graph.outputs().values().toArray(new Value[0]);
        outputTensors = new Tensor[outputNames.length];
        captureEnabled = captureGraph && runtime.supportsGraphCapture();
        stream = runtime.supportsGraphCapture() ? runtime.createStream() : null;
        if (stream != null) {
            owned.add(stream);
        }
        try {
            Tensor arena = runtime.allocate(DType.F32, plan.peakBytes() / 4);
            owned.add(arena);
            plan.slots().forEach((value, slot) -> tensors.put(value, arena.view(slot.offset(), value.dtype(), value.shape())));
            graph.weights().forEach((value, tensor) -> tensors.put(value, weightOnRuntime(value, tensor)));
            for (Node node : schedule) {
                if (node.isView()) {
                    Value out = node.y();
                    tensors.put(out, tensors.get(out.base()).view(0, out.dtype(), out.shape()));
                }
            }
            for (int i = 0; i < inputNames.length; i++) {
                inputSlots[i] = tensors.get(inputValues[i]);
            }
            for (int i = 0; i < outputNames.length; i++) {
                outputTensors[i] = tensors.get(outputValues[i]);
            }
            for (int i = 0; i < stepNodes.length; i++) {
                steps[i] = prepare(stepNodes[i]);
                owned.add(steps[i]);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private Tensor weightOnRuntime(Value value, Tensor tensor) {
        if (tensor.isClosed()) {
            throw new GraphException(value.name(), "weight", "tensor", "an open tensor", "closed " + tensor);
        }
        if (!tensor.isHost() && tensor.runtime() == runtime) {
            borrowedWeights.add(tensor);
            return tensor;
        }
        Tensor copy = runtime.upload(tensor);
        owned.add(copy);
        return copy;
    }

    private PreparedOp prepare(Node node) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        node.inputs().forEach((name, value) -> in.put(name, tensors.get(value)));
        Map<String, Tensor> out = new LinkedHashMap<>();
        node.outputs().forEach((name, value) -> out.put(name, tensors.get(value)));
        try {
            return runtime.prepare(node.op(), in, node.attrs(), out);
        } catch (InvalidArgumentException e) {
            throw new GraphException(node.name(), node.op(), e.argument(), e);
        }
    }

    public Graph graph() {
        return graph;
    }

    public Kinema runtime() {
        return runtime;
    }

    /** The memory plan the arena follows. */
    public MemoryPlan plan() {
        return plan;
    }

    /**
     * Runs the graph once: copies every graph input from inputs (all required, no others), runs the
     * nodes, and copies each output named in outputs into the tensor given for it (any subset of the
     * graph's outputs). Tensors may be host tensors or tensors of any runtime. Returns when the
     * outputs are copied (at once, with none asked for, on an asynchronous backend).
     *
     * @throws GraphException for a missing or unknown name or a wrong dtype or shape, before any native call
     */
    public void run(Map<String, Tensor> inputs, Map<String, Tensor> outputs) {
        try (ExclusiveUse.Held held = use.enter("run")) {
            runAlone(inputs, outputs);
        }
    }

    private void runAlone(Map<String, Tensor> inputs, Map<String, Tensor> outputs) {
        ensureOpen();
        Map<String, Tensor> in = inputs == null ? Map.of() : inputs;
        Map<String, Tensor> out = outputs == null ? Map.of() : outputs;
        RunChecks.inputs(inputNames, inputValues, in);
        RunChecks.outputs(outputNames, outputValues, out);
        for (int i = 0; i < inputSlots.length; i++) {
            inputSlots[i].copyFrom(in.get(inputNames[i]));
        }
        if (captureEnabled) {
            runCaptured();
        } else {
            runSteps();
        }
        for (int i = 0; i < outputTensors.length; i++) {
            Tensor dst = out.get(outputNames[i]);
            if (dst != null) {
                dst.copyFrom(outputTensors[i]);
            }
        }
    }

    private void runSteps() {
        int i = 0;
        try {
            if (stream == null) {
                for (; i < steps.length; i++) {
                    steps[i].run();
                }
            } else {
                for (; i < steps.length; i++) {
                    steps[i].run(stream);
                }
            }
        } catch (NativeCallException e) {
            throw e.at(where(i));
        }
    }

    /** "graph node NAME (op OP, step i of n)", for errors. */
    private String where(int step) {
        return "graph node " + stepNodes[step].name() + " (op " + stepNodes[step].op() + ", step " + (step + 1) + " of "
                + steps.length + ")";
    }

    /** Captures the steps on the first call, then launches the graph (a failed capture is dropped). */
    private void runCaptured() {
        if (captured == null) {
            stream.beginCapture();
            try {
                runSteps();
            } catch (RuntimeException e) {
                try {
                    stream.endCapture().close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            captured = stream.endCapture();
            owned.add(captured);
        } else {
            // The graph holds the weights' addresses: refuse to replay over a weight closed since.
            for (int i = 0; i < borrowedWeights.size(); i++) {
                if (borrowedWeights.get(i).isClosed()) {
                    throw new IllegalStateException("GraphExecutor: weight " + borrowedWeights.get(i) + " is closed");
                }
            }
        }
        try {
            captured.launch(stream);
        } catch (NativeCallException e) {
            throw e.at("captured graph of " + steps.length + " steps");
        }
    }

    /** Whether runs capture the node sequence into a graph (cuda, cuda-emu, unless turned off). */
    public boolean capturesGraph() {
        return captureEnabled;
    }

    /** Items of the captured graph (kernel launches, memsets, copies); 0 before the first run or without capture. */
    public long capturedNodeCount() {
        return captured == null ? 0 : captured.nodeCount();
    }

    /** Runs the graph and returns every output as a new tensor of the runtime (the caller closes them). */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        ensureOpen();
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            for (int i = 0; i < outputNames.length; i++) {
                out.put(outputNames[i], runtime.allocate(outputValues[i].dtype(), outputValues[i].shape()));
            }
            run(inputs, out);
            return out;
        } catch (RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
    }

    /**
     * The tensor holding output name after a run, in place (a view into the arena, or the weight itself):
     * no copy, but overwritten by the next run and closed with the executor. Do not close it.
     */
    public Tensor result(String name) {
        ensureOpen();
        for (int i = 0; i < outputNames.length; i++) {
            if (outputNames[i].equals(name)) {
                return outputTensors[i];
            }
        }
        throw new GraphException(String.valueOf(name), "output", "name", "one of the graph's outputs "
                + graph.outputs().keySet(), "'" + name + "'");
    }

    /**
     * Runs the graph once like {@link #run(Map, Map)} and times every node, synchronizing the runtime
     * before and after each one (slower than a plain run; for finding where the time goes).
     */
    public Profile profile(Map<String, Tensor> inputs, Map<String, Tensor> outputs) {
        try (ExclusiveUse.Held held = use.enter("profile")) {
            return profileAlone(inputs, outputs);
        }
    }

    private Profile profileAlone(Map<String, Tensor> inputs, Map<String, Tensor> outputs) {
        ensureOpen();
        Map<String, Tensor> in = inputs == null ? Map.of() : inputs;
        Map<String, Tensor> out = outputs == null ? Map.of() : outputs;
        RunChecks.inputs(inputNames, inputValues, in);
        RunChecks.outputs(outputNames, outputValues, out);
        for (int i = 0; i < inputSlots.length; i++) {
            inputSlots[i].copyFrom(in.get(inputNames[i]));
        }
        runtime.synchronize();
        List<Profile.Entry> entries = new ArrayList<>();
        for (int i = 0; i < steps.length; i++) {
            long start = System.nanoTime();
            try {
                if (stream == null) {
                    steps[i].run();
                } else {
                    steps[i].run(stream);
                    stream.synchronize();
                }
            } catch (NativeCallException e) {
                throw e.at(where(i));
            }
            runtime.synchronize();
            long nanos = System.nanoTime() - start;
            NodeCost cost = NodeCost.of(stepNodes[i]);
            entries.add(new Profile.Entry(stepNodes[i].name(), stepNodes[i].op(), cost.family(), nanos, cost.bytes(),
                    cost.flops()));
        }
        for (int i = 0; i < outputTensors.length; i++) {
            Tensor dst = out.get(outputNames[i]);
            if (dst != null) {
                dst.copyFrom(outputTensors[i]);
            }
        }
        return new Profile(entries);
    }

    /** Frees the prepared calls, the uploaded weights and the arena; idempotent. */
    @Override
    public void close() {
        try (ExclusiveUse.Held held = use.enter("close")) {
            closeAlone();
        }
    }

    private void closeAlone() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Whether close has been called (by its owner: a Denoiser closes executors it evicts). */
    public boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("GraphExecutor is closed");
        }
        if (runtime.isClosed()) {
            throw new IllegalStateException(runtime + " is closed");
        }
    }
}
