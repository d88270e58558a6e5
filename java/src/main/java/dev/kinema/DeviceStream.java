package dev.kinema;

import dev.kinema.raw.kinema_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A stream of a runtime (kn_stream): an ordered queue of device work apart from the runtime's default
 * stream, and the one place work can be captured into a {@link CapturedGraph}. Work queued on the
 * default stream stays ordered with it (on cuda the stream is a blocking stream, which the legacy
 * default stream waits for and is waited on by).
 *
 * <p>Capture ({@link #beginCapture} .. {@link #endCapture}) needs a backend that captures
 * ({@link Kinema#supportsGraphCapture}): cuda and cuda-emu; cpu refuses it with
 * {@link UnsupportedByBackendException}. While it captures, the runtime's default stream takes no
 * work, and this thread may not allocate or free device tensors of the backend; the calls queued on
 * this stream ({@link PreparedOp#run(DeviceStream)}) are recorded instead of run. Not thread-safe.
 */
public final class DeviceStream implements AutoCloseable {
    private final Kinema runtime;
    private final MemorySegment handle;
    private boolean capturing;
    private boolean closed;

    DeviceStream(Kinema runtime, MemorySegment handle) {
        this.runtime = runtime;
        this.handle = handle;
    }

    public Kinema runtime() {
        return runtime;
    }

    /** Waits until the work queued on this stream has finished. */
    public void synchronize() {
        ensureOpen();
        NativeCalls.check("kn_stream_synchronize", kinema_h.kn_stream_synchronize(runtime.context(), handle));
    }

    /**
     * Starts recording the work queued on this stream (kn_graph_capture_begin).
     *
     * @throws UnsupportedByBackendException on cpu
     * @throws NativeCallException when the stream already captures
     */
    public void beginCapture() {
        ensureOpen();
        NativeCalls.check("kn_graph_capture_begin", kinema_h.kn_graph_capture_begin(runtime.context(), handle));
        capturing = true;
    }

    /** Ends the capture (also when it fails) and returns the recorded work as a graph to replay. */
    public CapturedGraph endCapture() {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(kinema_h.C_POINTER);
            int status = kinema_h.kn_graph_capture_end(runtime.context(), handle, out);
            capturing = false;
            NativeCalls.check("kn_graph_capture_end", status);
            return CapturedGraph.of(runtime, out.get(kinema_h.C_POINTER, 0));
        }
    }

    /** Whether {@link #beginCapture} has not been followed by {@link #endCapture} yet. */
    public boolean isCapturing() {
        return capturing;
    }

    public boolean isClosed() {
        return closed;
    }

    MemorySegment handle() {
        return handle;
    }

    void ensureOpen() {
        runtime.ensureOpen();
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /** Ends an open capture (dropping its graph) and destroys the stream; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (runtime.isClosed()) {
            return;  // the context took its streams' work with it
        }
        if (capturing) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(kinema_h.C_POINTER);
                kinema_h.kn_graph_capture_end(runtime.context(), handle, out);
                MemorySegment graph = out.get(kinema_h.C_POINTER, 0);
                if (!graph.equals(MemorySegment.NULL)) {
                    kinema_h.kn_graph_destroy(runtime.context(), graph);
                }
            }
            capturing = false;
        }
        NativeCalls.check("kn_stream_destroy", kinema_h.kn_stream_destroy(runtime.context(), handle));
    }

    @Override
    public String toString() {
        return "DeviceStream of " + runtime + (closed ? " (closed)" : "");
    }
}
