package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.KvFrames;
import dev.kinema.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * attention (frame-aware, flash-style) on the cpu backend at the reference shape: q [B=1, T=16, N=1024
 * tokens, 8 heads, D=40]; k, v the same for kv_frames=same and all, [B=1, L=77, 8 heads, D=40] for
 * context. Outputs preallocated.
 */
@State(Scope.Benchmark)
public class AttentionBenchmarks {
    static final int B = 1, T = 16, N = 1024, HEADS = 8, D = 40, L = 77;
    /**
     * FLOPs = 4 * Nq * Nk * D per (batch, frame, head): two GEMMs, q k^T and p v, of 2 * Nq * Nk * D
     * each; the exps and the softmax sums are not counted. Nk = N for same, T * N for all, L for context.
     */
    static double flops(long nk) {
        return 4.0 * N * nk * D * B * T * HEADS;
    }

    static final double SAME_FLOPS = flops(N);
    static final double ALL_FLOPS = flops((long) T * N);
    static final double CONTEXT_FLOPS = flops(L);

    private Kinema runtime;
    private Tensor q, k, v, kc, vc, y;
    private double scale;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        int n = B * T * N * HEADS * D;
        q = runtime.fromFloats(Random.floats(n, 41, 1.0f), B, T, N, HEADS, D);
        k = runtime.fromFloats(Random.floats(n, 42, 1.0f), B, T, N, HEADS, D);
        v = runtime.fromFloats(Random.floats(n, 43, 1.0f), B, T, N, HEADS, D);
        kc = runtime.fromFloats(Random.floats(B * L * HEADS * D, 44, 1.0f), B, L, HEADS, D);
        vc = runtime.fromFloats(Random.floats(B * L * HEADS * D, 45, 1.0f), B, L, HEADS, D);
        y = runtime.allocate(DType.F32, B, T, N, HEADS, D);
        scale = 1.0 / Math.sqrt(D);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runtime.close();
    }

    @Benchmark
    public void attentionSame() {
        runtime.attentionInto(q, k, v, KvFrames.SAME, scale, y);
    }

    @Benchmark
    public void attentionAll() {
        runtime.attentionInto(q, k, v, KvFrames.ALL, scale, y);
    }

    @Benchmark
    public void attentionContext() {
        runtime.attentionInto(q, kc, vc, KvFrames.CONTEXT, scale, y);
    }
}
