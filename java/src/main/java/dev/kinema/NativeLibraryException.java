package dev.kinema;

/** libkinema could not be loaded: unsupported platform, missing file, dlopen error, ABI mismatch. */
public class NativeLibraryException extends KinemaException {
    private static final long serialVersionUID = 1L;

    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
