package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.DdimParams;
import dev.kinema.Kinema;
import dev.kinema.Prediction;
import dev.kinema.Tensor;
import dev.kinema.raw.kinema_h;
import dev.kinema.raw.kn_ddim_step_params;
import dev.kinema.raw.kn_tensor;
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
 * The cost of crossing into libkinema: an empty op (ddim_step on zero elements) through the typed
 * Java API (validation, params struct, native call, status check), the same call through the raw
 * binding with a prebuilt params struct (FFM + ABI validation only), and the cheapest call there is.
 */
@State(Scope.Benchmark)
public class FfmCallBenchmarks {
    private Kinema runtime;
    private Tensor x, outC, y;
    private DdimParams params;
    private Arena rawArena;
    private MemorySegment rawContext, rawParams;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        x = runtime.allocate(DType.F32, 0);
        outC = runtime.allocate(DType.F32, 0);
        y = runtime.allocate(DType.F32, 0);
        params = new DdimParams(0.8, 0.6, 0.9, Math.sqrt(0.19), 1, Prediction.V, 0, 0);

        rawArena = Arena.ofConfined();
        MemorySegment contextOut = rawArena.allocate(ValueLayout.ADDRESS);
        check(kinema_h.kn_context_create(kinema_h.KN_BACKEND_CPU(), 0, contextOut));
        rawContext = contextOut.get(ValueLayout.ADDRESS, 0);
        MemorySegment bufferOut = rawArena.allocate(ValueLayout.ADDRESS);
        check(kinema_h.kn_malloc(rawContext, 0, bufferOut));
        MemorySegment empty = bufferOut.get(ValueLayout.ADDRESS, 0);
        rawParams = kn_ddim_step_params.allocate(rawArena);
        describeEmpty(kn_ddim_step_params.x(rawParams), empty);
        describeEmpty(kn_ddim_step_params.out_c(rawParams), empty);
        describeEmpty(kn_ddim_step_params.y(rawParams), empty);
        kn_ddim_step_params.alpha_t(rawParams, 0.8);
        kn_ddim_step_params.sigma_t(rawParams, 0.6);
        kn_ddim_step_params.alpha_s(rawParams, 0.9);
        kn_ddim_step_params.sigma_s(rawParams, Math.sqrt(0.19));
        kn_ddim_step_params.guidance(rawParams, 1);
        kn_ddim_step_params.prediction(rawParams, kinema_h.KN_PREDICTION_V());
        check(kinema_h.kn_ddim_step(rawContext, MemorySegment.NULL, rawParams));
    }

    private static void describeEmpty(MemorySegment tensor, MemorySegment data) {
        kn_tensor.data(tensor, data);
        kn_tensor.dtype(tensor, kinema_h.KN_DTYPE_F32());
        kn_tensor.rank(tensor, 1);
        kn_tensor.shape(tensor, 0, 0L);
        kn_tensor.strides(tensor, 0, 1L);
    }

    private static void check(int status) {
        if (status != kinema_h.KN_OK()) {
            throw new IllegalStateException("kinema call failed: status " + status);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kinema_h.kn_context_destroy(rawContext);
        rawArena.close();
        runtime.close();
    }

    @Benchmark
    public void emptyOpTyped() {
        runtime.ddimStepInto(x, outC, null, null, params, y, null);
    }

    @Benchmark
    public int emptyOpRaw() {
        return kinema_h.kn_ddim_step(rawContext, MemorySegment.NULL, rawParams);
    }

    @Benchmark
    public int abiVersionRaw() {
        return kinema_h.kn_abi_version();
    }
}
