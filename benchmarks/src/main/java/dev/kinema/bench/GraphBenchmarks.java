package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.PreparedOp;
import dev.kinema.Tensor;
import dev.kinema.graph.Graph;
import dev.kinema.graph.GraphBuilder;
import dev.kinema.graph.GraphExecutor;
import dev.kinema.graph.Value;
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
 * The graph executor's own cost per step, on a graph of {@link #NODES} tiny nodes (alternating add and
 * mul on 16 floats, so the kernels take next to nothing):
 * <ul>
 *   <li>{@code graphRun}: GraphExecutor.run (input and output checks, one copy in, the nodes, one copy out);</li>
 *   <li>{@code graphPreparedDirect}: the same {@link PreparedOp}s called in a loop with nothing around them, the
 *       floor for these kernels; graphRun minus this is the executor's overhead per step;</li>
 *   <li>{@code graphTypedCalls}: the same chain through the typed API (validation and a params struct per
 *       call), what a hand-written step would cost without the executor.</li>
 * </ul>
 */
@State(Scope.Benchmark)
public class GraphBenchmarks {
    public static final int NODES = 64;
    static final long N = 16;

    private Kinema runtime;
    private GraphExecutor executor;
    private Tensor x, z, y, scratchA, scratchB;
    private Map<String, Tensor> inputs, outputs;
    private final List<PreparedOp> prepared = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        executor = new GraphExecutor(chain(), runtime);
        x = runtime.allocate(DType.F32, N);
        z = runtime.allocate(DType.F32, N);
        y = runtime.allocate(DType.F32, N);
        scratchA = runtime.allocate(DType.F32, N);
        scratchB = runtime.allocate(DType.F32, N);
        inputs = Map.of("x", x, "z", z);
        outputs = Map.of("y", y);
        prepared.addAll(prepareChain(runtime, x, z, scratchA, scratchB));
    }

    /** The benchmark graph: {@link #NODES} alternating add / mul nodes on inputs x and z of 16 floats, output y. */
    static Graph chain() {
        GraphBuilder g = new GraphBuilder();
        Value in = g.input("x", DType.F32, N);
        Value zv = g.input("z", DType.F32, N);
        Value h = in;
        for (int i = 0; i < NODES; i++) {
            h = g.op("n" + i, i % 2 == 0 ? "add" : "mul", Map.of("x", h, "z", zv), Map.of());
        }
        g.output("y", h);
        return g.build();
    }

    /** The chain's nodes as prepared calls, ping-ponging between a and b. */
    static List<PreparedOp> prepareChain(Kinema runtime, Tensor x, Tensor z, Tensor a, Tensor b) {
        List<PreparedOp> ops = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            Tensor src = i == 0 ? x : (i % 2 == 1 ? a : b);
            Tensor dst = i % 2 == 0 ? a : b;
            ops.add(runtime.prepare(i % 2 == 0 ? "add" : "mul", Map.of("x", src, "z", z), Map.of(), Map.of("y", dst)));
        }
        return ops;
    }

    /** The chain through the typed API. */
    static void typedChain(Kinema runtime, Tensor x, Tensor z, Tensor a, Tensor b) {
        for (int i = 0; i < NODES; i++) {
            Tensor src = i == 0 ? x : (i % 2 == 1 ? a : b);
            Tensor dst = i % 2 == 0 ? a : b;
            runtime.elementwiseInto(i % 2 == 0 ? "add" : "mul", src, z, 1, 1, dst);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        prepared.forEach(PreparedOp::close);
        executor.close();
        runtime.close();
    }

    @Benchmark
    public void graphRun() {
        executor.run(inputs, outputs);
    }

    @Benchmark
    public void graphPreparedDirect() {
        for (int i = 0; i < NODES; i++) {
            prepared.get(i).run();
        }
    }

    @Benchmark
    public void graphTypedCalls() {
        typedChain(runtime, x, z, scratchA, scratchB);
    }
}
