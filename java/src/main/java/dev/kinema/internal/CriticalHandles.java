package dev.kinema.internal;

import dev.kinema.raw.kinema_h;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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

    private static final Map<String, MethodHandle> OPS = new ConcurrentHashMap<>();

    /**
     * The critical handle of op entry point `function` (kn_<op>(ctx, stream, params)), made on first
     * use: only cuda launches take it, so the other backends never pay for it.
     */
    public static MethodHandle op(String function, MemorySegment address, FunctionDescriptor descriptor) {
        return OPS.computeIfAbsent(function, f -> critical(address, descriptor));
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
