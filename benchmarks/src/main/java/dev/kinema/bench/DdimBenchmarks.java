package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.DdimParams;
import dev.kinema.Kinema;
import dev.kinema.Prediction;
import dev.kinema.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * ddim_step with guidance (reads x, out_c, out_u; writes y) at 64 Mi elements, and beside it the
 * machine's copy bandwidth on the same thread count, so the step's share of bandwidth is measured
 * in the same run.
 */
@State(Scope.Benchmark)
public class DdimBenchmarks {
    /** 64 Mi elements: 256 MiB per tensor, well past the last-level cache this VM reports (384 MB). */
    static final int N = 64 * 1024 * 1024;
    /** Bytes the step must move: three f32 inputs read, one f32 output written. */
    static final double DDIM_BYTES = 4.0 * N * 4;
    /** Bytes a copy moves: one f32 array read, one written. */
    static final double COPY_BYTES = 2.0 * N * 4;

    private Kinema runtime;
    private Tensor x, outC, outU, y;
    private DdimParams params;
    private Arena copyArena;
    private MemorySegment copySource, copyTarget;
    private ExecutorService copyThreads;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        x = runtime.fromFloats(Random.floats(N, 1, 1f), N);
        outC = runtime.fromFloats(Random.floats(N, 2, 1f), N);
        outU = runtime.fromFloats(Random.floats(N, 3, 1f), N);
        y = runtime.allocate(DType.F32, N);
        double alphaS = 0.9;
        params = new DdimParams(0.8, 0.6, alphaS, Math.sqrt(1 - alphaS * alphaS), 7.5, Prediction.EPS, 0, 0);
        copyArena = Arena.ofShared();
        copySource = copyArena.allocate((long) N * 4, 64);
        copyTarget = copyArena.allocate((long) N * 4, 64);
        copyThreads = Executors.newFixedThreadPool(BenchMain.THREADS);
        copy(); // touch every page before timing
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        copyThreads.shutdown();
        copyArena.close();
        runtime.close();
    }

    @Benchmark
    public void ddimStep() {
        runtime.ddimStepInto(x, outC, outU, null, params, y, null);
    }

    /** The bandwidth reference: a plain copy split over the benchmark's thread count. */
    @Benchmark
    public void copy() {
        ParallelCopy.copy(copyThreads, BenchMain.THREADS, copySource, copyTarget, (long) N * 4);
    }
}
