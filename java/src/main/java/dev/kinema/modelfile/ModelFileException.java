package dev.kinema.modelfile;

import dev.kinema.KinemaException;

import java.nio.file.Path;

/** A .kinema file that is truncated, malformed or inconsistent: the offending field is named. */
public final class ModelFileException extends KinemaException {
    private final String field;

    public ModelFileException(Path file, String field, String expected, String actual) {
        super(file + ": " + field + ": expected " + expected + ", got " + actual);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
