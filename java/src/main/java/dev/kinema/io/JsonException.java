package dev.kinema.io;

import dev.kinema.KinemaException;

/** Malformed JSON text, or text over the parser's limits; the message names the character offset. */
public class JsonException extends KinemaException {
    private final long offset;

    public JsonException(String problem, long offset) {
        super("JSON: " + problem + " at offset " + offset);
        this.offset = offset;
    }

    /** Zero-based index of the offending character in the parsed text. */
    public long offset() {
        return offset;
    }
}
