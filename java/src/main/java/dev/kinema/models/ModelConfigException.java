package dev.kinema.models;

import dev.kinema.KinemaException;

/** A model config (config.json) that is missing a field, has a field of the wrong type or value, or asks for something not supported. */
public final class ModelConfigException extends KinemaException {
    private final String field;

    public ModelConfigException(String source, String field, String expected, String actual) {
        super(source + ": config field '" + field + "': expected " + expected + ", got " + actual);
        this.field = field;
    }

    /** The offending field, e.g. {@code block_out_channels}. */
    public String field() {
        return field;
    }
}
