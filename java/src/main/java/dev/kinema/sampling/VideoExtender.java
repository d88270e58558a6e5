package dev.kinema.sampling;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;

import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Videos longer than the T frames a model was trained on, made autoregressively clip by clip (Video
 * Diffusion Models, Ho et al. 2022, section 3.1; Video LDM, Blattmann et al. 2023, section 3.3): the
 * first clip of T frames is sampled as usual; every next clip of T frames overlaps the video so far
 * by its last `contextFrames` frames and is sampled conditioned on them through
 * {@link VideoSampler.Request#withKnownFrames} (VDM's replacement method or reconstruction guidance,
 * the caller's choice), adding T - contextFrames new frames. The last clip is moved back to end at
 * the last frame, so it is conditioned on more frames when fewer than T - contextFrames remain.
 *
 * <p>Video LDM conditions its prediction model by concatenating the masked context frames and the
 * mask to the input; that needs a model trained with the extra mask channel, which none of the
 * models Kinema loads has, so the conditioning here is the sampler-side one that any model allows.
 *
 * <p>Clip j samples with seed + j {@link #CLIP_SEED_STEP} (mod 2^64), so clip 0 is exactly the video
 * the request alone gives, and all clips' noise is specified. Every clip reports progress on one
 * scale (clips x steps); cancellation is polled between steps of every clip. The result holds the
 * context frames as they were first made: new frames are taken from each clip, the frames it was
 * conditioned on are not rewritten (both conditioning modes reproduce them exactly anyway).
 */
public final class VideoExtender {
    /** The difference between the seeds of consecutive clips (the 64-bit golden-ratio Weyl increment). */
    public static final long CLIP_SEED_STEP = 0x9E3779B97F4A7C15L;

    private static final String OP = "VideoExtender.extend";

    private final VideoSampler sampler;

    public VideoExtender(VideoSampler sampler) {
        if (sampler == null) {
            throw new InvalidArgumentException("VideoExtender", "sampler", "a VideoSampler", "null");
        }
        this.sampler = sampler;
    }

    /**
     * A video of `frames` frames from clips of the request's shape.
     *
     * @param clip          one clip's request: latentShape [B, C, T, H, W], T the frames the model was
     *                      trained on; no known frames, initial latent or early stop
     * @param frames        frames of the video, >= T
     * @param contextFrames frames each next clip is conditioned on, 1 .. T - 1
     * @param weight        w_r for RECONSTRUCTION, 0 for REPLACEMENT
     * @return the latent video [B, C, frames, H, W] on the host
     */
    public Tensor extend(VideoSampler.Request clip, int frames, int contextFrames, VideoSampler.Conditioning mode,
                         double weight, VideoSampler.Progress progress, BooleanSupplier cancelled) {
        long[] s = LatentFrames.checkClipRequest(OP, clip);
        int t = (int) s[2];
        if (t < 2) {
            throw new InvalidArgumentException(OP, "latentShape", "a clip of T >= 2 frames (T - 1 context frames at most)",
                    java.util.Arrays.toString(s));
        }
        if (frames < t) {
            throw new InvalidArgumentException(OP, "frames", ">= " + t + " (the clip's T)", String.valueOf(frames));
        }
        if (contextFrames < 1 || contextFrames >= t) {
            throw new InvalidArgumentException(OP, "contextFrames", "1.." + (t - 1) + " (below the clip's T = " + t + ")",
                    String.valueOf(contextFrames));
        }
        VideoSampler.checkConditioning(OP, mode, weight);
        int[] starts = clipStarts(frames, t, contextFrames);
        long bc = s[0] * s[1], plane = s[3] * s[4];
        float[] video = new float[Math.toIntExact(bc * frames * plane)];
        long[] videoShape = {s[0], s[1], frames, s[3], s[4]};
        long begin = System.nanoTime();
        int end = 0;  // frames made so far
        for (int j = 0; j < starts.length; j++) {
            if (cancelled != null && cancelled.getAsBoolean()) {
                throw new CancellationException("extension cancelled before clip " + j + " of " + starts.length);
            }
            int start = starts[j], clipIndex = j;
            VideoSampler.Request r = clip.withSeed(clip.seed() + j * CLIP_SEED_STEP);
            Tensor known = j == 0 ? null : LatentFrames.select(video, videoShape, range(start, end));
            try (known) {
                if (known != null) {
                    r = r.withKnownFrames(known, LatentFrames.range(end - start), mode, weight);
                }
                VideoSampler.Progress each = progress == null ? null : (done, total, seconds) ->
                        progress.step(clipIndex * total + done, starts.length * total, (System.nanoTime() - begin) / 1e9);
                try (Tensor out = sampler.sample(r, each, cancelled)) {
                    LatentFrames.copy(out.toFloats(), t, end - start, video, frames, end, start + t - end, bc, plane);
                }
            }
            end = start + t;
        }
        return Tensor.hostFromFloats(video, videoShape);
    }

    /**
     * The first frame of each clip: 0, then each clip starting `contextFrames` before the end of the
     * previous one, the last moved back to end at frame `frames`.
     */
    static int[] clipStarts(int frames, int clipFrames, int contextFrames) {
        java.util.List<Integer> starts = new java.util.ArrayList<>();
        starts.add(0);
        int end = clipFrames;
        while (end < frames) {
            int start = Math.min(end - contextFrames, frames - clipFrames);
            starts.add(start);
            end = start + clipFrames;
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }
}
