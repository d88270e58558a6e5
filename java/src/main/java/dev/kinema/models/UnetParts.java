package dev.kinema.models;

import dev.kinema.graph.Value;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The pieces diffusers' video U-Nets share (UNet3DConditionModel, UNetMotionModel): the time
 * embedding, ResnetBlock2D with its time-embedding add, and the stride-2 / nearest-x2 resamplers,
 * all with the model's GroupNorm groups and eps.
 */
final class UnetParts {
    private final Blocks b;
    private final int groups;
    private final double eps;

    UnetParts(Blocks b, int groups, double eps) {
        this.b = b;
        this.groups = groups;
        this.eps = eps;
    }

    /**
     * time_proj (sinusoid of `channels`, cos first, shift 0) and time_embedding (linear_1, SiLU,
     * linear_2); returns silu(emb), the act(temb) every resnet reads.
     */
    Value timeEmbedding(Value timestep, int channels, int embedDim) {
        Value tProj = b.op("time_proj", "timestep_embedding",
                Map.of("dim", channels, "flip_sin_to_cos", true, "downscale_freq_shift", 0.0), "t", timestep);
        Value emb = b.linear("time_embedding.linear_1", tProj, embedDim, true, "silu", null);
        emb = b.linear("time_embedding.linear_2", emb, embedDim);
        return b.op("resnets.time_emb_act", "silu", Map.of(), "x", emb);
    }

    /**
     * ResnetBlock2D `p`: h = conv1(silu(norm1(x))) + time_emb_proj(silu(temb)); out = (shortcut(x) +
     * conv2(silu(norm2(h)))) / scale, the shortcut a 1x1 conv when channels change.
     */
    Value resnet(String p, Value x, int out, Value embAct, double scale) {
        Value h = b.conv2d(p + ".conv1", b.groupNorm(p + ".norm1", x, groups, eps, true, true), out, 3, 1, null);
        h = b.addPerSample(p + ".time_emb_add", h, b.linear(p + ".time_emb_proj", embAct, out));
        Value shortcut = Blocks.last(x) == out ? x : b.conv2d(p + ".conv_shortcut", x, out, 1, 1, null);
        Value y = b.conv2d(p + ".conv2", b.groupNorm(p + ".norm2", h, groups, eps, true, true), out, 3, 1, shortcut);
        if (scale != 1.0) {
            y = b.op(p + ".output_scale", "scale_add", Map.of("a", 1.0 / scale, "b", 0.0), "x", y, "z", y);
        }
        return y;
    }

    /** Downsample2D `block.downsamplers.0`: a 3x3 stride-2 conv with padding 1. */
    Value downsample(String block, Value x) {
        return b.conv2d(block + ".downsamplers.0.conv", x, Blocks.last(x), 3, 2, null);
    }

    /** Upsample2D `block.upsamplers.0`: nearest x2, then a 3x3 conv. */
    Value upsample(String block, Value x) {
        Value up = b.op(block + ".upsamplers.0.interpolate", "upsample_nearest", Map.of(), "x", x);
        return b.conv2d(block + ".upsamplers.0.conv", up, Blocks.last(x), 3, 1, null);
    }

    /** The skip connection of an up-block layer: cat([h, skip], channels). */
    Value joinSkip(String node, Value h, Value skip) {
        return b.op(node, "concat", Map.of(), "x", h, "z", skip);
    }

    /** One layer of a down or up block: block prefix, level, layer index, input, output channels. */
    interface Layer {
        Value apply(String block, int level, int index, Value x, int out);
    }

    /**
     * The U-Net skeleton diffusers' video U-Nets share: down blocks (layersPerBlock layers, then a
     * stride-2 conv except at the last level), every output kept as a skip state; the mid block; up
     * blocks (layersPerBlock + 1 layers, each on cat([h, skip]), then nearest x2 + conv except at the
     * last level). h is conv_in's output; returns what goes into conv_norm_out.
     */
    Value skeleton(Value h, int[] channels, int layersPerBlock, Layer down, UnaryOperator<Value> mid, Layer up) {
        int n = channels.length;
        Deque<Value> skips = new ArrayDeque<>();
        skips.push(h);
        for (int i = 0; i < n; i++) {
            String p = "down_blocks." + i;
            for (int l = 0; l < layersPerBlock; l++) {
                h = down.apply(p, i, l, h, channels[i]);
                skips.push(h);
            }
            if (i < n - 1) {
                h = downsample(p, h);
                skips.push(h);
            }
        }
        h = mid.apply(h);
        for (int i = 0; i < n; i++) {
            String p = "up_blocks." + i;
            for (int l = 0; l <= layersPerBlock; l++) {
                h = up.apply(p, i, l, joinSkip(p + ".cat" + l, h, skips.pop()), channels[n - 1 - i]);
            }
            if (i < n - 1) {
                h = upsample(p, h);
            }
        }
        return h;
    }

    /** conv_norm_out (GroupNorm + SiLU per frame) and conv_out. */
    Value output(Value x, int outChannels) {
        Value n = b.groupNorm("conv_norm_out", x, groups, eps, true, true);
        return b.conv2d("conv_out", n, outChannels, 3, 1, null);
    }
}
