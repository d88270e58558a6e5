package dev.kinema;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Map.entry;

/** Kinema.run: ops, inputs and attributes by their OPS.md names. */
final class NamedOps {
    private record Spec(List<String> required, List<String> optional, Set<String> attributes) {
        boolean knows(String input) {
            return required.contains(input) || optional.contains(input);
        }

        String inputList() {
            List<String> all = new ArrayList<>(required);
            optional.forEach(name -> all.add(name + "?"));
            return String.join(", ", all);
        }
    }

    // One entry per op; Map.ofEntries has no limit on the number of entries (Map.of stops at 10).
    private static final Map<String, Spec> SPECS = Map.ofEntries(
            entry(LinearOps.LINEAR, new Spec(List.of("x", "w"), List.of("b", "residual", "gate"), Set.of("act"))),
            entry(LinearOps.CONV3D, new Spec(List.of("x", "w"), List.of("b", "residual"), Set.of())),
            entry(FrameAttentionOp.ATTENTION, new Spec(List.of("q", "k", "v"), List.of(), Set.of("scale", "kv_frames"))),
            entry(ElementwiseOps.ADD, new Spec(List.of("x", "z"), List.of(), Set.of())),
            entry(ElementwiseOps.MUL, new Spec(List.of("x", "z"), List.of(), Set.of())),
            entry(ElementwiseOps.SILU, new Spec(List.of("x"), List.of(), Set.of())),
            entry(ElementwiseOps.GELU, new Spec(List.of("x"), List.of(), Set.of())),
            entry(ElementwiseOps.SCALE_ADD, new Spec(List.of("x", "z"), List.of(), Set.of("a", "b"))),
            entry(ResampleOps.UPSAMPLE_NEAREST, new Spec(List.of("x"), List.of(), Set.of())),
            entry(ResampleOps.PATCHIFY, new Spec(List.of("x"), List.of(), Set.of("p"))),
            entry(ResampleOps.UNPATCHIFY, new Spec(List.of("x"), List.of(), Set.of("p", "H", "W"))),
            entry(ResampleOps.ALPHA_BLEND, new Spec(List.of("x_spatial", "x_temporal", "mix"), List.of(), Set.of("mode"))),
            entry(ResampleOps.CONCAT, new Spec(List.of("x", "z"), List.of(), Set.of())),
            entry(ResampleOps.TIMESTEP_EMBEDDING, new Spec(List.of("t"), List.of(),
                    Set.of("dim", "flip_sin_to_cos", "downscale_freq_shift", "max_period"))),
            entry(ConvOps.CONV_SPATIAL, new Spec(List.of("x", "w"), List.of("b", "residual"), Set.of("stride"))),
            entry(ConvOps.CONV_TEMPORAL, new Spec(List.of("x", "w"), List.of("b", "residual"), Set.of())),
            entry(DdimOp.DDIM_STEP, new Spec(List.of("x", "out_c"), List.of("out_u", "noise"),
                    Set.of("alpha_t", "sigma_t", "alpha_s", "sigma_s", "guidance", "prediction", "eta", "clip_x0"))),
            entry(NormOps.GROUP_NORM, new Spec(List.of("x", "gamma", "beta"), List.of(),
                    Set.of("groups", "eps", "per_frame", "silu"))),
            entry(NormOps.LAYER_NORM, new Spec(List.of("x"), List.of("gamma", "beta", "shift", "scale"), Set.of("eps"))),
            entry(TemporalAttentionOp.TEMPORAL_ATTENTION, new Spec(List.of("q", "k", "v"), List.of("rel_bias"),
                    Set.of("heads", "scale", "window", "causal", "Tmax"))));

    private NamedOps() {
    }

    /** The op names run accepts, sorted. */
    static List<String> names() {
        return SPECS.keySet().stream().sorted().toList();
    }

    /** The signature of op, or null for a name that is not an op. */
    static OpSignature signature(String op) {
        Spec spec = op == null ? null : SPECS.get(op);
        if (spec == null) {
            return null;
        }
        return new OpSignature(op, spec.required(), spec.optional(), spec.attributes(),
                op.equals(DdimOp.DDIM_STEP) ? List.of("y", "x0") : List.of("y"));
    }

