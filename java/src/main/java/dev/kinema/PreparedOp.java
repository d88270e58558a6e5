package dev.kinema;

import dev.kinema.raw.kinema_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * One op call checked and set up once, to be replayed many times: the op's native params struct is
 * filled when {@link Kinema#prepare} validates the call, kept in memory this object owns, and
 * {@link #run} only hands that struct to the op's native entry point. No Java object is allocated per
 * run. The struct holds the tensors' addresses: the values in those tensors may change between runs,
 * the tensors themselves may not (run refuses to start once one of them is closed).
 *
 * <p>Not thread-safe: run one PreparedOp on one thread at a time. Close it to free the struct.
 */
public final class PreparedOp implements AutoCloseable {
    private final Kinema runtime;
    private final String op;
    private final NativeCalls.OpEntry entry;
    private final MethodHandle handle;
    private final MemorySegment context;
    private final Arena arena;
    private final MemorySegment params;
    private final Tensor[] tensors;
    private boolean closed;

    PreparedOp(Kinema runtime, String op, NativeCalls.OpEntry entry, Arena arena, MemorySegment params,
               List<Tensor> tensors) {
        this.runtime = runtime;
        this.op = op;
        this.entry = entry;
        this.handle = NativeCalls.handle(runtime, entry);
        this.context = runtime.context();
        this.arena = arena;
        this.params = params;
        this.tensors = tensors.toArray(new Tensor[0]);
    }

    /** The OPS.md name of the op. */
    public String op() {
        return op;
    }

    /** The runtime the op runs on. */
    public Kinema runtime() {
        return runtime;
    }

    /**
     * Runs the op on the runtime's default stream (asynchronously on cuda, like every op call).
     *
     * @throws IllegalStateException when this object, the runtime or one of the op's tensors is closed
     * @throws KinemaException when the native call fails
     */
    public void run() {
        invoke(MemorySegment.NULL);
    }

    /**
     * Runs the op on stream, a stream of the same runtime; while the stream captures, the call is
     * recorded into the stream's graph instead of run.
     */
    public void run(DeviceStream stream) {
        if (stream == null) {
            throw new InvalidArgumentException("PreparedOp.run", "stream", "a stream of " + runtime, "null");
        }
        if (stream.runtime() != runtime) {
            throw new InvalidArgumentException("PreparedOp.run", "stream", "a stream of " + runtime,
                    "a stream of " + stream.runtime());
        }
        if (stream.isClosed()) {
            throw new IllegalStateException("prepared " + op + ": " + stream + " is closed");
        }
        invoke(stream.handle());
    }

    private void invoke(MemorySegment stream) {
        if (closed || runtime.isClosed()) {
            throw new IllegalStateException(closed ? "prepared " + op + " is closed" : runtime + " is closed");
        }
        for (Tensor t : tensors) {
            if (t.isClosed()) {
                throw new IllegalStateException("prepared " + op + ": " + t + " is closed");
            }
        }
        int status;
        try {
            status = (int) handle.invokeExact(context, stream, params);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcalls throw only unchecked exceptions", t);
        }
        if (status != kinema_h.KN_OK()) {
            NativeCalls.check(entry.function(), status);
        }
    }

    /** Frees the params struct; idempotent. The tensors are the caller's and stay open. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "PreparedOp " + op + " on " + runtime;
    }
}
