package dev.kinema;

import java.util.List;
import java.util.Set;

/**
 * The names an op takes and gives, as OPS.md spells them: required and optional inputs, attributes
 * and outputs ("y", and "x0" for ddim_step). From {@link Kinema#signature}.
 */
public record OpSignature(String op, List<String> requiredInputs, List<String> optionalInputs, Set<String> attributes,
                          List<String> outputs) {
    public OpSignature {
        requiredInputs = List.copyOf(requiredInputs);
        optionalInputs = List.copyOf(optionalInputs);
        attributes = Set.copyOf(attributes);
        outputs = List.copyOf(outputs);
    }

    /** True when name is one of the op's inputs, required or optional. */
    public boolean hasInput(String name) {
        return requiredInputs.contains(name) || optionalInputs.contains(name);
    }
}
