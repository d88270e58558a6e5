package dev.kinema;

/**
 * Memory the request needs is not there: a host allocation the JVM's allocator refused. The message
 * states what was being allocated and how many bytes. Nothing was allocated; the runtime stays usable.
 */
public final class MemoryLimitException extends KinemaException {
    private static final long serialVersionUID = 1L;
    private final long bytes;

    public MemoryLimitException(String message, long bytes) {
        super(message);
        this.bytes = bytes;
    }

    /** The size of the allocation that failed. */
    public long bytes() {
        return bytes;
    }
}
