package dev.kinema.models;

import dev.kinema.KinemaException;

/** A checkpoint file or index that is malformed: the offending field is named. */
public final class CheckpointFormatException extends KinemaException {
    private final String field;

    public CheckpointFormatException(String source, String field, String expected, String actual) {
        super(source + ": " + field + ": expected " + expected + ", got " + actual);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
