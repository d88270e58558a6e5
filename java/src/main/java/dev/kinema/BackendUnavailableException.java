package dev.kinema;

/** The requested backend cannot run on this machine; the message says what is missing. */
public class BackendUnavailableException extends KinemaException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }
}
