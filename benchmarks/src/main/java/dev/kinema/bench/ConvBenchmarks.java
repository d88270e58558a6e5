package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * conv_spatial (1x3x3) and conv_temporal (3x1x1) on the cpu backend at the reference shape of the
 * foundation: B=1, T=16, 32x32, C=128 -> 128, with bias, output preallocated.
 */
@State(Scope.Benchmark)
public class ConvBenchmarks {
    static final int B = 1, T = 16, H = 32, W = 32, C = 128;
    /** 2 FLOPs per multiply-add; the spatial kernel has 9 taps, the temporal one 3. */
    static final double SPATIAL_FLOPS = 2.0 * B * T * H * W * C * C * 9;
    static final double TEMPORAL_FLOPS = 2.0 * B * T * H * W * C * C * 3;
    /** The least traffic either convolution needs: x and bias read, y written, weights read once. */
    static final double SPATIAL_BYTES = 4.0 * (2.0 * B * T * H * W * C + C + C * C * 9);
    static final double TEMPORAL_BYTES = 4.0 * (2.0 * B * T * H * W * C + C + C * C * 3);

    private Kinema runtime;
    private Tensor x, wSpatial, wTemporal, bias, y;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        x = runtime.fromFloats(Random.floats(B * T * H * W * C, 1, 1.0f), B, T, H, W, C);
        wSpatial = runtime.fromFloats(Random.floats(C * C * 9, 2, 0.03f), C, C, 1, 3, 3);
        wTemporal = runtime.fromFloats(Random.floats(C * C * 3, 3, 0.05f), C, C, 3, 1, 1);
        bias = runtime.fromFloats(Random.floats(C, 4, 1.0f), C);
        y = runtime.allocate(dev.kinema.DType.F32, B, T, H, W, C);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runtime.close();
    }

    @Benchmark
    public void convSpatial() {
        runtime.convSpatialInto(x, wSpatial, bias, null, 1, y);
    }

    @Benchmark
    public void convTemporal() {
        runtime.convTemporalInto(x, wTemporal, bias, null, y);
    }
}
