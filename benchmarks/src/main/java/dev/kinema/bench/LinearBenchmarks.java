package dev.kinema.bench;

import dev.kinema.Activation;
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
 * linear (M=16384 rows, K=N=320, bias, no activation) and conv3d (3x3x3, C=320 -> 320, bias) at
 * B=1, T=16, 32x32 on the cpu backend, outputs preallocated. conv3d runs ~0.2 s a call here.
 */
@State(Scope.Benchmark)
public class LinearBenchmarks {
    static final int M = 16384, K = 320, N = 320;
    static final int B = 1, T = 16, H = 32, W = 32, C = 320;
    static final double LINEAR_FLOPS = 2.0 * M * K * N;
    static final double CONV3D_FLOPS = 2.0 * B * T * H * W * C * C * 27;

    private Kinema runtime;
    private Tensor x, w, b, y, video, w3, b3, out3;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        x = runtime.fromFloats(Random.floats(M * K, 31, 1.0f), 1, M, K);
        w = runtime.fromFloats(Random.floats(N * K, 32, 0.05f), N, K);
        b = runtime.fromFloats(Random.floats(N, 33, 1.0f), N);
        y = runtime.allocate(DType.F32, 1, M, N);
        video = runtime.fromFloats(Random.floats(B * T * H * W * C, 34, 1.0f), B, T, H, W, C);
        w3 = runtime.fromFloats(Random.floats(C * C * 27, 35, 0.01f), C, C, 3, 3, 3);
        b3 = runtime.fromFloats(Random.floats(C, 36, 1.0f), C);
        out3 = runtime.allocate(DType.F32, B, T, H, W, C);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runtime.close();
    }

    @Benchmark
    public void linear() {
        runtime.linearInto(x, w, b, null, null, Activation.NONE, y);
    }

    @Benchmark
    public void conv3d() {
        runtime.conv3dInto(video, w3, b3, null, out3);
    }
}
