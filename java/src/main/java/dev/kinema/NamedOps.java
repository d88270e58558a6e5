package dev.kinema;

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

    static Map<String, Tensor> run(Kinema runtime, String op, Map<String, Tensor> inputs, Map<String, String> attrs) {
        Spec spec = op == null ? null : SPECS.get(op);
        if (spec == null) {
            throw new InvalidArgumentException("Kinema.run", "op", "one of " + String.join(", ", names()),
                    op == null ? "null" : "'" + op + "'");
        }
        Map<String, Tensor> given = inputs == null ? Map.of() : inputs;
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
        // Parse attributes before uploading anything: a typo should not cost a transfer.
        int stride = op.equals(ConvOps.CONV_SPATIAL) ? intAttribute(op, attributes, "stride", 1) : 0;
        DdimParams ddim = op.equals(DdimOp.DDIM_STEP) ? DdimParams.fromAttrs(attributes) : null;
        Activation act = op.equals(LinearOps.LINEAR) ? activationAttribute(op, attributes) : null;
        FrameAttentionOp.NamedAttrs frameAttention = op.equals(FrameAttentionOp.ATTENTION)
                ? FrameAttentionOp.NamedAttrs.parse(attributes) : null;
        TemporalAttentionOp.NamedAttrs attention = op.equals(TemporalAttentionOp.TEMPORAL_ATTENTION)
                ? TemporalAttentionOp.NamedAttrs.parse(attributes) : null;
        NormOps.NamedAttrs norm = op.equals(NormOps.GROUP_NORM) || op.equals(NormOps.LAYER_NORM)
                ? NormOps.NamedAttrs.parse(op, attributes) : null;

        double[] elementwise = op.equals(ElementwiseOps.SCALE_ADD) ? ElementwiseOps.parseAttrs(op, attributes)
                : new double[] {1, 1};
        ResampleOps.NamedAttrs resample = ResampleOps.NamedAttrs.parse(op, attributes);
        List<Tensor> uploaded = new ArrayList<>();
        try {
            Map<String, Tensor> on = new HashMap<>();
            for (Map.Entry<String, Tensor> entry : given.entrySet()) {
                on.put(entry.getKey(), onRuntime(runtime, op, entry.getKey(), entry.getValue(), uploaded));
            }
            return switch (op) {
                case ConvOps.CONV_SPATIAL -> Map.of("y",
                        runtime.convSpatial(on.get("x"), on.get("w"), on.get("b"), on.get("residual"), stride));
                case NormOps.GROUP_NORM, NormOps.LAYER_NORM -> Map.of("y", NormOps.runNamed(runtime, op, on, norm));
                case ConvOps.CONV_TEMPORAL -> Map.of("y",
                        runtime.convTemporal(on.get("x"), on.get("w"), on.get("b"), on.get("residual")));
                case LinearOps.LINEAR -> Map.of("y", runtime.linear(on.get("x"), on.get("w"), on.get("b"),
                        on.get("residual"), on.get("gate"), act));
                case TemporalAttentionOp.TEMPORAL_ATTENTION -> Map.of("y", TemporalAttentionOp.runNamed(runtime, on, attention));
                case FrameAttentionOp.ATTENTION -> Map.of("y", FrameAttentionOp.runNamed(runtime, on, frameAttention));
                case ElementwiseOps.ADD, ElementwiseOps.MUL, ElementwiseOps.SILU, ElementwiseOps.GELU,
                        ElementwiseOps.SCALE_ADD -> Map.of("y", ElementwiseOps.runNamed(runtime, op, on, elementwise));
                case ResampleOps.UPSAMPLE_NEAREST, ResampleOps.PATCHIFY, ResampleOps.UNPATCHIFY, ResampleOps.ALPHA_BLEND,
                        ResampleOps.TIMESTEP_EMBEDDING -> Map.of("y", ResampleOps.runNamed(runtime, op, on, resample));
                case LinearOps.CONV3D -> Map.of("y",
                        runtime.conv3d(on.get("x"), on.get("w"), on.get("b"), on.get("residual")));
                default -> {
                    DdimResult result = runtime.ddimStep(on.get("x"), on.get("out_c"), on.get("out_u"), on.get("noise"), ddim);
                    Map<String, Tensor> outputs = new LinkedHashMap<>();
                    outputs.put("y", result.y());
                    outputs.put("x0", result.x0());
                    yield java.util.Collections.unmodifiableMap(outputs);
                }
            };
        } finally {
            uploaded.forEach(Tensor::close);
        }
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
