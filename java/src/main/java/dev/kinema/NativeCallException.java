package dev.kinema;

import dev.kinema.internal.StatusCodes;

/** A libkinema call returned an error status; the message carries the library's own explanation. */
public class NativeCallException extends KinemaException {
    private static final long serialVersionUID = 1L;

    private final String function;
    private final int status;

    public NativeCallException(String function, int status, String nativeMessage) {
        super(function + " failed with " + StatusCodes.name(status) + ": "
                + (nativeMessage == null || nativeMessage.isEmpty() ? "(no message)" : nativeMessage));
        this.function = function;
        this.status = status;
    }

    private NativeCallException(String where, NativeCallException cause) {
        super(where + ": " + cause.getMessage(), cause);
        this.function = cause.function;
        this.status = cause.status;
    }

    /** This failure with where it happened in front, e.g. the graph node whose call it was. */
    public NativeCallException at(String where) {
        return new NativeCallException(where, this);
    }

    /** The C function that failed, e.g. {@code kn_conv_spatial}. */
    public String function() {
        return function;
    }

    /** The kn_status code it returned. */
    public int status() {
        return status;
    }
}
