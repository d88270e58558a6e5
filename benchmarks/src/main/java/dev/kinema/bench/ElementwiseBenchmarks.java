package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * add and silu on the cpu backend at 64 Mi elements (256 MiB per tensor, the size of the copy
 * reference in {@link DdimBenchmarks}), sharing one state: x, z and a preallocated y (not in place).
 */
@State(Scope.Benchmark)
public class ElementwiseBenchmarks {
    static final int N = DdimBenchmarks.N;
    /** add: x and z read, y written (f32). */
    static final double ADD_BYTES = 4.0 * N * 3;
    /** silu: x read, y written (f32). */
    static final double SILU_BYTES = 4.0 * N * 2;

    private Kinema runtime;
    private Tensor x, z, y;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        x = runtime.fromFloats(Random.floats(N, 51, 4f), N);
        z = runtime.fromFloats(Random.floats(N, 52, 4f), N);
        y = runtime.allocate(DType.F32, N);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runtime.close();
    }

    @Benchmark
    public void add() {
        runtime.elementwiseInto("add", x, z, 1, 1, y);
    }

    @Benchmark
    public void silu() {
        runtime.elementwiseInto("silu", x, null, 1, 1, y);
    }
}
