package dev.kinema;

import dev.kinema.internal.CriticalHandles;
import dev.kinema.raw.kinema_h;
import dev.kinema.raw.kn_tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

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

    /**
     * One op entry point, kn_<op>(ctx, stream, params). cuda launches are asynchronous and return at
     * once, so they take a critical handle; cpu and cuda-emu compute inside the call and take the
     * normal (thread-state-switching) handle.
     */
    record OpEntry(String function, MethodHandle normal, MemorySegment address, FunctionDescriptor descriptor) {
    }

    /** The entries, made on the first op call (after the library is loaded, as jextract's lookups need). */
    static final class Entries {
        private Entries() {
        }

        static final OpEntry CONV_SPATIAL = new OpEntry("kn_conv_spatial", kinema_h.kn_conv_spatial$handle(),
                kinema_h.kn_conv_spatial$address(), kinema_h.kn_conv_spatial$descriptor());
        static final OpEntry CONV_TEMPORAL = new OpEntry("kn_conv_temporal", kinema_h.kn_conv_temporal$handle(),
                kinema_h.kn_conv_temporal$address(), kinema_h.kn_conv_temporal$descriptor());
        static final OpEntry CONV3D = new OpEntry("kn_conv3d", kinema_h.kn_conv3d$handle(),
                kinema_h.kn_conv3d$address(), kinema_h.kn_conv3d$descriptor());
        static final OpEntry LINEAR = new OpEntry("kn_linear", kinema_h.kn_linear$handle(),
                kinema_h.kn_linear$address(), kinema_h.kn_linear$descriptor());
        static final OpEntry DDIM_STEP = new OpEntry("kn_ddim_step", kinema_h.kn_ddim_step$handle(),
                kinema_h.kn_ddim_step$address(), kinema_h.kn_ddim_step$descriptor());
        static final OpEntry GROUP_NORM = new OpEntry("kn_group_norm", kinema_h.kn_group_norm$handle(),
                kinema_h.kn_group_norm$address(), kinema_h.kn_group_norm$descriptor());
        static final OpEntry LAYER_NORM = new OpEntry("kn_layer_norm", kinema_h.kn_layer_norm$handle(),
                kinema_h.kn_layer_norm$address(), kinema_h.kn_layer_norm$descriptor());
        static final OpEntry TEMPORAL_ATTENTION = new OpEntry("kn_temporal_attention",
                kinema_h.kn_temporal_attention$handle(), kinema_h.kn_temporal_attention$address(),
                kinema_h.kn_temporal_attention$descriptor());
        static final OpEntry ATTENTION = new OpEntry("kn_attention", kinema_h.kn_attention$handle(),
                kinema_h.kn_attention$address(), kinema_h.kn_attention$descriptor());
        static final OpEntry ELEMENTWISE = new OpEntry("kn_elementwise", kinema_h.kn_elementwise$handle(),
                kinema_h.kn_elementwise$address(), kinema_h.kn_elementwise$descriptor());
        static final OpEntry UPSAMPLE_NEAREST = new OpEntry("kn_upsample_nearest", kinema_h.kn_upsample_nearest$handle(),
                kinema_h.kn_upsample_nearest$address(), kinema_h.kn_upsample_nearest$descriptor());
        static final OpEntry PATCHIFY = new OpEntry("kn_patchify", kinema_h.kn_patchify$handle(),
                kinema_h.kn_patchify$address(), kinema_h.kn_patchify$descriptor());
        static final OpEntry UNPATCHIFY = new OpEntry("kn_unpatchify", kinema_h.kn_unpatchify$handle(),
                kinema_h.kn_unpatchify$address(), kinema_h.kn_unpatchify$descriptor());
        static final OpEntry ALPHA_BLEND = new OpEntry("kn_alpha_blend", kinema_h.kn_alpha_blend$handle(),
                kinema_h.kn_alpha_blend$address(), kinema_h.kn_alpha_blend$descriptor());
        static final OpEntry TIMESTEP_EMBEDDING = new OpEntry("kn_timestep_embedding",
                kinema_h.kn_timestep_embedding$handle(), kinema_h.kn_timestep_embedding$address(),
                kinema_h.kn_timestep_embedding$descriptor());
        static final OpEntry CONCAT = new OpEntry("kn_concat", kinema_h.kn_concat$handle(),
                kinema_h.kn_concat$address(), kinema_h.kn_concat$descriptor());
    }

    /**
     * While open on a thread, the op call made there is captured instead of run: its entry and a copy
     * of its filled params struct (plain values and device addresses, nothing pointing into the
     * caller's confined arena) are kept for {@link PreparedOp}. Each typed op makes exactly one call.
     */
    static final class Capture implements AutoCloseable {
        private static final ThreadLocal<Capture> CURRENT = new ThreadLocal<>();
        private final Arena arena = Arena.ofShared();
        private OpEntry entry;
        private MemorySegment params;
        private boolean handedOver;

        private Capture() {
        }

        static Capture begin() {
            if (CURRENT.get() != null) {
                throw new IllegalStateException("an op call is already being captured on this thread");
            }
            Capture capture = new Capture();
            CURRENT.set(capture);
            return capture;
        }

        private void take(OpEntry op, MemorySegment filled) {
            if (entry != null) {
                throw new IllegalStateException(op.function() + ": a prepared op makes one native call, this is a second");
            }
            entry = op;
            params = arena.allocate(filled.byteSize(), 16);
            params.copyFrom(filled);
        }

        OpEntry entry() {
            if (entry == null) {
                throw new IllegalStateException("no op call was captured");
            }
            return entry;
        }

        /** The captured struct; its arena now belongs to the caller (freed by {@link #release}). */
        MemorySegment params() {
            entry();
            handedOver = true;
            return params;
        }

        Arena arena() {
            return arena;
        }

        @Override
        public void close() {
            CURRENT.remove();
            if (!handedOver) {
                arena.close();
            }
        }
    }

    /** The handle an op call takes on runtime's backend (see {@link OpEntry}). */
    static MethodHandle handle(Kinema runtime, OpEntry op) {
        return runtime.backend() == Backend.CUDA
                ? CriticalHandles.op(op.function(), op.address(), op.descriptor())
                : op.normal();
    }

    /** Calls op on runtime's default stream and turns a failed status into its typed exception. */
    static void run(Kinema runtime, OpEntry op, MemorySegment params) {
        Capture capture = Capture.CURRENT.get();
        if (capture != null) {
            capture.take(op, params);
            return;
        }
        MethodHandle handle = handle(runtime, op);
        int status;
        try {
            status = (int) handle.invokeExact(runtime.context(), MemorySegment.NULL, params);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcalls throw only unchecked exceptions", t);
        }
        check(op.function(), status);
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
