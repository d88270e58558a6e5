package dev.kinema.sampling;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;

import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * ControlVideo's hierarchical sampler (Zhang et al. 2023, section 3.3) for long videos: the key
 * frames (every `stride`-th frame and the last one) are sampled first as one clip, by the key-frame
 * sampler, whose model is typically opened with full cross-frame attention
 * ({@code Denoiser.Options.withSpatialAttention("all")}) so that they agree with each other; then each
 * clip from one key frame to the next is sampled, by the clip sampler, conditioned on its two end
 * key frames through {@link VideoSampler.Request#withKnownFrames}, and its inner frames complete the
 * video. Clips whose key frames are neighbours have nothing to sample and are skipped.
 *
 * <p>Seeds: the key frames sample with the request's seed, clip j (between key frames j and j + 1)
 * with seed + (j + 1) {@link VideoExtender#CLIP_SEED_STEP} (mod 2^64). The key frames in the result
 * are the key-frame clip's, exactly. Progress runs on one scale over the key-frame clip and the
 * sampled clips (each `steps` steps); cancellation is polled between steps.
 */
public final class HierarchicalSampler {
    private static final String OP = "HierarchicalSampler.sample";

    private final VideoSampler keyFrames;
    private final VideoSampler clips;

    /** keyFrames samples the key-frame clip, clips the clips between key frames (may be the same sampler). */
    public HierarchicalSampler(VideoSampler keyFrames, VideoSampler clips) {
        if (keyFrames == null) {
            throw new InvalidArgumentException("HierarchicalSampler", "keyFrames", "a VideoSampler", "null");
        }
        if (clips == null) {
            throw new InvalidArgumentException("HierarchicalSampler", "clips", "a VideoSampler", "null");
        }
        this.keyFrames = keyFrames;
        this.clips = clips;
    }

    /**
     * The video of the request's latent shape [B, C, N, H, W], N >= 3.
     *
     * @param request the whole video's request; no known frames, initial latent or early stop
     * @param stride  key frames are 0, stride, 2 stride, ... and N - 1; 2 .. N - 1
     * @param weight  w_r for RECONSTRUCTION, 0 for REPLACEMENT
     * @return the latent video [B, C, N, H, W] on the host
     */
    public Tensor sample(VideoSampler.Request request, int stride, VideoSampler.Conditioning mode, double weight,
                         VideoSampler.Progress progress, BooleanSupplier cancelled) {
        long[] s = LatentFrames.checkClipRequest(OP, request);
        int frames = (int) s[2];
        if (frames < 3) {
            throw new InvalidArgumentException(OP, "latentShape", "N >= 3 frames (key frames with frames between)",
                    java.util.Arrays.toString(s));
        }
        if (stride < 2 || stride > frames - 1) {
            throw new InvalidArgumentException(OP, "stride", "2.." + (frames - 1) + " (N - 1)", String.valueOf(stride));
        }
        VideoSampler.checkConditioning(OP, mode, weight);
        int[] keys = keyFrames(frames, stride);
        long bc = s[0] * s[1], plane = s[3] * s[4];
        int sampled = 0;
        for (int j = 0; j + 1 < keys.length; j++) {
            sampled += keys[j + 1] - keys[j] > 1 ? 1 : 0;
        }
        int stages = 1 + sampled;
        long begin = System.nanoTime();
        float[] video = new float[Math.toIntExact(bc * frames * plane)];
        float[] key;
        try (Tensor out = keyFrames.sample(request.withLatentShape(s[0], s[1], keys.length, s[3], s[4]),
                scaled(progress, 0, stages, begin), cancelled)) {
            key = out.toFloats();
        }
        for (int j = 0; j < keys.length; j++) {
            LatentFrames.copy(key, keys.length, j, video, frames, keys[j], 1, bc, plane);
        }
        long[] keyShape = {s[0], s[1], keys.length, s[3], s[4]};
        int stage = 1;
        for (int j = 0; j + 1 < keys.length; j++) {
            int first = keys[j], length = keys[j + 1] - first + 1;
            if (length < 3) {
                continue;
            }
            if (cancelled != null && cancelled.getAsBoolean()) {
                throw new CancellationException("sampling cancelled before clip " + j);
            }
            try (Tensor ends = LatentFrames.select(key, keyShape, new int[] {j, j + 1})) {
                VideoSampler.Request r = request.withLatentShape(s[0], s[1], length, s[3], s[4])
                        .withSeed(request.seed() + (j + 1) * VideoExtender.CLIP_SEED_STEP)
                        .withKnownFrames(ends, new int[] {0, length - 1}, mode, weight);
                try (Tensor out = clips.sample(r, scaled(progress, stage, stages, begin), cancelled)) {
                    LatentFrames.copy(out.toFloats(), length, 1, video, frames, first + 1, length - 2, bc, plane);
                }
            }
            stage++;
        }
        return Tensor.hostFromFloats(video, s[0], s[1], frames, s[3], s[4]);
    }

    /** The key frames: 0, stride, 2 stride, ... below frames, and frames - 1. */
    static int[] keyFrames(int frames, int stride) {
        int count = (frames - 1 + stride - 1) / stride + 1;
        int[] keys = new int[count];
        for (int i = 0; i < count; i++) {
            keys[i] = Math.min(i * stride, frames - 1);
        }
        return keys;
    }

    /** Progress of stage `stage` of `stages`, each `total` steps, as one scale. */
    private static VideoSampler.Progress scaled(VideoSampler.Progress progress, int stage, int stages, long begin) {
        return progress == null ? null : (done, total, seconds) ->
                progress.step(stage * total + done, stages * total, (System.nanoTime() - begin) / 1e9);
    }
}
