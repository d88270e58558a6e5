package dev.kinema.models;

import dev.kinema.io.Json;
import dev.kinema.io.JsonException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Typed access to a diffusers-style config.json: every getter names the field and the expected type
 * in a {@link ModelConfigException} when the file does not fit, and fields a model does not read
 * are ignored (diffusers writes many that do not change the forward pass).
 */
public final class ConfigReader {
    /** config.json files are small; a larger one is refused before it is parsed. */
    static final long MAX_CONFIG_BYTES = 1L << 20;
    /**
     * Most layers (per block, or in all) a config may ask for: published models use 1-28; a corrupt
     * count must not size the parser's arrays or the graph builder's loops.
     */
    static final int MAX_LAYERS = 256;

    private final String source;
    private final Map<String, Object> fields;
    private final String text;

    ConfigReader(String source, Map<String, Object> fields, String text) {
        this.source = source;
        this.fields = fields;
        this.text = text;
    }

    /** Parses a config.json file. */
    public static ConfigReader read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_CONFIG_BYTES) {
                throw new ModelConfigException(file.toString(), "(file)", "at most " + MAX_CONFIG_BYTES + " bytes",
                        size + " bytes");
            }
            return parse(file.toString(), new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model config " + file, e);
        }
    }

    /** Parses config text; source names it in messages. */
    @SuppressWarnings("unchecked")
    public static ConfigReader parse(String source, String json) {
        try {
            Object root = Json.parse(json);
            if (!(root instanceof Map<?, ?> map)) {
                throw new ModelConfigException(source, "(root)", "a JSON object", Json.write(root));
            }
            return new ConfigReader(source, (Map<String, Object>) map, json);
        } catch (JsonException e) {
            throw new ModelConfigException(source, "(file)", "valid JSON", e.getMessage());
        }
    }

    /** The config text as read. */
    public String text() {
        return text;
    }

    public String source() {
        return source;
    }

    public boolean has(String field) {
        return fields.get(field) != null;
    }

    public String string(String field, String fallback) {
        Object v = fields.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof String s)) {
            throw mismatch(field, "a string", v);
        }
        return s;
    }

    public int integer(String field, int fallback) {
        Object v = fields.get(field);
        return v == null ? fallback : toInt(field, v);
    }

    public double number(String field, double fallback) {
        Object v = fields.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof BigDecimal d)) {
            throw mismatch(field, "a number", v);
        }
        return d.doubleValue();
    }

    public boolean bool(String field, boolean fallback) {
        Object v = fields.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw mismatch(field, "true or false", v);
        }
        return b;
    }

    /** A list of ints; a single int is repeated `count` times (diffusers allows both for per-block fields). */
    public int[] ints(String field, int count, int[] fallback) {
        Object v = fields.get(field);
        if (v == null) {
            return fallback;
        }
        if (v instanceof BigDecimal) {
            int[] out = new int[count];
            java.util.Arrays.fill(out, toInt(field, v));
            return out;
        }
        if (!(v instanceof List<?> list)) {
            throw mismatch(field, "a list of integers", v);
        }
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toInt(field + "[" + i + "]", list.get(i));
        }
        return out;
    }

    public List<String> strings(String field, List<String> fallback) {
        Object v = fields.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof List<?> list)) {
            throw mismatch(field, "a list of strings", v);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw mismatch(field + "[" + i + "]", "a string", list.get(i));
            }
            out.add(s);
        }
        return out;
    }

    /** Fails with a ModelConfigException naming field unless ok. */
    public void require(boolean ok, String field, String expected, Object actual) {
        if (!ok) {
            throw new ModelConfigException(source, field, expected, String.valueOf(actual));
        }
    }

    private int toInt(String field, Object v) {
        if (!(v instanceof BigDecimal d)) {
            throw mismatch(field, "an integer", v);
        }
        try {
            return d.intValueExact();
        } catch (ArithmeticException e) {
            throw mismatch(field, "an integer", v);
        }
    }

    private ModelConfigException mismatch(String field, String expected, Object v) {
        return new ModelConfigException(source, field, expected, v instanceof String ? "\"" + v + "\"" : String.valueOf(v));
    }
}
