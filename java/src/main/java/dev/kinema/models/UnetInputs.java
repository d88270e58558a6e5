package dev.kinema.models;

import dev.kinema.InvalidArgumentException;

import java.util.Arrays;
import java.util.Map;

/** What the video U-Nets check of their inputs, and how they name their spatial attention processors. */
final class UnetInputs {
    /** The Options names of the spatial self-attention processors and the kv_frames mode each runs. */
    static final Map<String, String> SPATIAL_ATTENTION = Map.of("per_frame", "same", "first", "first",
            "sparse_causal", "sparse_causal", "all", "all");

    private UnetInputs() {
    }

    /** The kv_frames mode of a spatialAttention option, or a typed refusal. */
    static String kvFrames(String spatialAttention) {
        String mode = SPATIAL_ATTENTION.get(spatialAttention);
        if (mode == null) {
            throw new InvalidArgumentException("Denoiser.open", "spatialAttention",
                    "one of per_frame, first, sparse_causal, all", String.valueOf(spatialAttention));
        }
        return mode;
    }

    /** sample [B, in, F, H, W] with H and W multiples of `multiple`; context [B, L, contextDim]. */
    static void check(long[] sample, long[] context, int in, int multiple, int contextDim) {
        if (sample.length != 5 || sample[0] < 1 || sample[1] != in || sample[2] < 1 || sample[3] < 1 || sample[4] < 1
                || sample[3] % multiple != 0 || sample[4] % multiple != 0) {
            throw new InvalidArgumentException("Denoiser.forward", "sample",
                    "[B, " + in + ", F, H, W] with H and W multiples of " + multiple, Arrays.toString(sample));
        }
        if (context.length != 3 || context[0] != sample[0] || context[1] < 1 || context[2] != contextDim) {
            throw new InvalidArgumentException("Denoiser.forward", "encoder_hidden_states",
                    "[" + sample[0] + ", L, " + contextDim + "]", Arrays.toString(context));
        }
    }
}
