package dev.kinema.internal;

import dev.kinema.raw.kinema_h;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Critical downcall handles for entry points that return quickly and never block: the library
 * queries, and op launches on the asynchronous cuda backend. A critical call skips the thread
 * state transition, so it must not run long (it would stall safepoints and the GC); cpu and
 * cuda-emu ops compute inside the call and therefore use the normal handles of {@link kinema_h}.
 * Built from the generated descriptors and addresses, so they cannot drift from the header.
 */
public final class CriticalHandles {
    private CriticalHandles() {
    }

    private static MethodHandle critical(MemorySegment address, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(address, descriptor, Linker.Option.critical(false));
    }

    private static final class AbiVersion {
        static final MethodHandle HANDLE = critical(kinema_h.kn_abi_version$address(), kinema_h.kn_abi_version$descriptor());
    }

    private static final class LastError {
        static final MethodHandle HANDLE = critical(kinema_h.kn_last_error$address(), kinema_h.kn_last_error$descriptor());
    }

    private static final class BackendName {
        static final MethodHandle HANDLE = critical(kinema_h.kn_backend_name$address(), kinema_h.kn_backend_name$descriptor());
    }

    private static final class ConvSpatial {
        static final MethodHandle HANDLE = critical(kinema_h.kn_conv_spatial$address(), kinema_h.kn_conv_spatial$descriptor());
    }

    private static final class ConvTemporal {
        static final MethodHandle HANDLE = critical(kinema_h.kn_conv_temporal$address(), kinema_h.kn_conv_temporal$descriptor());
    }

    private static final class DdimStep {
        static final MethodHandle HANDLE = critical(kinema_h.kn_ddim_step$address(), kinema_h.kn_ddim_step$descriptor());
    }

    private static final class TemporalAttention {
        static final MethodHandle HANDLE = critical(kinema_h.kn_temporal_attention$address(),
                kinema_h.kn_temporal_attention$descriptor());
    }

    private static final class Attention {
        static final MethodHandle HANDLE = critical(kinema_h.kn_attention$address(), kinema_h.kn_attention$descriptor());
    }

    private static final class GroupNorm {
        static final MethodHandle HANDLE = critical(kinema_h.kn_group_norm$address(), kinema_h.kn_group_norm$descriptor());
    }

    private static final class LayerNorm {
        static final MethodHandle HANDLE = critical(kinema_h.kn_layer_norm$address(), kinema_h.kn_layer_norm$descriptor());
    }

    private static final class Linear {
        static final MethodHandle HANDLE = critical(kinema_h.kn_linear$address(), kinema_h.kn_linear$descriptor());
    }

    private static final class Conv3d {
        static final MethodHandle HANDLE = critical(kinema_h.kn_conv3d$address(), kinema_h.kn_conv3d$descriptor());
    }

    public static int abiVersion() {
        try {
            return (int) AbiVersion.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The calling thread's last libkinema error message; "" when none. */
    public static String lastError() {
        try {
            MemorySegment message = (MemorySegment) LastError.HANDLE.invokeExact();
            return message.equals(MemorySegment.NULL) ? "" : message.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** "cpu", "cuda", "cuda-emu", or null for an unknown kind. */
    public static String backendName(int backendKind) {
        try {
            MemorySegment name = (MemorySegment) BackendName.HANDLE.invokeExact(backendKind);
            return name.equals(MemorySegment.NULL) ? null : name.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int convSpatial(MemorySegment context, MemorySegment stream, MemorySegment params) {
        try {
            return (int) ConvSpatial.HANDLE.invokeExact(context, stream, params);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int convTemporal(MemorySegment context, MemorySegment stream, MemorySegment params) {
        try {
            return (int) ConvTemporal.HANDLE.invokeExact(context, stream, params);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int ddimStep(MemorySegment context, MemorySegment stream, MemorySegment params) {
        try {
            return (int) DdimStep.HANDLE.invokeExact(context, stream, params);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int groupNorm(MemorySegment context, MemorySegment stream, MemorySegment params) {
        try {
            return (int) GroupNorm.HANDLE.invokeExact(context, stream, params);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int layerNorm(MemorySegment context, MemorySegment stream, MemorySegment params) {
        try {
            return (int) LayerNorm.HANDLE.invokeExact(context, stream, params);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int linear(MemorySegment context, MemorySegment stream, MemorySegment params) {
        try {
            return (int) Linear.HANDLE.invokeExact(context, stream, params);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int conv3d(MemorySegment context, MemorySegment stream, MemorySegment params) {
        try {
            return (int) Conv3d.HANDLE.invokeExact(context, stream, params);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int temporalAttention(MemorySegment context, MemorySegment stream, MemorySegment params) {
        try {
            return (int) TemporalAttention.HANDLE.invokeExact(context, stream, params);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int attention(MemorySegment context, MemorySegment stream, MemorySegment params) {
        try {
            return (int) Attention.HANDLE.invokeExact(context, stream, params);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** invokeExact declares Throwable; downcalls throw only unchecked exceptions and errors. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new AssertionError("should not reach here", t);
    }
}
