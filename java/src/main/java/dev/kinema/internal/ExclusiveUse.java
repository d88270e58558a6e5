package dev.kinema.internal;

import dev.kinema.ConcurrentUseException;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Refuses a second thread while one thread is inside an object's call: objects holding per-call
 * scratch state (graph arenas, captured graphs, cached executors) would otherwise have it overwritten
 * or freed under the running call. The thread inside may enter again (a call made from a progress
 * callback or from a nested call of the same object).
 *
 * <pre>
 * try (ExclusiveUse.Held held = use.enter("forward")) { ... }
 * </pre>
 * enter allocates nothing: the handle returned is this object's one {@link Held}.
 */
public final class ExclusiveUse {
    private final String owner;
    private final AtomicReference<Thread> holder = new AtomicReference<>();
    private final Held held = new Held();
    private int depth; // read and written only by the holder

    /** owner: the class name that errors name, e.g. "Denoiser". */
    public ExclusiveUse(String owner) {
        this.owner = owner;
    }

    /** Enters call operation on the current thread, or throws ConcurrentUseException naming the thread inside. */
    public Held enter(String operation) {
        Thread me = Thread.currentThread();
        if (!holder.compareAndSet(null, me) && holder.get() != me) {
            Thread other = holder.get();
            throw new ConcurrentUseException(owner + "." + operation + ": this " + owner + " is in use by thread \""
                    + (other == null ? "?" : other.getName()) + "\" (called from \"" + me.getName()
                    + "\"); a " + owner + " runs one call at a time: use one per thread");
        }
        depth++;
        return held;
    }

    /** Whether some thread is inside a call now. */
    public boolean inUse() {
        return holder.get() != null;
    }

    /** The handle of an entered call; closing it leaves the call. */
    public final class Held implements AutoCloseable {
        private Held() {
        }

        @Override
        public void close() {
            if (holder.get() != Thread.currentThread()) {
                throw new IllegalStateException(owner + ": left by a thread that did not enter");
            }
            if (--depth == 0) {
                holder.set(null);
            }
        }
    }
}
