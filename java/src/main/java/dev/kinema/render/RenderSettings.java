package dev.kinema.render;

import dev.kinema.InvalidArgumentException;
import dev.kinema.sampling.SamplerPlan;

/**
 * Everything that decides a render besides the model and the backend: with the same model files,
 * settings and backend, a render is bit-identical across runs and thread counts.
 *
 * @param prompt   what to render, words from the model's vocabulary
 * @param negative the unconditional prompt of classifier-free guidance ("" = the empty prompt)
 * @param frames   frames to render; beyond the model's trained count, sliding temporal windows
 * @param size     frame height and width in pixels
 * @param steps    sampler steps
 * @param guidance classifier-free guidance scale (1 = no guidance: one forward per step)
 * @param eta      DDIM's eta (0 = deterministic DDIM; DDPM ignores it)
 */
public record RenderSettings(String prompt, String negative, int frames, int size, int steps,
                             SamplerPlan.Sampler sampler, double guidance, double eta, long seed) {
    public static final int DEFAULT_STEPS = 25;
    public static final SamplerPlan.Sampler DEFAULT_SAMPLER = SamplerPlan.Sampler.DDIM;
    public static final double DEFAULT_GUIDANCE = 4.0;

    public RenderSettings {
        if (prompt == null) {
            throw new InvalidArgumentException("RenderSettings", "prompt", "a prompt", "null");
        }
        if (negative == null) {
            throw new InvalidArgumentException("RenderSettings", "negative", "a prompt (\"\" for none)", "null");
        }
        if (sampler == null) {
            throw new InvalidArgumentException("RenderSettings", "sampler", "a sampler", "null");
        }
        check("frames", frames, 1, 4096);
        check("size", size, 1, 4096);
        check("steps", steps, 1, 1000);
        if (!(guidance >= 1.0 && guidance <= 100.0)) {
            throw new InvalidArgumentException("RenderSettings", "guidance", "1..100", String.valueOf(guidance));
        }
        if (!(eta >= 0.0 && eta <= 1.0)) {
            throw new InvalidArgumentException("RenderSettings", "eta", "0..1", String.valueOf(eta));
        }
    }

    private static void check(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new InvalidArgumentException("RenderSettings", name, min + ".." + max, String.valueOf(value));
        }
    }

    /** The defaults for a model: its trained frames and size, 25 DDIM steps, guidance 4, seed 0. */
    public static RenderSettings defaults(TextToVideoModel model, String prompt) {
        return new RenderSettings(prompt, "", model.frames(), model.size(), DEFAULT_STEPS, DEFAULT_SAMPLER,
                DEFAULT_GUIDANCE, 0.0, 0);
    }

    public RenderSettings withSeed(long s) {
        return new RenderSettings(prompt, negative, frames, size, steps, sampler, guidance, eta, s);
    }
}
