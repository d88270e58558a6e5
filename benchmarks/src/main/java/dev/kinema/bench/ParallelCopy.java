package dev.kinema.bench;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/** The bandwidth reference of the benchmarks: one plain copy split into equal parts over a thread pool. */
final class ParallelCopy {
    private ParallelCopy() {
    }

    /** Copies bytes from src to dst in `threads` equal parts on pool; returns when all are done. */
    static void copy(ExecutorService pool, int threads, MemorySegment src, MemorySegment dst, long bytes) {
        try {
            long chunk = bytes / threads;
            Future<?>[] parts = new Future<?>[threads];
            for (int i = 0; i < threads; i++) {
                long offset = i * chunk;
                parts[i] = pool.submit(() -> MemorySegment.copy(src, offset, dst, offset, chunk));
            }
            for (Future<?> part : parts) {
                part.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
