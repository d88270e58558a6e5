package dev.kinema;

import dev.kinema.internal.CriticalHandles;
import dev.kinema.raw.kinema_h;
import dev.kinema.raw.kn_tensor;

import java.lang.foreign.MemorySegment;

/** Status checking and the choice between normal and critical handles for op calls. */
final class NativeCalls {
    private NativeCalls() {
    }

    /** Throws the typed exception for a failed status, with the calling thread's kn_last_error text. */
    static void check(String function, int status) {
        if (status == kinema_h.KN_OK()) {
            return;
        }
        String message = lastError();
        if (status == kinema_h.KN_ERR_UNSUPPORTED()) {
            throw new UnsupportedByBackendException(function, status, message);
        }
        if (status == kinema_h.KN_ERR_UNAVAILABLE()) {
            throw new BackendUnavailableException(function + ": " + message);
        }
        throw new NativeCallException(function, status, message);
    }

    static String lastError() {
        return CriticalHandles.lastError();
    }

    // cuda launches are asynchronous and return at once: critical handles. cpu and cuda-emu
    // compute inside the call, so they take the normal (thread-state-switching) handles.

    static void convSpatial(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? CriticalHandles.convSpatial(context, MemorySegment.NULL, params)
                : kinema_h.kn_conv_spatial(context, MemorySegment.NULL, params);
        check("kn_conv_spatial", status);
    }

    static void convTemporal(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? CriticalHandles.convTemporal(context, MemorySegment.NULL, params)
                : kinema_h.kn_conv_temporal(context, MemorySegment.NULL, params);
        check("kn_conv_temporal", status);
    }

    static void ddimStep(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? CriticalHandles.ddimStep(context, MemorySegment.NULL, params)
                : kinema_h.kn_ddim_step(context, MemorySegment.NULL, params);
        check("kn_ddim_step", status);
    }

    static void groupNorm(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? CriticalHandles.groupNorm(context, MemorySegment.NULL, params)
                : kinema_h.kn_group_norm(context, MemorySegment.NULL, params);
        check("kn_group_norm", status);
    }

    static void layerNorm(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? CriticalHandles.layerNorm(context, MemorySegment.NULL, params)
                : kinema_h.kn_layer_norm(context, MemorySegment.NULL, params);
        check("kn_layer_norm", status);
    }

    static void linear(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? CriticalHandles.linear(context, MemorySegment.NULL, params)
                : kinema_h.kn_linear(context, MemorySegment.NULL, params);
        check("kn_linear", status);
    }

    static void conv3d(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? CriticalHandles.conv3d(context, MemorySegment.NULL, params)
                : kinema_h.kn_conv3d(context, MemorySegment.NULL, params);
        check("kn_conv3d", status);
    }

    static void temporalAttention(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? CriticalHandles.temporalAttention(context, MemorySegment.NULL, params)
                : kinema_h.kn_temporal_attention(context, MemorySegment.NULL, params);
        check("kn_temporal_attention", status);
    }

    static void elementwise(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? ElementwiseOps.Critical.call(context, MemorySegment.NULL, params)
                : kinema_h.kn_elementwise(context, MemorySegment.NULL, params);
        check("kn_elementwise", status);
    }

    static void attention(Kinema runtime, MemorySegment params) {
        MemorySegment context = runtime.context();
        int status = runtime.backend() == Backend.CUDA
                ? CriticalHandles.attention(context, MemorySegment.NULL, params)
                : kinema_h.kn_attention(context, MemorySegment.NULL, params);
        check("kn_attention", status);
    }

    /** Describes t in a kn_tensor struct; a null t leaves the struct zeroed (an absent optional). */
    static void describe(MemorySegment struct, Tensor t) {
        if (t == null) {
            return;
        }
        kn_tensor.data(struct, t.address());
        kn_tensor.dtype(struct, t.dtype().code());
        kn_tensor.rank(struct, t.rank());
        long[] shape = t.shape();
        long[] strides = t.strides();
        for (int axis = 0; axis < shape.length; axis++) {
            kn_tensor.shape(struct, axis, shape[axis]);
            kn_tensor.strides(struct, axis, strides[axis]);
        }
    }
}
