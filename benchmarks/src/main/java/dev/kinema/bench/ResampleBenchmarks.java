package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.raw.kinema_h;
import dev.kinema.raw.kn_patch_params;
import dev.kinema.raw.kn_tensor;
import dev.kinema.raw.kn_upsample_nearest_params;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * upsample_nearest (x[1,16,32,32,320] -> y[1,16,64,64,320]) and patchify (p=2, x[1,16,32,32,320] ->
 * y[1,16,256,1280]) on the cpu backend. The typed API has no into-variant for these ops, so two forms
 * are measured: the typed call, which allocates y on every call (and pays its first-touch page faults,
 * as PyTorch does), and the same kernel through the raw binding into a preallocated y with a prebuilt
 * params struct (the kernel's own bandwidth).
 */
@State(Scope.Benchmark)
public class ResampleBenchmarks {
    static final int B = 1, T = 16, H = 32, W = 32, C = 320, P = 2;
    static final long X_ELEMENTS = (long) B * T * H * W * C;
    /** upsample_nearest: x read once, y (4x x) written once (f32). */
    static final double UPSAMPLE_BYTES = 4.0 * X_ELEMENTS * (1 + 4);
    /** patchify: x read once, y (same size) written once (f32). */
    static final double PATCHIFY_BYTES = 4.0 * X_ELEMENTS * 2;

    private Kinema runtime;
    private Tensor x;
    private Arena rawArena;
    private MemorySegment rawContext, upsampleParams, patchParams;
    private MemorySegment rawX, rawUp, rawPatch;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        float[] values = Random.floats((int) X_ELEMENTS, 61, 1.0f);
        x = runtime.fromFloats(values, B, T, H, W, C);

        rawArena = Arena.ofConfined();
        MemorySegment contextOut = rawArena.allocate(ValueLayout.ADDRESS);
        check(kinema_h.kn_context_create(kinema_h.KN_BACKEND_CPU(), 0, contextOut));
        rawContext = contextOut.get(ValueLayout.ADDRESS, 0);
        check(kinema_h.kn_context_set_num_threads(rawContext, BenchMain.THREADS));
        rawX = malloc(X_ELEMENTS * 4);
        MemorySegment.copy(values, 0, rawX, ValueLayout.JAVA_FLOAT, 0, values.length);
        rawUp = malloc(X_ELEMENTS * 4 * 4);
        rawPatch = malloc(X_ELEMENTS * 4);

        upsampleParams = kn_upsample_nearest_params.allocate(rawArena);
        describe(kn_upsample_nearest_params.x(upsampleParams), rawX, B, T, H, W, C);
        describe(kn_upsample_nearest_params.y(upsampleParams), rawUp, B, T, 2 * H, 2 * W, C);
        patchParams = kn_patch_params.allocate(rawArena);
        describe(kn_patch_params.x(patchParams), rawX, B, T, H, W, C);
        describe(kn_patch_params.y(patchParams), rawPatch, B, T, (H / P) * (W / P), P * P * C);
        kn_patch_params.p(patchParams, P);
        upsampleNearestRaw(); // touch every output page before timing
        patchifyRaw();
    }

    private MemorySegment malloc(long bytes) {
        MemorySegment out = rawArena.allocate(ValueLayout.ADDRESS);
        check(kinema_h.kn_malloc(rawContext, bytes, out));
        return out.get(ValueLayout.ADDRESS, 0).reinterpret(bytes);
    }

    /** A contiguous row-major f32 kn_tensor over data. */
    private static void describe(MemorySegment tensor, MemorySegment data, long... shape) {
        kn_tensor.data(tensor, data);
        kn_tensor.dtype(tensor, kinema_h.KN_DTYPE_F32());
        kn_tensor.rank(tensor, shape.length);
        long stride = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            kn_tensor.shape(tensor, i, shape[i]);
            kn_tensor.strides(tensor, i, stride);
            stride *= shape[i];
        }
    }

    private static void check(int status) {
        if (status != kinema_h.KN_OK()) {
            throw new IllegalStateException("kinema call failed: status " + status);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kinema_h.kn_free(rawContext, rawX);
        kinema_h.kn_free(rawContext, rawUp);
        kinema_h.kn_free(rawContext, rawPatch);
        kinema_h.kn_context_destroy(rawContext);
        rawArena.close();
        runtime.close();
    }

    /** The typed call: y allocated by the call, freed right after. */
    @Benchmark
    public void upsampleNearest() {
        try (Tensor y = runtime.upsampleNearest(x)) {
            // only the call is measured; y is freed
        }
    }

    @Benchmark
    public void upsampleNearestRaw() {
        check(kinema_h.kn_upsample_nearest(rawContext, MemorySegment.NULL, upsampleParams));
    }

    /** The typed call: y allocated by the call, freed right after. */
    @Benchmark
    public void patchify() {
        try (Tensor y = runtime.patchify(x, P)) {
            // only the call is measured; y is freed
        }
    }

    @Benchmark
    public void patchifyRaw() {
        check(kinema_h.kn_patchify(rawContext, MemorySegment.NULL, patchParams));
    }
}
