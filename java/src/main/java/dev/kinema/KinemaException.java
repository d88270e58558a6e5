package dev.kinema;

/** Base of every error Kinema reports; unchecked, since most are programming or setup errors. */
public class KinemaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KinemaException(String message) {
        super(message);
    }

    public KinemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
