package dev.kinema.sampling;

import dev.kinema.Prediction;
import dev.kinema.models.ConfigReader;

import java.nio.file.Path;

/**
 * diffusers' scheduler_config.json, read as-is (the fields DDIMScheduler, DDPMScheduler and
 * EulerDiscreteScheduler share, with diffusers' defaults), and the noise schedule it defines.
 *
 * @param className        _class_name, e.g. DDIMScheduler (informational: the sampler is chosen separately)
 * @param timestepSpacing  leading, trailing or linspace
 * @param stepsOffset      added to leading timesteps (Stable Diffusion uses 1)
 * @param setAlphaToOne    DDIM's final step goes to alpha_bar = 1 (else alpha_bar_0)
 * @param clipSample       clamp x0 to [-clipSampleRange, clipSampleRange]
 * @param useKarrasSigmas  EulerDiscreteScheduler's Karras sigmas
 */
public record SchedulerConfig(String className, int numTrainTimesteps, double betaStart, double betaEnd,
                              NoiseSchedule.Betas betaSchedule, Prediction prediction, String timestepSpacing,
                              int stepsOffset, boolean setAlphaToOne, boolean clipSample, double clipSampleRange,
                              boolean rescaleBetasZeroSnr, boolean useKarrasSigmas) {

    /** Schedules are tables of this many entries at most (diffusers' models use 1000). */
    public static final int MAX_TRAIN_TIMESTEPS = 100_000;

    /** diffusers' DDIMScheduler defaults. */
    public static SchedulerConfig defaults() {
        return new SchedulerConfig("DDIMScheduler", 1000, 0.0001, 0.02, NoiseSchedule.Betas.LINEAR, Prediction.EPS,
                "leading", 0, true, true, 1.0, false, false);
    }

    public static SchedulerConfig read(Path file) {
        return from(ConfigReader.read(file));
    }

    public static SchedulerConfig from(ConfigReader c) {
        SchedulerConfig d = defaults();
        String prediction = c.string("prediction_type", "epsilon");
        Prediction p = switch (prediction) {
            case "epsilon" -> Prediction.EPS;
            case "v_prediction" -> Prediction.V;
            case "sample" -> Prediction.X0;
            default -> throw new dev.kinema.models.ModelConfigException(c.source(), "prediction_type",
                    "epsilon, v_prediction or sample", "\"" + prediction + "\"");
        };
        String spacing = c.string("timestep_spacing", d.timestepSpacing);
        c.require(spacing.equals("leading") || spacing.equals("trailing") || spacing.equals("linspace"),
                "timestep_spacing", "leading, trailing or linspace", "\"" + spacing + "\"");
        String className = c.string("_class_name", d.className);
        boolean ddpmLike = !className.equals("EulerDiscreteScheduler");
        SchedulerConfig cfg = new SchedulerConfig(className, c.integer("num_train_timesteps", d.numTrainTimesteps),
                c.number("beta_start", d.betaStart), c.number("beta_end", d.betaEnd),
                NoiseSchedule.Betas.parse(c.string("beta_schedule", d.betaSchedule.id())), p, spacing,
                c.integer("steps_offset", 0), c.bool("set_alpha_to_one", true),
                c.bool("clip_sample", ddpmLike && d.clipSample), c.number("clip_sample_range", 1.0),
                c.bool("rescale_betas_zero_snr", false), c.bool("use_karras_sigmas", false));
        c.require(cfg.numTrainTimesteps >= 2 && cfg.numTrainTimesteps <= MAX_TRAIN_TIMESTEPS, "num_train_timesteps",
                "2.." + MAX_TRAIN_TIMESTEPS, cfg.numTrainTimesteps);
        c.require(cfg.clipSampleRange > 0, "clip_sample_range", "> 0", cfg.clipSampleRange);
        c.require(cfg.stepsOffset >= 0 && cfg.stepsOffset < cfg.numTrainTimesteps, "steps_offset",
                "0.." + (cfg.numTrainTimesteps - 1) + " (below num_train_timesteps)", cfg.stepsOffset);
        return cfg;
    }

    public NoiseSchedule schedule() {
        return NoiseSchedule.of(betaSchedule, betaStart, betaEnd, numTrainTimesteps, rescaleBetasZeroSnr);
    }
}
