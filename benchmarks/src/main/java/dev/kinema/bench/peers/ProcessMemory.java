package dev.kinema.bench.peers;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's memory, as the peer comparison reports it: peak and current resident set from
 * /proc/self/status (VmHWM, VmRSS; the peak is reset by writing 5 to /proc/self/clear_refs), and the
 * three counters that show whether a step allocates: bytes the calling thread allocated on the Java heap
 * (com.sun.management.ThreadMXBean), glibc's malloc bytes in use (mallinfo2: uordblks + hblkhd) and the
 * process's minor page faults (getrusage: a step that touches memory it never touched before faults),
 * and, with native/cpu/bench/alloc_count.c preloaded, the process's count of malloc-family calls.
 * The native counters are read through preallocated segments, so reading them allocates nothing.
 */
final class ProcessMemory {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout MALLINFO2 = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("arena"), ValueLayout.JAVA_LONG.withName("ordblks"),
            ValueLayout.JAVA_LONG.withName("smblks"), ValueLayout.JAVA_LONG.withName("hblks"),
            ValueLayout.JAVA_LONG.withName("hblkhd"), ValueLayout.JAVA_LONG.withName("usmblks"),
            ValueLayout.JAVA_LONG.withName("fsmblks"), ValueLayout.JAVA_LONG.withName("uordblks"),
            ValueLayout.JAVA_LONG.withName("fordblks"), ValueLayout.JAVA_LONG.withName("keepcost"));
    /** struct rusage: two timevals, then ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt (longs). */
    private static final long RU_MINFLT_OFFSET = 16 + 16 + 4 * 8;
    private static final int RUSAGE_SELF = 0;
    private static final MethodHandle MALLINFO2_CALL = LINKER.downcallHandle(
            LINKER.defaultLookup().find("mallinfo2").orElseThrow(), FunctionDescriptor.of(MALLINFO2));
    private static final MethodHandle GETRUSAGE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("getrusage").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** kn_alloc_count() of native/cpu/bench/alloc_count.c when the worker runs with it preloaded, else null. */
    private static final MethodHandle ALLOC_COUNT = allocCounterFunction("kn_alloc_count", FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    private static final MethodHandle ALLOC_COUNT_THREAD =
            allocCounterFunction("kn_alloc_count_thread", FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    private static final MethodHandle ALLOC_CLASSIFY =
            allocCounterFunction("kn_alloc_classify", FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
    private static final MethodHandle ALLOC_COUNT_KINEMA =
            allocCounterFunction("kn_alloc_count_kinema", FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    private static final MethodHandle ALLOC_TRACE = allocCounterFunction("kn_alloc_trace", FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));

    private final MemorySegment mallinfo = Arena.global().allocate(MALLINFO2);
    private final SegmentAllocator mallinfoAllocator = (size, align) -> mallinfo;
    private final MemorySegment rusage = Arena.global().allocate(256, 8);

    /** Bytes this thread has allocated on the Java heap since it started. */
    long threadAllocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /** glibc malloc bytes in use (small chunks plus mmapped ones). */
    long mallocBytesInUse() {
        try {
            MemorySegment info = (MemorySegment) MALLINFO2_CALL.invokeExact(mallinfoAllocator);
            return info.get(ValueLayout.JAVA_LONG, 7 * 8) + info.get(ValueLayout.JAVA_LONG, 4 * 8);
        } catch (Throwable t) {
            throw new IllegalStateException("mallinfo2 failed", t);
        }
    }

    /** Minor page faults of the whole process so far. */
    long minorFaults() {
        try {
            int rc = (int) GETRUSAGE.invokeExact(RUSAGE_SELF, rusage);
            if (rc != 0) {
                throw new IllegalStateException("getrusage returned " + rc);
            }
            return rusage.get(ValueLayout.JAVA_LONG, RU_MINFLT_OFFSET);
        } catch (Throwable t) {
            throw new IllegalStateException("getrusage failed", t);
        }
    }

    /**
     * Heap allocations of the whole process so far (every malloc-family call, all threads), when the
     * worker was started with libkn_alloc_count.so preloaded (property kinema.bench.alloc-count names
     * it); -1 otherwise.
     */
    long allocationCount() {
        return counter(ALLOC_COUNT);
    }

    /** Heap allocations the calling thread made so far, when counted (see allocationCount); -1 otherwise. */
    long threadAllocationCount() {
        return counter(ALLOC_COUNT_THREAD);
    }

    /**
     * Attributes the calling thread's allocations from now on (on) or stops; false when not counted.
     * While on, kinemaAllocationCount counts those made with libkinema or libgomp on the stack.
     */
    boolean classifyAllocations(boolean on) {
        return toggle(ALLOC_CLASSIFY, on);
    }

    /** The calling thread's classified allocations made from Kinema's kernels; -1 when not counted. */
    long kinemaAllocationCount() {
        return counter(ALLOC_COUNT_KINEMA);
    }

    /** Backtraces of every allocation to stderr while on (to find what allocates); false when not preloaded. */
    boolean traceAllocations(boolean on) {
        return toggle(ALLOC_TRACE, on);
    }

    /** A counter of the allocation counter library: -1 when it is not preloaded. */
    private static long counter(MethodHandle function) {
        if (function == null) {
            return -1;
        }
        try {
            return (long) function.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("allocation counter: " + function + " failed", t);
        }
    }

    /** Turns a switch of the allocation counter library on or off; false when it is not preloaded. */
    private static boolean toggle(MethodHandle function, boolean on) {
        if (function == null) {
            return false;
        }
        try {
            function.invokeExact(on ? 1 : 0);
            return true;
        } catch (Throwable t) {
            throw new IllegalStateException("allocation counter: " + function + " failed", t);
        }
    }

    private static MethodHandle allocCounterFunction(String name, FunctionDescriptor signature) {
        String library = System.getProperty("kinema.bench.alloc-count");
        if (library == null) {
            return null;
        }
        return LINKER.downcallHandle(SymbolLookup.libraryLookup(Path.of(library), Arena.global()).find(name)
                .orElseThrow(() -> new IllegalStateException(library + " has no " + name)), signature);
    }

    /** VmHWM (peak resident set) in MiB. */
    static double peakRssMib() throws IOException {
        return statusKib("VmHWM") / 1024.0;
    }

    /** VmRSS (current resident set) in MiB. */
    static double rssMib() throws IOException {
        return statusKib("VmRSS") / 1024.0;
    }

    /** Resets VmHWM to the current resident set (Linux: "5" into clear_refs). */
    static void resetPeak() throws IOException {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    }

    private static long statusKib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip());
            }
        }
        throw new IOException("/proc/self/status has no " + field);
    }
}
