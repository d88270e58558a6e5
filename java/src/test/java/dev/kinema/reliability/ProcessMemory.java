package dev.kinema.reliability;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's memory, split so that a leak can be told from the JVM's own heap sizing: bytes the
 * native allocator (glibc malloc, which libkinema's host memory comes from) has handed out and not
 * got back (mallinfo2: uordblks + hblkhd), the Java heap in use after a collection, and the resident
 * set (which also moves with how much heap the JVM keeps committed, so it is reported, not judged).
 */
record ProcessMemory(long nativeBytes, long javaHeapBytes, long rssBytes) {
    // struct mallinfo2: ten size_t fields; uordblks is the 8th (index 7), hblkhd the 5th (index 4)
    private static final StructLayout MALLINFO2 = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("arena"), ValueLayout.JAVA_LONG.withName("ordblks"),
            ValueLayout.JAVA_LONG.withName("smblks"), ValueLayout.JAVA_LONG.withName("hblks"),
            ValueLayout.JAVA_LONG.withName("hblkhd"), ValueLayout.JAVA_LONG.withName("usmblks"),
            ValueLayout.JAVA_LONG.withName("fsmblks"), ValueLayout.JAVA_LONG.withName("uordblks"),
            ValueLayout.JAVA_LONG.withName("fordblks"), ValueLayout.JAVA_LONG.withName("keepcost"));
    private static final MethodHandle MALLINFO2_CALL = Linker.nativeLinker().defaultLookup().find("mallinfo2")
            .map(address -> Linker.nativeLinker().downcallHandle(address, FunctionDescriptor.of(MALLINFO2)))
            .orElseThrow(() -> new AssertionError("this test needs glibc's mallinfo2 (glibc >= 2.33)"));

    /**
     * Measured after a full collection; the native figure is the least of three readings 50 ms apart,
     * since the JVM's own compiler and collector threads malloc and free megabytes in passing.
     */
    static ProcessMemory now() {
        System.gc();
        long nativeBytes = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            nativeBytes = Math.min(nativeBytes, nativeInUse());
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Runtime rt = Runtime.getRuntime();
        return new ProcessMemory(nativeBytes, rt.totalMemory() - rt.freeMemory(), rss());
    }

    static long nativeInUse() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = (MemorySegment) MALLINFO2_CALL.invokeExact((java.lang.foreign.SegmentAllocator) arena);
            return info.get(ValueLayout.JAVA_LONG, 7 * 8) + info.get(ValueLayout.JAVA_LONG, 4 * 8);
        } catch (Throwable t) {
            throw new AssertionError("mallinfo2 failed", t);
        }
    }

    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/self/status", e);
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }

    String describe() {
        return String.format("native %.1f MB, Java heap %.1f MB, RSS %.1f MB", nativeBytes / 1e6, javaHeapBytes / 1e6,
                rssBytes / 1e6);
    }
}
