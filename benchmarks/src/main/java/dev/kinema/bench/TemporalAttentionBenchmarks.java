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
 * temporal_attention on the cpu backend at the reference shape: q, k, v [B=1, T=16, 32x32, 8 heads x
 * D=40] channels-last, all 16 frames attended, no rel_bias, output preallocated.
 */
@State(Scope.Benchmark)
public class TemporalAttentionBenchmarks {
    static final int B = 1, T = 16, H = 32, W = 32, HEADS = 8, D = 40, C = HEADS * D;
    /** q k^T and p v: 2 x 2*T*T*D FLOPs per (position, head); the exps are not counted. */
    static final double FLOPS = 4.0 * T * T * D * B * H * W * HEADS;
    /** The least traffic: q, k, v read once, y written once (f32). */
    static final double BYTES = 4.0 * 4 * B * T * H * W * C;

    private Kinema runtime;
    private Tensor q, k, v, y;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        int n = B * T * H * W * C;
        q = runtime.fromFloats(Random.floats(n, 11, 1.0f), B, T, H, W, C);
        k = runtime.fromFloats(Random.floats(n, 12, 1.0f), B, T, H, W, C);
        v = runtime.fromFloats(Random.floats(n, 13, 1.0f), B, T, H, W, C);
        y = runtime.allocate(DType.F32, B, T, H, W, C);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runtime.close();
    }

    @Benchmark
    public void temporalAttention() {
        runtime.temporalAttentionInto(q, k, v, null, HEADS, 1.0 / Math.sqrt(D), 0, false, T, y);
    }
}
