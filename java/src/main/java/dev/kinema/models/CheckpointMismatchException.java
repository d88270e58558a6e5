package dev.kinema.models;

import dev.kinema.KinemaException;

import java.util.List;

/**
 * A checkpoint that does not fit its model config: one report listing every missing key, every
 * unexpected key and every key whose shape differs from what the config implies.
 */
public final class CheckpointMismatchException extends KinemaException {
    private final List<String> missing;
    private final List<String> unexpected;
    private final List<String> shapeMismatches;

    CheckpointMismatchException(String source, List<String> missing, List<String> unexpected,
                                List<String> shapeMismatches) {
        super(report(source, missing, unexpected, shapeMismatches));
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.shapeMismatches = List.copyOf(shapeMismatches);
    }

    /** Keys the config needs that the checkpoint lacks. */
    public List<String> missing() {
        return missing;
    }

    /** Keys in the checkpoint that the config has no place for. */
    public List<String> unexpected() {
        return unexpected;
    }

    /** "key: expected [..], found [..]" for each key of the wrong shape. */
    public List<String> shapeMismatches() {
        return shapeMismatches;
    }

    private static String report(String source, List<String> missing, List<String> unexpected, List<String> shapes) {
        StringBuilder b = new StringBuilder(source).append(" does not fit the model config: ")
                .append(missing.size()).append(" missing, ").append(unexpected.size()).append(" unexpected, ")
                .append(shapes.size()).append(" with the wrong shape");
        section(b, "missing", missing);
        section(b, "unexpected", unexpected);
        section(b, "wrong shape", shapes);
        return b.toString();
    }

    private static void section(StringBuilder b, String title, List<String> keys) {
        final int shown = 40;  // a whole-model mismatch lists hundreds of keys; the counts say the rest
        if (keys.isEmpty()) {
            return;
        }
        b.append("\n  ").append(title).append(':');
        keys.stream().limit(shown).forEach(k -> b.append("\n    ").append(k));
        if (keys.size() > shown) {
            b.append("\n    ... and ").append(keys.size() - shown).append(" more");
        }
    }
}
