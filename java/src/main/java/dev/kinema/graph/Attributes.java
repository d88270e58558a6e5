package dev.kinema.graph;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Node attributes as the text {@link dev.kinema.Kinema#run} takes: a String as given, a Boolean as
 * true/false, an integral number as an integer ("2", also for 2.0), another number in Java's double
 * syntax, an enum constant as its lower-case name (Activation.GELU_TANH is "gelu_tanh").
 */
final class Attributes {
    private Attributes() {
    }

    static Map<String, String> normalize(String node, String op, Map<String, ?> attrs, Set<String> known) {
        if (attrs == null || attrs.isEmpty()) {
            return Map.of();
        }
        Map<String, String> text = new LinkedHashMap<>();
        for (Map.Entry<String, ?> entry : attrs.entrySet()) {
            String name = entry.getKey();
            if (name == null || !known.contains(name)) {
                List<String> sorted = known.stream().sorted().toList();
                throw new GraphException(node, op, String.valueOf(name), "an attribute of " + op + " ("
                        + (sorted.isEmpty() ? "none" : String.join(", ", sorted)) + ")", "an unknown attribute");
            }
            text.put(name, format(node, op, name, entry.getValue()));
        }
        return Collections.unmodifiableMap(text);
    }

    private static String format(String node, String op, String name, Object value) {
        return switch (value) {
            case String s -> s;
            case Boolean b -> b.toString();
            case Byte b -> b.toString();
            case Short s -> s.toString();
            case Integer i -> i.toString();
            case Long l -> l.toString();
            case Float f -> number(f.doubleValue());
            case Double d -> number(d);
            case Enum<?> e -> e.name().toLowerCase(Locale.ROOT);
            case null -> throw new GraphException(node, op, name, "a string, number, boolean or enum", "null");
            default -> throw new GraphException(node, op, name, "a string, number, boolean or enum",
                    "a " + value.getClass().getName());
        };
    }

    private static String number(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 0x1p53) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }
}
