package dev.kinema.graph;

/**
 * Napkin costs of one node, for profiles: bytes moved (every input read once, every output written
 * once) and floating-point operations (multiply-adds count 2; transcendental-heavy elementwise work
 * counts a nominal few per element). Orders of magnitude, not a roofline model.
 */
record NodeCost(String family, long bytes, long flops) {
    static NodeCost of(Node node) {
        long bytes = 0;
        for (Value v : node.inputs().values()) {
            bytes += v.byteSize();
        }
        for (Value v : node.outputs().values()) {
            bytes += v.byteSize();
        }
        if (node.isView()) {
            return new NodeCost("view", 0, 0);
        }
        Value y = node.y();
        long out = y.numel();
        return switch (node.op()) {
            case "conv_spatial", "conv_temporal", "conv3d" -> {
                long[] w = node.inputs().get("w").shape();
                yield new NodeCost("conv", bytes, 2 * out * w[1] * w[2] * w[3] * w[4]);
            }
            case "linear" -> {
                long[] w = node.inputs().get("w").shape();
                Value x = node.inputs().get("x");
                long rows = x.numel() / Math.max(1, w[1]);
                yield new NodeCost("linear", bytes, 2 * rows * w[0] * w[1]);
            }
            case "attention" -> new NodeCost("attention", bytes, 4 * out * keysPerQuery(node));
            case "temporal_attention" -> new NodeCost("attention", bytes, 4 * out * y.dim(1));
            case "group_norm", "layer_norm" -> new NodeCost("norm", bytes, 8 * out);
            case "silu", "gelu" -> new NodeCost("elementwise", bytes, 8 * out);
            case "add", "mul", "scale_add", "alpha_blend" -> new NodeCost("elementwise", bytes, 2 * out);
            case "upsample_nearest", "patchify", "unpatchify", "concat" -> new NodeCost("resample", bytes, 0);
            case "ddim_step" -> new NodeCost("sampler", bytes, 12 * out);
            default -> new NodeCost("embedding", bytes, 8 * out); // timestep_embedding
        };
    }

    /** Keys each query attends to (OPS.md kv_frames). */
    private static long keysPerQuery(Node node) {
        long[] k = node.inputs().get("k").shape();
        return switch (node.attrs().getOrDefault("kv_frames", "same").strip()) {
            case "context" -> k[1];
            case "sparse_causal" -> 2 * k[2];
            case "all" -> k[1] * k[2];
            default -> k[2]; // same, first
        };
    }
}
