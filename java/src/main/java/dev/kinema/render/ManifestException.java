package dev.kinema.render;

import dev.kinema.KinemaException;

/** A render manifest that cannot be trusted: names the file, the field, and expected vs actual. */
public class ManifestException extends KinemaException {
    private final String field;

    public ManifestException(String source, String field, String expected, String actual) {
        super(source + ": " + field + ": expected " + expected + ", got " + actual);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
