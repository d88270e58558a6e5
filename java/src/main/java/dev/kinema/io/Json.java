package dev.kinema.io;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON (RFC 8259) for the small documents Kinema reads and writes: safetensors headers,
 * manifests, metadata.
 *
 * <p>Parsed values map to Java as: object to an insertion-ordered {@code Map<String, Object>}
 * (duplicate keys rejected), array to {@code List<Object>}, string to {@code String}, number to an
 * exact {@code BigDecimal}, true/false to {@code Boolean}, null to {@code null}. Both returned
 * collections are unmodifiable.
 */
public final class Json {
    /** Nesting deeper than this is refused; real documents here nest 3 levels. */
    public static final int DEFAULT_MAX_DEPTH = 64;
    /** Longer text is refused before parsing starts. */
    public static final long DEFAULT_MAX_CHARS = 64L << 20;

    private Json() {}

    /** Parses one JSON value (surrounded by optional whitespace) with the default limits. */
    public static Object parse(CharSequence text) {
        return parse(text, DEFAULT_MAX_DEPTH, DEFAULT_MAX_CHARS);
    }

    /**
     * Parses one JSON value.
     *
     * @param maxDepth most nested arrays/objects allowed (>= 1)
     * @param maxChars longest text allowed
     * @throws JsonException on malformed text or a limit exceeded, naming the offset
     */
    public static Object parse(CharSequence text, int maxDepth, long maxChars) {
        if (maxDepth < 1) {
            throw new IllegalArgumentException("maxDepth: expected >= 1, got " + maxDepth);
        }
        if (text.length() > maxChars) {
            throw new JsonException("text of " + text.length() + " characters exceeds the limit of " + maxChars, maxChars);
        }
        return new JsonParser(text, maxDepth).parseDocument();
    }

    /**
     * Writes a value compactly. Accepts maps with string keys, lists, strings, booleans, null,
     * integral numbers and finite floating-point numbers.
     *
     * @throws IllegalArgumentException for any other value (NaN, infinities, other types, lone surrogates)
     */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        writeValue(value, out, -1);
        return out.toString();
    }

    /**
     * Writes a value for people to read: objects one member a line, indented by two spaces a level;
     * arrays of scalars stay on one line. Same values as {@link #write}, ending in a newline.
     */
    public static String writeIndented(Object value) {
        StringBuilder out = new StringBuilder();
        writeValue(value, out, 0);
        return out.append('\n').toString();
    }

    /** indent < 0: compact; otherwise the nesting level of value. */
    private static void writeValue(Object value, StringBuilder out, int indent) {
        switch (value) {
            case null -> out.append("null");
            case String s -> writeString(s, out);
            case Boolean b -> out.append(b);
            case Integer i -> out.append(i);
            case Long l -> out.append(l);
            case Short s -> out.append(s);
            case Byte b -> out.append(b);
            case BigInteger i -> out.append(i);
            case BigDecimal d -> out.append(d);
            case Double d -> writeFinite(d, out);
            case Float f -> writeFinite(f, out);
            case Map<?, ?> map -> writeObject(map, out, indent);
            case List<?> list -> writeArray(list, out, indent);
            default -> throw new IllegalArgumentException("JSON cannot hold a " + value.getClass().getName());
        }
    }

    private static void writeFinite(double d, StringBuilder out) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON cannot hold the number " + d);
        }
        out.append(d);
    }

    private static void writeObject(Map<?, ?> map, StringBuilder out, int indent) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
            }
            if (!first) {
                out.append(',');
            }
            first = false;
            if (indent >= 0) {
                newline(out, indent + 1);
            }
            writeString(key, out);
            out.append(indent < 0 ? ":" : ": ");
            writeValue(e.getValue(), out, indent < 0 ? -1 : indent + 1);
        }
        if (!first && indent >= 0) {
            newline(out, indent);
        }
        out.append('}');
    }

    private static void writeArray(List<?> list, StringBuilder out, int indent) {
        boolean nested = indent >= 0 && list.stream().anyMatch(v -> v instanceof Map || v instanceof List);
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                out.append(indent >= 0 && !nested ? ", " : ",");
            }
            if (nested) {
                newline(out, indent + 1);
            }
            writeValue(list.get(i), out, nested ? indent + 1 : -1);
        }
        if (nested && !list.isEmpty()) {
            newline(out, indent);
        }
        out.append(']');
    }

    private static void newline(StringBuilder out, int indent) {
        out.append('\n').append("  ".repeat(indent));
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isSurrogate(c)) {
                        // Only whole pairs are text; a lone half would not survive UTF-8 encoding.
                        boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1));
                        if (!pair) {
                            throw new IllegalArgumentException("lone surrogate U+" + Integer.toHexString(c)
                                    + " at index " + i + " of a JSON string");
                        }
                        out.append(c).append(s.charAt(++i));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
