package dev.kinema.sampling;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;

import java.util.Arrays;

/** Host copies of frames between [B, C, F, H, W] latents, and the checks the clip samplers share. */
final class LatentFrames {
    private LatentFrames() {
    }

    /** Frames `frames` (in that order) of v [B, C, F, H, W] as a new host tensor [B, C, frames.length, H, W]. */
    static Tensor select(float[] v, long[] shape, int[] frames) {
        long b = shape[0], c = shape[1], f = shape[2], plane = shape[3] * shape[4];
        int k = frames.length;
        float[] out = new float[Math.toIntExact(b * c * k * plane)];
        for (long bc = 0; bc < b * c; bc++) {
            for (int j = 0; j < k; j++) {
                System.arraycopy(v, (int) ((bc * f + frames[j]) * plane), out, (int) ((bc * k + j) * plane), (int) plane);
            }
        }
        return Tensor.hostFromFloats(out, b, c, k, shape[3], shape[4]);
    }

    /** Frames [from, from + count) of src [B, C, Fs, H, W] into frames [at, at + count) of dst [B, C, Fd, H, W]. */
    static void copy(float[] src, long srcFrames, int from, float[] dst, long dstFrames, int at, int count, long bc,
                     long plane) {
        for (long i = 0; i < bc; i++) {
            System.arraycopy(src, (int) ((i * srcFrames + from) * plane), dst, (int) ((i * dstFrames + at) * plane),
                    (int) (count * plane));
        }
    }

    /** 0, 1, ..., count - 1. */
    static int[] range(int count) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = i;
        }
        return out;
    }

    /**
     * The checks of a request that a clip sampler splits into clips: a [B, C, F, H, W] latent shape,
     * and none of what the sampler sets per clip (known frames, initial latent, early stop).
     */
    static long[] checkClipRequest(String op, VideoSampler.Request r) {
        if (r == null) {
            throw new InvalidArgumentException(op, "request", "a request", "null");
        }
        long[] s = r.latentShape();
        if (s.length != 5 || Arrays.stream(s).anyMatch(d -> d < 1)) {
            throw new InvalidArgumentException(op, "latentShape", "[B, C, F, H, W], all >= 1", Arrays.toString(s));
        }
        if (r.knownFrames() != null) {
            throw new InvalidArgumentException(op, "request", "no known frames (set per clip)",
                    "known frames " + Arrays.toString(r.knownFrames().indices()));
        }
        if (r.initialLatent() != null) {
            throw new InvalidArgumentException(op, "request", "no initial latent (each clip starts from its seed's noise)",
                    "an initial latent");
        }
        if (r.stopAfter() != 0) {
            throw new InvalidArgumentException(op, "request", "all steps (stopAfter 0)", "stopAfter " + r.stopAfter());
        }
        if (r.context() == null) {
            throw new InvalidArgumentException(op, "context", "a tensor [B, L, D]", "null");
        }
        return s;
    }
}
