package dev.kinema.io;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Recursive-descent parser behind {@link Json#parse}; one instance parses one text. */
final class JsonParser {
    private final CharSequence text;
    private final int maxDepth;
    private int pos;
    private int depth;

    JsonParser(CharSequence text, int maxDepth) {
        this.text = text;
        this.maxDepth = maxDepth;
    }

    Object parseDocument() {
        skipWhitespace();
        Object value = parseValue();
        skipWhitespace();
        if (pos != text.length()) {
            throw error("unexpected '" + text.charAt(pos) + "' after the value");
        }
        return value;
    }

    private Object parseValue() {
        if (pos >= text.length()) {
            throw error("unexpected end of text, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> parseObject();
            case '[' -> parseArray();
            case '"' -> parseString();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield parseNumber();
                }
                throw error("unexpected '" + c + "', expected a value");
            }
        };
    }

    private Map<String, Object> parseObject() {
        enter();
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            int keyOffset = pos;
            String key = parseString();
            if (map.containsKey(key)) {
                throw new JsonException("duplicate key \"" + key + "\"", keyOffset);
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, parseValue());
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                depth--;
                return Collections.unmodifiableMap(map);
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in an object");
            }
        }
    }

    private List<Object> parseArray() {
        enter();
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            list.add(parseValue());
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                depth--;
                return Collections.unmodifiableList(list);
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in an array");
            }
        }
    }

    private String parseString() {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in a string");
            }
            if (c != '\\') {
                sb.append(c);
                pos++;
                continue;
            }
            pos++;
            if (pos >= text.length()) {
                throw error("unterminated escape");
            }
            char e = text.charAt(pos);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    pos--;
                    appendUnicodeEscape(sb);
                    continue;
                }
                default -> throw error("invalid escape '\\" + e + "'");
            }
            pos++;
        }
    }

    /** Reads {@code \}uXXXX at pos (and its low-surrogate partner when it is a high surrogate). */
    private void appendUnicodeEscape(StringBuilder sb) {
        int start = pos;
        char unit = readHex4();
        if (Character.isLowSurrogate(unit)) {
            throw new JsonException("lone low surrogate \\u" + hex(unit), start);
        }
        if (Character.isHighSurrogate(unit)) {
            if (pos + 1 >= text.length() || text.charAt(pos) != '\\' || text.charAt(pos + 1) != 'u') {
                throw new JsonException("high surrogate \\u" + hex(unit) + " not followed by a low surrogate", start);
            }
            char low = readHex4();
            if (!Character.isLowSurrogate(low)) {
                throw new JsonException("high surrogate \\u" + hex(unit) + " followed by \\u" + hex(low)
                        + ", not a low surrogate", start);
            }
            sb.append(unit).append(low);
            return;
        }
        sb.append(unit);
    }

    private char readHex4() {
        pos += 2; // backslash and 'u'
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos), 16);
            if (digit < 0) {
                throw error("invalid hex digit '" + text.charAt(pos) + "' in a \\u escape");
            }
            value = value * 16 + digit;
            pos++;
        }
        return (char) value;
    }

    private BigDecimal parseNumber() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("leading zero in a number");
            }
        } else {
            requireDigits("a digit");
        }
        if (peek() == '.') {
            pos++;
            requireDigits("a digit after the decimal point");
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            requireDigits("a digit in the exponent");
        }
        try {
            return new BigDecimal(text.subSequence(start, pos).toString());
        } catch (NumberFormatException ex) {
            throw new JsonException("number out of range", start);
        }
    }

    private void requireDigits(String what) {
        if (!isDigit(peek())) {
            throw error("expected " + what);
        }
        while (isDigit(peek())) {
            pos++;
        }
    }

    private Object literal(String word, Object value) {
        for (int i = 0; i < word.length(); i++) {
            if (pos + i >= text.length() || text.charAt(pos + i) != word.charAt(i)) {
                throw error("invalid literal, expected " + word);
            }
        }
        pos += word.length();
        return value;
    }

    private void enter() {
        if (++depth > maxDepth) {
            throw error("nesting deeper than " + maxDepth);
        }
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    /** The character at pos, or 0 at the end (0 is never valid where peek is used). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String hex(char c) {
        return String.format("%04X", (int) c);
    }

    private JsonException error(String problem) {
        if (pos >= text.length() && !problem.startsWith("unexpected end")) {
            problem = problem + " (end of text)";
        }
        return new JsonException(problem, pos);
    }
}
