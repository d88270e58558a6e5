package dev.kinema;

/**
 * A valid request the backend does not implement, e.g. a dtype it lacks (KN_ERR_UNSUPPORTED).
 * Callers may fall back to another dtype or backend.
 */
public class UnsupportedByBackendException extends NativeCallException {
    private static final long serialVersionUID = 1L;

    public UnsupportedByBackendException(String function, int status, String nativeMessage) {
        super(function, status, nativeMessage);
    }
}
