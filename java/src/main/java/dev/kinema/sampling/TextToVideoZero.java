package dev.kinema.sampling;

import dev.kinema.DdimParams;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;

/**
 * Text2Video-Zero's motion dynamics (Khachatryan et al. 2023, section 3.2): the initial latent of a
 * video made from its first frame, so that a model with first-frame attention (open the Denoiser
 * with spatial attention "first") renders a coherent global motion:
 * <ol>
 * <li>x_T of frame 0 is the seed's noise; `deltaSteps` steps of the sampler take it to x_T' (the
 * first frame alone, same prompt and guidance);
 * <li>frame k is x_T' translated by (k dx, k dy) latent pixels, rounded to whole pixels, the uncovered
 * border filled by reflection about the image edge (the edge pixel repeated: grid_sample's
 * "reflection" padding with align_corners=False, which the reference implementation warps with);
 * <li>each frame is noised back from T' to T: x_T = sqrt(a_T / a_T') x_T' + sqrt(1 - a_T / a_T') e,
 * e the seed's noise tensor {@link #RENOISE_STREAM} indexed in [B, C, F, H, W] order.
 * </ol>
 * The result goes to {@link VideoSampler.Request#withInitialLatent}.
 */
public final class TextToVideoZero {
    /** The noise stream of the re-noising step (apart from the sampler's own streams 0..steps). */
    public static final long RENOISE_STREAM = 1L << 32;

    private TextToVideoZero() {
    }

    /**
     * The video's initial latent [B, C, frames, H, W] for request (whose latentShape gives B, C, H, W).
     *
     * @param deltaSteps sampler steps from T to T' (1 .. steps - 1; the reference uses 3 of 50)
     * @param dx         latent pixels a frame moves right (negative: left)
     * @param dy         latent pixels a frame moves down
     */
    public static Tensor initialLatent(VideoSampler sampler, SchedulerConfig scheduler, VideoSampler.Request request,
                                       int frames, int deltaSteps, double dx, double dy) {
        long[] s = request.latentShape();
        if (deltaSteps < 1 || deltaSteps >= request.steps()) {
            throw new InvalidArgumentException("TextToVideoZero", "deltaSteps", "1.." + (request.steps() - 1),
                    String.valueOf(deltaSteps));
        }
        if (frames < 1) {
            throw new InvalidArgumentException("TextToVideoZero", "frames", ">= 1", String.valueOf(frames));
        }
        long b = s[0], c = s[1], h = s[3], w = s[4];
        float[] first;
        try (Tensor x = sampler.sample(request.withLatentShape(b, c, 1, h, w).stoppedAfter(deltaSteps), null, null)) {
            first = x.toFloats();
        }
        SamplerPlan plan = SamplerPlan.of(scheduler, request.sampler(), request.steps(), request.eta(), 1.0);
        DdimParams at = plan.steps().get(0), after = plan.steps().get(deltaSteps - 1);
        double ratio = (at.alphaT() * at.alphaT()) / (after.alphaS() * after.alphaS());
        double keep = Math.sqrt(ratio), add = Math.sqrt(Math.max(0, 1 - ratio));
        long[] shape = {b, c, frames, h, w};
        float[] noise = NoiseGenerator.normal(request.seed(), RENOISE_STREAM, Math.toIntExact(b * c * frames * h * w));
        float[] out = new float[noise.length];
        for (long bi = 0; bi < b; bi++) {
            for (long ci = 0; ci < c; ci++) {
                for (int f = 0; f < frames; f++) {
                    long sx = Math.round(f * dx), sy = Math.round(f * dy);
                    for (long y = 0; y < h; y++) {
                        for (long xx = 0; xx < w; xx++) {
                            long srcY = reflect(y - sy, h), srcX = reflect(xx - sx, w);
                            int o = (int) ((((bi * c + ci) * frames + f) * h + y) * w + xx);
                            float src = first[(int) (((bi * c + ci) * h + srcY) * w + srcX)];
                            out[o] = (float) (keep * src + add * noise[o]);
                        }
                    }
                }
            }
        }
        return Tensor.hostFromFloats(out, shape);
    }

    /** Index i reflected into [0, n) about the edges -0.5 and n - 0.5 (edge pixels repeated). */
    static long reflect(long i, long n) {
        long m = Math.floorMod(i, 2 * n);
        return m < n ? m : 2 * n - 1 - m;
    }
}