    static Map<String, Tensor> run(Kinema runtime, String op, Map<String, Tensor> inputs, Map<String, String> attrs) {
        Map<String, Tensor> given = inputs == null ? Map.of() : inputs;
        Parsed parsed = parse(op, given, attrs);
        List<Tensor> uploaded = new ArrayList<>();
        try {
            Map<String, Tensor> on = new HashMap<>();
            for (Map.Entry<String, Tensor> entry : given.entrySet()) {
                on.put(entry.getKey(), onRuntime(runtime, op, entry.getKey(), entry.getValue(), uploaded));
            }
            Tensor[] out = call(runtime, op, on, parsed, null, null);
            if (out.length == 1) {
                return Map.of("y", out[0]);
            }
            Map<String, Tensor> outputs = new LinkedHashMap<>();
            outputs.put("y", out[0]);
            outputs.put("x0", out[1]);
            return java.util.Collections.unmodifiableMap(outputs);
        } finally {
            uploaded.forEach(Tensor::close);
        }
    }

    /**
     * Kinema.prepare: the same checks as run, with every input and output a tensor of runtime; the
     * op's one native call is captured (its params struct copied) instead of made.
     */
    static PreparedOp prepare(Kinema runtime, String op, Map<String, Tensor> inputs, Map<String, String> attrs,
                              Map<String, Tensor> outputs) {
        Map<String, Tensor> given = inputs == null ? Map.of() : inputs;
        Parsed parsed = parse(op, given, attrs);
        Map<String, Tensor> out = outputs == null ? Map.of() : outputs;
        Set<String> outputNames = op.equals(DdimOp.DDIM_STEP) ? Set.of("y", "x0") : Set.of("y");
        for (String name : out.keySet()) {
            if (name == null || !outputNames.contains(name)) {
                throw new InvalidArgumentException(op, String.valueOf(name), "an output of " + op + " ("
                        + (outputNames.size() == 1 ? "y" : "y, x0?") + ")", "an unknown output");
            }
        }
        Tensor y = out.get("y");
        if (y == null) {
            throw new InvalidArgumentException(op, "y", "an output tensor (required)", "nothing");
        }
        List<Tensor> tensors = new ArrayList<>(given.values());
        tensors.addAll(out.values());
        tensors.removeIf(java.util.Objects::isNull);
        try (NativeCalls.Capture capture = NativeCalls.Capture.begin()) {
            call(runtime, op, given, parsed, y, out.get("x0"));
            MemorySegment params = capture.params();
            return new PreparedOp(runtime, op, capture.entry(), capture.arena(), params, tensors);
        }
    }

    /** Every attribute parsed before any upload: a typo should not cost a transfer. */
    private record Parsed(int stride, DdimParams ddim, Activation act, FrameAttentionOp.NamedAttrs frameAttention,
                          TemporalAttentionOp.NamedAttrs attention, NormOps.NamedAttrs norm, double[] elementwise,
                          ResampleOps.NamedAttrs resample) {
    }

    private static Parsed parse(String op, Map<String, Tensor> given, Map<String, String> attrs) {
        Spec spec = op == null ? null : SPECS.get(op);
        if (spec == null) {
            throw new InvalidArgumentException("Kinema.run", "op", "one of " + String.join(", ", names()),
                    op == null ? "null" : "'" + op + "'");
        }
        Map<String, String> attributes = attrs == null ? Map.of() : attrs;
        for (String name : given.keySet()) {
            if (name == null || !spec.knows(name)) {
                throw new InvalidArgumentException(op, String.valueOf(name),
                        "an input of " + op + " (" + spec.inputList() + ")", "an unknown input");
            }
        }
        for (String name : spec.required) {
            if (given.get(name) == null) {
                throw new InvalidArgumentException(op, name, "a tensor (required input)", "nothing");
            }
        }
        for (String name : attributes.keySet()) {
            if (name == null || !spec.attributes.contains(name)) {
                throw new InvalidArgumentException(op, String.valueOf(name),
                        "an attribute of " + op + " (" + (spec.attributes.isEmpty() ? "none"
                                : String.join(", ", spec.attributes.stream().sorted().toList())) + ")",
                        "an unknown attribute");
            }
        }
        return new Parsed(
                op.equals(ConvOps.CONV_SPATIAL) ? intAttribute(op, attributes, "stride", 1) : 0,
                op.equals(DdimOp.DDIM_STEP) ? DdimParams.fromAttrs(attributes) : null,
                op.equals(LinearOps.LINEAR) ? activationAttribute(op, attributes) : null,
                op.equals(FrameAttentionOp.ATTENTION) ? FrameAttentionOp.NamedAttrs.parse(attributes) : null,
                op.equals(TemporalAttentionOp.TEMPORAL_ATTENTION) ? TemporalAttentionOp.NamedAttrs.parse(attributes) : null,
                op.equals(NormOps.GROUP_NORM) || op.equals(NormOps.LAYER_NORM)
                        ? NormOps.NamedAttrs.parse(op, attributes) : null,
                op.equals(ElementwiseOps.SCALE_ADD) ? ElementwiseOps.parseAttrs(op, attributes) : new double[] {1, 1},
                ResampleOps.NamedAttrs.parse(op, attributes));
    }

