package dev.kinema.ref;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The naive reference of every op (OPS.md): obviously-correct loops with float64 accumulation, the
 * oracle the backends are tested against. Slow by design; inputs of any dtype are read as float.
 *
 * <p>Op, input and attribute names are exactly those of OPS.md. Inputs are validated (names, ranks,
 * shapes, attribute ranges) with {@link InvalidArgumentException}s that name the op and argument.
 */
public final class ReferenceOps {
    public static final String CONV_SPATIAL = "conv_spatial";
    public static final String CONV_TEMPORAL = "conv_temporal";
    public static final String DDIM_STEP = "ddim_step";
    public static final String GROUP_NORM = ReferenceNorm.GROUP_NORM;
    public static final String LAYER_NORM = ReferenceNorm.LAYER_NORM;
    public static final String LINEAR = ReferenceLinear.LINEAR;
    public static final String CONV3D = ReferenceLinear.CONV3D;
    public static final String ADD = ReferenceElementwise.ADD;
    public static final String MUL = ReferenceElementwise.MUL;
    public static final String SILU = ReferenceElementwise.SILU;
    public static final String GELU = ReferenceElementwise.GELU;
    public static final String SCALE_ADD = ReferenceElementwise.SCALE_ADD;
    /** The ops this reference implements. */
    public static final String TEMPORAL_ATTENTION = ReferenceAttention.TEMPORAL_ATTENTION;
    public static final String ATTENTION = ReferenceFrameAttention.ATTENTION;
    public static final String UPSAMPLE_NEAREST = ReferenceResample.UPSAMPLE_NEAREST;
    public static final String PATCHIFY = ReferenceResample.PATCHIFY;
    public static final String UNPATCHIFY = ReferenceResample.UNPATCHIFY;
    public static final String ALPHA_BLEND = ReferenceResample.ALPHA_BLEND;
    public static final String TIMESTEP_EMBEDDING = ReferenceResample.TIMESTEP_EMBEDDING;
    public static final String CONCAT = ReferenceResample.CONCAT;
    public static final List<String> OPS = List.of(CONV_SPATIAL, CONV_TEMPORAL, DDIM_STEP, GROUP_NORM, LAYER_NORM, LINEAR, CONV3D, TEMPORAL_ATTENTION, ADD, MUL, SILU, GELU, SCALE_ADD, ATTENTION,
            UPSAMPLE_NEAREST, PATCHIFY, UNPATCHIFY, ALPHA_BLEND, TIMESTEP_EMBEDDING, CONCAT);

    private static final List<String> CONV_INPUTS = List.of("x", "w", "b", "residual");
    private static final List<String> DDIM_INPUTS = List.of("x", "out_c", "out_u", "noise");
    private static final Set<String> DDIM_ATTRS = Set.of("alpha_t", "sigma_t", "alpha_s", "sigma_s", "guidance",
            "prediction", "eta", "clip_x0");

    private ReferenceOps() {}

    /**
     * Runs one op on host tensors.
     *
     * @return new host f32 tensors the caller owns: {@code y}, and {@code x0} for ddim_step
     * @throws InvalidArgumentException on an unknown op, input or attribute, or a bad shape or value
     */
    public static Map<String, Tensor> run(String op, Map<String, Tensor> hostInputs, Map<String, String> attrs) {
        Map<String, Tensor> inputs = hostInputs == null ? Map.of() : hostInputs;
        return switch (op) {
            case CONV_SPATIAL -> convSpatial(inputs, new OpAttributes(op, attrs, Set.of("stride")));
            case CONV_TEMPORAL -> convTemporal(inputs, new OpAttributes(op, attrs, Set.of()));
            case DDIM_STEP -> ddimStep(inputs, new OpAttributes(op, attrs, DDIM_ATTRS));
            case GROUP_NORM -> ReferenceNorm.runGroupNorm(inputs, new OpAttributes(op, attrs, ReferenceNorm.GROUP_NORM_ATTRS));
            case LAYER_NORM -> ReferenceNorm.runLayerNorm(inputs, new OpAttributes(op, attrs, ReferenceNorm.LAYER_NORM_ATTRS));
            case LINEAR -> ReferenceLinear.runLinear(inputs, new OpAttributes(op, attrs, ReferenceLinear.LINEAR_ATTRS));
            case CONV3D -> ReferenceLinear.runConv3d(inputs, new OpAttributes(op, attrs, ReferenceLinear.CONV3D_ATTRS));
            case TEMPORAL_ATTENTION -> ReferenceAttention.run(inputs, attrs);
            case ATTENTION -> ReferenceFrameAttention.run(inputs, attrs);
            case ADD, MUL, SILU, GELU, SCALE_ADD ->
                    ReferenceElementwise.run(op, inputs, new OpAttributes(op, attrs, ReferenceElementwise.attrs(op)));
            case UPSAMPLE_NEAREST, PATCHIFY, UNPATCHIFY, ALPHA_BLEND, TIMESTEP_EMBEDDING, CONCAT ->
                    ReferenceResample.run(op, inputs, new OpAttributes(op, attrs, ReferenceResample.attrs(op)));
            case null, default -> throw new InvalidArgumentException("run", "op", "one of " + String.join(", ", OPS),
                    op == null ? "null" : "'" + op + "'");
        };
    }

