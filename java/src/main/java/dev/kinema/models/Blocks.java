package dev.kinema.models;

import dev.kinema.graph.GraphBuilder;
import dev.kinema.graph.Value;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The layers diffusers' video denoisers are made of, as graph nodes over channels-last activations
 * {@code [B, T, H, W, C]} (token sequences {@code [B, T, N, C]}), with weights taken by their
 * diffusers keys from a {@link Weights}. Node names are the module paths of the keys they use, so a
 * profile or a shape error points at the same module as the checkpoint does.
 */
final class Blocks {
    final GraphBuilder g;
    final Weights weights;
    private final Map<String, Integer> used = new HashMap<>();

    Blocks(GraphBuilder g, Weights weights) {
        this.g = g;
        this.weights = weights;
    }

    /** A node name not used before: base, or base#2, base#3, ... */
    String name(String base) {
        int n = used.merge(base, 1, Integer::sum);
        return n == 1 ? base : base + "#" + n;
    }

    /** The weight key as a graph constant of the given shape. */
    Value weight(String key, long... shape) {
        return g.weight(name(key), weights.get(key, shape));
    }

    /** Runs op; inputs are alternating name, Value pairs, a null Value being an absent optional input. */
    Value op(String node, String op, Map<String, ?> attrs, Object... inputs) {
        Map<String, Value> in = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i += 2) {
            if (inputs[i + 1] != null) {
                in.put((String) inputs[i], (Value) inputs[i + 1]);
            }
        }
        return g.op(name(node), op, in, attrs);
    }

    Value view(String node, Value v, long... shape) {
        return g.view(name(node + ":view"), v, shape);
    }

    static long last(Value v) {
        return v.dim(v.rank() - 1);
    }

    /** v as rows [numel / C, C] for linear and layer_norm. */
    Value rows(String node, Value v) {
        long c = last(v);
        return view(node, v, v.numel() / c, c);
    }

    /** rows [R, C'] back to the leading dims of like with C' channels. */
    Value unrows(String node, Value rows, Value like) {
        long[] shape = like.shape().clone();
        shape[shape.length - 1] = last(rows);
        return view(node, rows, shape);
    }

    /**
     * nn.Linear `prefix` on the last axis of x (any rank): y = act(x W^T + b) (+ residual, same shape
     * as y). act is an OPS.md linear activation (none, gelu, gelu_tanh, silu, geglu).
     */
    Value linear(String prefix, Value x, long out, boolean bias, String act, Value residual) {
        Value w = weight(prefix + ".weight", out, last(x));
        return linearWith(prefix, x, w, bias ? weight(prefix + ".bias", out) : null, act, residual);
    }

    /** A 1x1 nn.Conv2d `prefix` (weight [out, in, 1, 1], bias) as the linear it is. */
    Value linearFromConv1x1(String prefix, Value x, long out, Value residual) {
        long in = last(x);
        Value w = g.weight(name(prefix + ".weight"), weights.get(prefix + ".weight", out, in, 1, 1).reshape(out, in));
        return linearWith(prefix, x, w, weight(prefix + ".bias", out), "none", residual);
    }

    private Value linearWith(String prefix, Value x, Value w, Value b, String act, Value residual) {
        Value rows = x.rank() == 2 ? x : rows(prefix, x);
        Value res = residual == null || residual.rank() == 2 ? residual : rows(prefix + ":residual", residual);
        Value y = op(prefix, "linear", Map.of("act", act), "x", rows, "w", w, "b", b, "residual", res);
        return x.rank() == 2 ? y : unrows(prefix, y, x);
    }

    Value linear(String prefix, Value x, long out) {
        return linear(prefix, x, out, true, "none", null);
    }

    /** nn.GroupNorm `prefix` on [B,T,H,W,C]: per_frame as a 2D GroupNorm on frames folded into the batch. */
    Value groupNorm(String prefix, Value x, int groups, double eps, boolean perFrame, boolean silu) {
        long c = last(x);
        return op(prefix, "group_norm", Map.of("groups", groups, "eps", eps, "per_frame", perFrame, "silu", silu),
                "x", x, "gamma", weight(prefix + ".weight", c), "beta", weight(prefix + ".bias", c));
    }

    /** nn.LayerNorm `prefix` over the last axis, with or without elementwise affine. */
    Value layerNorm(String prefix, Value x, double eps, boolean affine) {
        long c = last(x);
        Value rows = x.rank() == 2 ? x : rows(prefix, x);
        Value y = op(prefix, "layer_norm", Map.of("eps", eps), "x", rows,
                "gamma", affine ? weight(prefix + ".weight", c) : null, "beta", affine ? weight(prefix + ".bias", c) : null);
        return x.rank() == 2 ? y : unrows(prefix, y, x);
    }

    /** nn.Conv2d `prefix` (k x k, padding k/2, bias) applied per frame: conv_spatial. */
    Value conv2d(String prefix, Value x, long out, int k, int stride, Value residual) {
        long in = last(x);
        Value w = g.weight(name(prefix + ".weight"), weights.get(prefix + ".weight", out, in, k, k).reshape(out, in, 1, k, k));
        return op(prefix, "conv_spatial", Map.of("stride", stride), "x", x, "w", w, "b", weight(prefix + ".bias", out),
                "residual", residual);
    }

    /** nn.Conv3d `prefix` with a (3, 1, 1) kernel and (1, 0, 0) padding: conv_temporal. */
    Value conv3x1x1(String prefix, Value x, long out, Value residual) {
        long in = last(x);
        return op(prefix, "conv_temporal", Map.of(), "x", x, "w", weight(prefix + ".weight", out, in, 3, 1, 1),
                "b", weight(prefix + ".bias", out), "residual", residual);
    }

    /**
     * x + z with z broadcast as [B, 1, ..., 1, C] over x [B, ..., C] (a per-sample, per-channel add);
     * perSample [B, C], or [B, F, C] for a per-frame add as [B, F, 1, 1, C] over x [B, F, H, W, C].
     */
    Value addPerSample(String node, Value x, Value perSample) {
        long[] shape = new long[x.rank()];
        java.util.Arrays.fill(shape, 1);
        for (int d = 0; d < perSample.rank() - 1; d++) {
            shape[d] = perSample.dim(d);
        }
        shape[shape.length - 1] = last(perSample);
        return op(node, "add", Map.of(), "x", x, "z", view(node + ":z", perSample, shape));
    }
}