    /** The op on tensors of the runtime; y null: allocate the outputs. Returns y (and x0 for ddim_step). */
    private static Tensor[] call(Kinema runtime, String op, Map<String, Tensor> on, Parsed a, Tensor y, Tensor x0) {
        return switch (op) {
            case ConvOps.CONV_SPATIAL -> new Tensor[] {ConvOps.convSpatial(runtime, on.get("x"), on.get("w"), on.get("b"),
                    on.get("residual"), a.stride(), y)};
            case NormOps.GROUP_NORM, NormOps.LAYER_NORM -> new Tensor[] {NormOps.runNamed(runtime, op, on, a.norm(), y)};
            case ConvOps.CONV_TEMPORAL -> new Tensor[] {ConvOps.convTemporal(runtime, on.get("x"), on.get("w"), on.get("b"),
                    on.get("residual"), y)};
            case LinearOps.LINEAR -> new Tensor[] {LinearOps.linear(runtime, on.get("x"), on.get("w"), on.get("b"),
                    on.get("residual"), on.get("gate"), a.act(), y)};
            case TemporalAttentionOp.TEMPORAL_ATTENTION ->
                    new Tensor[] {TemporalAttentionOp.runNamed(runtime, on, a.attention(), y)};
            case FrameAttentionOp.ATTENTION -> new Tensor[] {FrameAttentionOp.runNamed(runtime, on, a.frameAttention(), y)};
            case ElementwiseOps.ADD, ElementwiseOps.MUL, ElementwiseOps.SILU, ElementwiseOps.GELU,
                    ElementwiseOps.SCALE_ADD -> new Tensor[] {ElementwiseOps.runNamed(runtime, op, on, a.elementwise(), y)};
            case ResampleOps.UPSAMPLE_NEAREST, ResampleOps.PATCHIFY, ResampleOps.UNPATCHIFY, ResampleOps.ALPHA_BLEND,
                    ResampleOps.TIMESTEP_EMBEDDING, ResampleOps.CONCAT ->
                    new Tensor[] {ResampleOps.runNamed(runtime, op, on, a.resample(), y)};
            case LinearOps.CONV3D -> new Tensor[] {LinearOps.conv3d(runtime, on.get("x"), on.get("w"), on.get("b"),
                    on.get("residual"), y)};
            default -> {
                DdimResult result = DdimOp.run(runtime, on.get("x"), on.get("out_c"), on.get("out_u"), on.get("noise"),
                        a.ddim(), y, x0);
                yield new Tensor[] {result.y(), result.x0()};
            }
        };
    }

    /** A host tensor is uploaded (and remembered for closing); others are passed on for the op to check. */
    private static Tensor onRuntime(Kinema runtime, String op, String name, Tensor t, List<Tensor> uploaded) {
        if (t == null || !t.isHost()) {
            return t;
        }
        if (t.isClosed()) {
            throw new InvalidArgumentException(op, name, "an open tensor", "closed " + t);
        }
        Tensor copy = runtime.upload(t);
        uploaded.add(copy);
        return copy;
    }

    private static Activation activationAttribute(String op, Map<String, String> attributes) {
        String text = attributes.get("act");
        if (text == null) {
            return Activation.NONE;
        }
        try {
            return Activation.parse(text);
        } catch (InvalidArgumentException e) {
            throw new InvalidArgumentException(op, "act", "one of none, gelu, gelu_tanh, silu, geglu", "'" + text + "'");
        }
    }

    private static int intAttribute(String op, Map<String, String> attributes, String name, int fallback) {
        String text = attributes.get(name);
        if (text == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(op, name, "an integer", "'" + text + "'");
        }
    }
}
