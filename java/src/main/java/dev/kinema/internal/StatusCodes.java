package dev.kinema.internal;

import static dev.kinema.raw.kinema_h.*;

/** Names of the kn_status codes, for messages. */
public final class StatusCodes {
    private StatusCodes() {
    }

    public static String name(int status) {
        if (status == KN_OK()) return "KN_OK";
        if (status == KN_ERR_INVALID_ARGUMENT()) return "KN_ERR_INVALID_ARGUMENT";
        if (status == KN_ERR_UNSUPPORTED()) return "KN_ERR_UNSUPPORTED";
        if (status == KN_ERR_UNAVAILABLE()) return "KN_ERR_UNAVAILABLE";
        if (status == KN_ERR_OUT_OF_MEMORY()) return "KN_ERR_OUT_OF_MEMORY";
        if (status == KN_ERR_DEVICE()) return "KN_ERR_DEVICE";
        if (status == KN_ERR_INTERNAL()) return "KN_ERR_INTERNAL";
        return "status " + status;
    }
}
