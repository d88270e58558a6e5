package dev.kinema.graph;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/** The checks of one node at build time; every failure is a GraphException naming the node. */
final class NodeCheck {
    final String node;
    final String op;
    final Map<String, Value> in;
    final Map<String, String> attrs;

    NodeCheck(String node, String op, Map<String, Value> in, Map<String, String> attrs) {
        this.node = node;
        this.op = op;
        this.in = in;
        this.attrs = attrs;
    }

    GraphException fail(String argument, String expected, String actual) {
        return new GraphException(node, op, argument, expected, actual);
    }

    Value value(String name) {
        return in.get(name);
    }

    long[] shape(String name) {
        return in.get(name).shapeRef();
    }

    void rank(String name, int rank, String dims) {
        Value v = in.get(name);
        if (v != null && v.rank() != rank) {
            throw fail(name, "rank " + rank + " " + dims, "rank " + v.rank() + " " + Arrays.toString(v.shapeRef()));
        }
    }

    void minRank(String name, int rank, String dims) {
        Value v = in.get(name);
        if (v.rank() < rank) {
            throw fail(name, "rank >= " + rank + " " + dims, "rank " + v.rank() + " " + Arrays.toString(v.shapeRef()));
        }
    }

    /** An optional input, when present, has exactly this shape. */
    void shape(String name, long[] expected, String dims) {
        Value v = in.get(name);
        if (v != null && !Arrays.equals(v.shapeRef(), expected)) {
            throw fail(name, "shape " + Arrays.toString(expected) + " " + dims, Arrays.toString(v.shapeRef()));
        }
    }

    String text(String name, String fallback) {
        String t = attrs.get(name);
        return t == null ? fallback : t.strip();
    }

    /** An integer attribute; fallback null means required. */
    long integer(String name, Long fallback) {
        String t = attrs.get(name);
        if (t == null) {
            if (fallback == null) {
                throw fail(name, "an integer (required attribute)", "nothing");
            }
            return fallback;
        }
        try {
            return Long.parseLong(t.strip());
        } catch (NumberFormatException e) {
            throw fail(name, "an integer", "'" + t + "'");
        }
    }

    double number(String name, double fallback) {
        String t = attrs.get(name);
        if (t == null) {
            return fallback;
        }
        try {
            double v = Double.parseDouble(t.strip());
            if (Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw fail(name, "a finite number", "'" + t + "'");
    }

    boolean flag(String name) {
        String t = attrs.get(name);
        if (t == null) {
            return false;
        }
        return switch (t.strip().toLowerCase(Locale.ROOT)) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw fail(name, "a boolean (true, false, 1 or 0)", "'" + t + "'");
        };
    }

    static String dims(long[] shape) {
        return Arrays.toString(shape);
    }
}