    private static Map<String, Tensor> convSpatial(Map<String, Tensor> in, OpAttributes attrs) {
        String op = CONV_SPATIAL;
        checkNames(op, in, CONV_INPUTS);
        int stride = attrs.oneOf("stride", 1, 1, 2);
        long[] x = shape(op, in, "x", 5, "[B,T,H,W,Ci]");
        long[] w = shape(op, in, "w", 5, "[Co,Ci,1,k,k]");
        long k = w[3];
        if (w[1] != x[4] || w[2] != 1 || (k != 1 && k != 3) || w[4] != k) {
            throw new InvalidArgumentException(op, "w", "shape [Co," + x[4] + ",1,k,k] with k in {1,3}", Arrays.toString(w));
        }
        int pad = (int) k / 2;
        int outH = ReferenceConv.outputSize((int) x[2], (int) k, pad, stride);
        int outW = ReferenceConv.outputSize((int) x[3], (int) k, pad, stride);
        long[] yShape = {x[0], x[1], outH, outW, w[0]};
        float[] bias = optional(op, in, "b", new long[] {w[0]});
        float[] residual = optional(op, in, "residual", yShape);
        float[] y = ReferenceConv.conv3d(in.get("x").toFloats(), (int) x[0], (int) x[1], (int) x[2], (int) x[3], (int) x[4],
                in.get("w").toFloats(), (int) w[0], 1, (int) k, (int) k, bias, residual, stride, 0, pad, pad);
        return outputs("y", Tensor.hostFromFloats(y, yShape));
    }

    private static Map<String, Tensor> convTemporal(Map<String, Tensor> in, OpAttributes attrs) {
        String op = CONV_TEMPORAL;
        checkNames(op, in, CONV_INPUTS);
        long[] x = shape(op, in, "x", 5, "[B,T,H,W,Ci]");
        long[] w = shape(op, in, "w", 5, "[Co,Ci,3,1,1]");
        if (w[1] != x[4] || w[2] != 3 || w[3] != 1 || w[4] != 1) {
            throw new InvalidArgumentException(op, "w", "shape [Co," + x[4] + ",3,1,1]", Arrays.toString(w));
        }
        long[] yShape = {x[0], x[1], x[2], x[3], w[0]};
        float[] bias = optional(op, in, "b", new long[] {w[0]});
        float[] residual = optional(op, in, "residual", yShape);
        float[] y = ReferenceConv.conv3d(in.get("x").toFloats(), (int) x[0], (int) x[1], (int) x[2], (int) x[3], (int) x[4],
                in.get("w").toFloats(), (int) w[0], 3, 1, 1, bias, residual, 1, 1, 0, 0);
        return outputs("y", Tensor.hostFromFloats(y, yShape));
    }

    private static Map<String, Tensor> ddimStep(Map<String, Tensor> in, OpAttributes attrs) {
        String op = DDIM_STEP;
        checkNames(op, in, DDIM_INPUTS);
        ReferenceDdim.Params p = new ReferenceDdim.Params(
                attrs.requiredNumber("alpha_t"), attrs.requiredNumber("sigma_t"),
                attrs.requiredNumber("alpha_s"), attrs.requiredNumber("sigma_s"),
                attrs.number("guidance", 1.0),
                ReferenceDdim.Prediction.valueOf(attrs.choice("prediction", "eps", Set.of("eps", "v", "x0")).toUpperCase()),
                attrs.nonNegative("eta", 0.0), attrs.nonNegative("clip_x0", 0.0));
        Tensor xTensor = in.get("x");
        if (xTensor == null) {
            throw new InvalidArgumentException(op, "x", "a tensor", "none");
        }
        long[] shape = xTensor.shape();
        float[] outC = optional(op, in, "out_c", shape);
        if (outC == null) {
            throw new InvalidArgumentException(op, "out_c", "a tensor of shape " + Arrays.toString(shape), "none");
        }
        float[] outU = optional(op, in, "out_u", shape);
        float[] noise = optional(op, in, "noise", shape);
        float[] x0 = new float[outC.length];
        float[] y = ReferenceDdim.step(xTensor.toFloats(), outC, outU, noise, p, x0);
        Map<String, Tensor> out = outputs("y", Tensor.hostFromFloats(y, shape));
        out.put("x0", Tensor.hostFromFloats(x0, shape));
        return out;
    }

    private static void checkNames(String op, Map<String, Tensor> in, List<String> known) {
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw new InvalidArgumentException(op, e.getKey(), "an input of " + op + " (one of "
                        + String.join(", ", known) + ")", "unknown input '" + e.getKey() + "'");
            }
            if (e.getValue() == null) {
                throw new InvalidArgumentException(op, e.getKey(), "a tensor", "null");
            }
        }
    }

    /** The shape of a required input of the given rank. */
    private static long[] shape(String op, Map<String, Tensor> in, String name, int rank, String layout) {
        Tensor t = in.get(name);
        if (t == null) {
            throw new InvalidArgumentException(op, name, "a tensor " + layout, "none");
        }
        if (t.rank() != rank) {
            throw new InvalidArgumentException(op, name, "rank " + rank + " " + layout,
                    "rank " + t.rank() + " " + Arrays.toString(t.shape()));
        }
        return t.shape();
    }

    /** The values of an optional input that must have exactly {@code expected} shape; null if absent. */
    private static float[] optional(String op, Map<String, Tensor> in, String name, long[] expected) {
        Tensor t = in.get(name);
        if (t == null) {
            return null;
        }
        if (!Arrays.equals(t.shape(), expected)) {
            throw new InvalidArgumentException(op, name, "shape " + Arrays.toString(expected), Arrays.toString(t.shape()));
        }
        return t.toFloats();
    }

    private static Map<String, Tensor> outputs(String name, Tensor t) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(name, t);
        return out;
    }
}
