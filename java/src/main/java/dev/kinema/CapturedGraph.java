package dev.kinema;

import dev.kinema.raw.kinema_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Work captured from a {@link DeviceStream} (kn_graph): replayed in order on a stream with one native
 * call. On cuda it is an instantiated CUDA graph; on cuda-emu the recorded launch list (each kernel's
 * grid, block, shared memory and arguments by value), replayed through the same emulated launches.
 * The tensors the captured calls used must stay open while the graph is launched: their addresses are
 * baked in. Close it to free it; closing the runtime frees it too. Not thread-safe.
 */
public final class CapturedGraph implements AutoCloseable {
    private final Kinema runtime;
    private final MemorySegment handle;
    private final long nodeCount;
    private final MethodHandle launch;
    private boolean closed;

    private CapturedGraph(Kinema runtime, MemorySegment handle, long nodeCount) {
        this.runtime = runtime;
        this.handle = handle;
        this.nodeCount = nodeCount;
        // A cuda graph launch only queues work and returns: a critical call, like cuda op launches.
        this.launch = runtime.backend() == Backend.CUDA
                ? dev.kinema.internal.CriticalHandles.op("kn_graph_launch", kinema_h.kn_graph_launch$address(),
                        kinema_h.kn_graph_launch$descriptor())
                : kinema_h.kn_graph_launch$handle();
    }

    static CapturedGraph of(Kinema runtime, MemorySegment handle) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(kinema_h.C_LONG_LONG);
            int status = kinema_h.kn_graph_node_count(runtime.context(), handle, out);
            if (status != kinema_h.KN_OK()) {
                kinema_h.kn_graph_destroy(runtime.context(), handle);
                NativeCalls.check("kn_graph_node_count", status);
            }
            return new CapturedGraph(runtime, handle, out.get(kinema_h.C_LONG_LONG, 0));
        }
    }

    /** Recorded items: kernel launches, memsets and device copies. */
    public long nodeCount() {
        return nodeCount;
    }

    public Kinema runtime() {
        return runtime;
    }

    /** Queues the captured work on stream (asynchronously on cuda). */
    public void launch(DeviceStream stream) {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        if (stream == null) {
            throw new InvalidArgumentException("CapturedGraph.launch", "stream", "a stream of " + runtime, "null");
        }
        stream.ensureOpen();
        if (stream.runtime() != runtime) {
            throw new InvalidArgumentException("CapturedGraph.launch", "stream", "a stream of " + runtime,
                    "a stream of " + stream.runtime());
        }
        int status;
        try {
            status = (int) launch.invokeExact(runtime.context(), handle, stream.handle());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcalls throw only unchecked exceptions", t);
        }
        if (status != kinema_h.KN_OK()) {
            NativeCalls.check("kn_graph_launch", status);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Frees the graph; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!runtime.isClosed()) {
            NativeCalls.check("kn_graph_destroy", kinema_h.kn_graph_destroy(runtime.context(), handle));
        }
    }

    @Override
    public String toString() {
        return "CapturedGraph of " + nodeCount + " nodes on " + runtime + (closed ? " (closed)" : "");
    }
}
