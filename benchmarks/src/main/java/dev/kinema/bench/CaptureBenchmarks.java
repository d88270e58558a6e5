package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.CapturedGraph;
import dev.kinema.DType;
import dev.kinema.DeviceStream;
import dev.kinema.Kinema;
import dev.kinema.PreparedOp;
import dev.kinema.Tensor;
import dev.kinema.graph.Graph;
import dev.kinema.graph.GraphExecutor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Host overhead per denoiser step on cuda-emu, with and without graph capture, on the graph of
 * {@link GraphBenchmarks#NODES} tiny nodes (alternating add and mul on 16 floats: one 1-block launch
 * each). Every variant runs the same 64 emulated kernels; {@code captureLaunchOnly} (one
 * {@link CapturedGraph#launch}: one downcall, then the emulator's replay loop) is the floor, and each
 * other variant minus that floor is the host overhead it adds per step, kernels excluded:
 * <ul>
 *   <li>{@code captureExecutorRun}: GraphExecutor.run with capture (checks, copy in, one graph launch, copy out);</li>
 *   <li>{@code stepwiseExecutorRun}: GraphExecutor.run with capture off (one prepared call per node);</li>
 *   <li>{@code stepwisePreparedDirect}: the 64 prepared calls in a bare loop (no copies);</li>
 *   <li>{@code stepwiseTypedCalls}: the chain through the typed API (checks and a params struct per call).</li>
 * </ul>
 * There is no GPU here: these are cuda-emu host costs; on cuda a graph launch also saves the driver's
 * per-launch cost, which this cannot measure.
 */
@State(Scope.Benchmark)
public class CaptureBenchmarks {
    private static final int NODES = GraphBenchmarks.NODES;

    private Kinema runtime;
    private GraphExecutor captured;
    private GraphExecutor stepwise;
    private DeviceStream stream;
    private CapturedGraph graph;
    private Tensor x, z, y, scratchA, scratchB;
    private Map<String, Tensor> inputs, outputs;
    private final List<PreparedOp> prepared = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CUDA_EMU);
        runtime.setNumThreads(1);  // one block per launch: no thread pool hand-off in the numbers
        Graph built = GraphBenchmarks.chain();
        captured = new GraphExecutor(built, runtime);
        stepwise = new GraphExecutor(built, runtime, false);
        x = runtime.allocate(DType.F32, GraphBenchmarks.N);
        z = runtime.allocate(DType.F32, GraphBenchmarks.N);
        y = runtime.allocate(DType.F32, GraphBenchmarks.N);
        scratchA = runtime.allocate(DType.F32, GraphBenchmarks.N);
        scratchB = runtime.allocate(DType.F32, GraphBenchmarks.N);
        inputs = Map.of("x", x, "z", z);
        outputs = Map.of("y", y);
        prepared.addAll(GraphBenchmarks.prepareChain(runtime, x, z, scratchA, scratchB));
        stream = runtime.createStream();
        stream.beginCapture();
        prepared.forEach(op -> op.run(stream));
        graph = stream.endCapture();
        captured.run(inputs, outputs);  // the executor's capture happens here, outside the measurement
        if (captured.capturedNodeCount() != NODES || graph.nodeCount() != NODES) {
            throw new IllegalStateException("expected " + NODES + " captured launches, got "
                    + captured.capturedNodeCount() + " and " + graph.nodeCount());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        graph.close();
        stream.close();
        prepared.forEach(PreparedOp::close);
        captured.close();
        stepwise.close();
        runtime.close();
    }

    @Benchmark
    public void captureLaunchOnly() {
        graph.launch(stream);
    }

    @Benchmark
    public void captureExecutorRun() {
        captured.run(inputs, outputs);
    }

    @Benchmark
    public void stepwiseExecutorRun() {
        stepwise.run(inputs, outputs);
    }

    @Benchmark
    public void stepwisePreparedDirect() {
        for (int i = 0; i < NODES; i++) {
            prepared.get(i).run();
        }
    }

    @Benchmark
    public void stepwiseTypedCalls() {
        GraphBenchmarks.typedChain(runtime, x, z, scratchA, scratchB);
    }
}
