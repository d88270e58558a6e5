package dev.kinema.ref;

import dev.kinema.InvalidArgumentException;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Parses and range-checks the string attributes of one op call; unknown names are refused. */
final class OpAttributes {
    private final String op;
    private final Map<String, String> attrs;

    OpAttributes(String op, Map<String, String> attrs, Set<String> known) {
        this.op = op;
        this.attrs = attrs == null ? Map.of() : attrs;
        for (String name : this.attrs.keySet()) {
            if (!known.contains(name)) {
                String expected = known.isEmpty() ? "no attributes for " + op
                        : "an attribute of " + op + " (one of " + String.join(", ", new TreeSet<>(known)) + ")";
                throw new InvalidArgumentException(op, name, expected, "unknown attribute " + name + "=" + this.attrs.get(name));
            }
        }
    }

    double requiredNumber(String name) {
        String raw = attrs.get(name);
        if (raw == null) {
            throw new InvalidArgumentException(op, name, "a number (required attribute)", "none");
        }
        return parseFinite(name, raw);
    }

    double number(String name, double defaultValue) {
        String raw = attrs.get(name);
        return raw == null ? defaultValue : parseFinite(name, raw);
    }

    double nonNegative(String name, double defaultValue) {
        double v = number(name, defaultValue);
        if (v < 0) {
            throw new InvalidArgumentException(op, name, "a number >= 0", attrs.get(name));
        }
        return v;
    }

    int oneOf(String name, int defaultValue, int... allowed) {
        String raw = attrs.get(name);
        if (raw == null) {
            return defaultValue;
        }
        StringBuilder expected = new StringBuilder();
        for (int a : allowed) {
            if (raw.trim().equals(Integer.toString(a))) {
                return a;
            }
            expected.append(expected.isEmpty() ? "" : " or ").append(a);
        }
        throw new InvalidArgumentException(op, name, expected.toString(), raw);
    }

    String choice(String name, String defaultValue, Set<String> allowed) {
        String raw = attrs.getOrDefault(name, defaultValue);
        if (!allowed.contains(raw)) {
            throw new InvalidArgumentException(op, name, "one of " + String.join(", ", new TreeSet<>(allowed)), raw);
        }
        return raw;
    }

    private double parseFinite(String name, String raw) {
        double v;
        try {
            v = Double.parseDouble(raw);
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(op, name, "a number", "'" + raw + "'");
        }
        if (!Double.isFinite(v)) {
            throw new InvalidArgumentException(op, name, "a finite number", raw);
        }
        return v;
    }
}
