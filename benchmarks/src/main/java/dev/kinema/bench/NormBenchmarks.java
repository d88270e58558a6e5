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
 * group_norm (32 groups, statistics over the clip, SiLU) and layer_norm (gamma, beta) on the cpu
 * backend at B=1, T=16, 32x32, C=320 channels-last, output preallocated.
 */
@State(Scope.Benchmark)
public class NormBenchmarks {
    static final int B = 1, T = 16, H = 32, W = 32, C = 320, GROUPS = 32;
    /** The least traffic either norm needs: x read once, y written once (f32). */
    static final double BYTES = 4.0 * 2 * B * T * H * W * C;

    private Kinema runtime;
    private Tensor x, gamma, beta, y;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        x = runtime.fromFloats(Random.floats(B * T * H * W * C, 21, 1.0f), B, T, H, W, C);
        gamma = runtime.fromFloats(Random.floats(C, 22, 1.0f), C);
        beta = runtime.fromFloats(Random.floats(C, 23, 1.0f), C);
        y = runtime.allocate(DType.F32, B, T, H, W, C);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runtime.close();
    }

    @Benchmark
    public void groupNorm() {
        runtime.groupNormInto(x, gamma, beta, GROUPS, 1e-5, false, true, y);
    }

    @Benchmark
    public void layerNorm() {
        runtime.layerNormInto(x, gamma, beta, null, null, 1e-5, y);
    }
}
