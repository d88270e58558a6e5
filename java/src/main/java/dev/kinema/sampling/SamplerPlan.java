package dev.kinema.sampling;

import dev.kinema.DdimParams;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Prediction;

import java.util.ArrayList;
import java.util.List;

/**
 * The steps of a sampler as diffusers' schedulers take them, each expressed as the fused ddim_step
 * update (OPS.md) it equals, so every sampler runs through one kernel:
 * <ul>
 * <li>DDIM (DDIMScheduler): x_s = alpha_s x0 + sqrt(sigma_s^2 - sigma_eta^2) eps + sigma_eta z,
 * previous timestep t - N / steps, the last step to alpha_bar = 1 (set_alpha_to_one) or alpha_bar_0.
 * <li>DDPM (DDPMScheduler, variance fixed_small): the ancestral posterior step, which is DDIM with
 * eta = 1 over the same timesteps (same mean, same variance (1 - a_s)/(1 - a_t) (1 - a_t/a_s)).
 * <li>Euler (EulerDiscreteScheduler, optionally with Karras sigmas, rho = 7): the Euler step of the
 * probability-flow ODE in sigma = sqrt((1 - a)/a); on the VP latent x / sqrt(1 + sigma^2), which is what
 * diffusers feeds the model (scale_model_input), that step is exactly DDIM with alpha = 1/sqrt(1 +
 * sigma^2) and sigma_vp = sigma/sqrt(1 + sigma^2). Model timesteps are the interpolated, fractional
 * ones diffusers computes (_sigma_to_t).
 * </ul>
 * Clipping (clip_sample) follows OPS.md: eps is re-derived from the clipped x0, which is diffusers'
 * DDPM behaviour and DDIM's use_clipped_model_output=True.
 *
 * @param timesteps     the model timestep of each step (fractional for Euler)
 * @param steps         the update after each model call
 * @param initialScale  the initial latent is initialScale x N(0, 1) (the VP form of init_noise_sigma)
 */
public record SamplerPlan(Sampler sampler, double[] timesteps, List<DdimParams> steps, double initialScale) {
    /** The samplers of {@link #of}. */
    public enum Sampler {
        DDIM("ddim"), DDPM("ddpm"), EULER("euler"), EULER_KARRAS("euler_karras");

        private final String id;

        Sampler(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Sampler parse(String id) {
            for (Sampler s : values()) {
                if (s.id.equals(id)) {
                    return s;
                }
            }
            throw new InvalidArgumentException("sampler", "sampler", "ddim, ddpm, euler or euler_karras", "\"" + id + "\"");
        }
    }

    public SamplerPlan {
        timesteps = timesteps.clone();
        steps = List.copyOf(steps);
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    /**
     * The plan of `count` steps. eta applies to DDIM (0 deterministic; DDPM is 1, Euler 0); guidance
     * is written into every step (it takes effect when the unconditional output is passed).
     */
    public static SamplerPlan of(SchedulerConfig cfg, Sampler sampler, int count, double eta, double guidance) {
        NoiseSchedule schedule = cfg.schedule();
        int n = cfg.numTrainTimesteps();
        if (count < 1 || count > n) {
            throw new InvalidArgumentException("sampler", "steps", "1.." + n + " (num_train_timesteps)", String.valueOf(count));
        }
        if (!(eta >= 0) || !Double.isFinite(eta)) {
            throw new InvalidArgumentException("sampler", "eta", ">= 0", String.valueOf(eta));
        }
        double clip = cfg.clipSample() ? cfg.clipSampleRange() : 0.0;
        Prediction p = cfg.prediction();
        if (sampler == Sampler.DDIM || sampler == Sampler.DDPM) {
            double e = sampler == Sampler.DDPM ? 1.0 : eta;
            int[] ts = spacedTimesteps(cfg, count);
            checkFirstTimestep(cfg, count, ts[0]);
            double[] model = new double[ts.length];
            List<DdimParams> steps = new ArrayList<>();
            for (int i = 0; i < ts.length; i++) {
                int t = ts[i], prev = t - n / count;
                double barS = prev >= 0 ? schedule.alphaBar(prev)
                        : sampler == Sampler.DDPM || cfg.setAlphaToOne() ? 1.0 : schedule.alphaBar(0);
                model[i] = t;
                steps.add(new DdimParams(schedule.alpha(t), schedule.sigma(t), Math.sqrt(barS), Math.sqrt(1 - barS),
                        guidance, p, e, clip));
            }
            return new SamplerPlan(sampler, model, steps, 1.0);
        }
        double[] t = eulerTimesteps(cfg, count);
        checkFirstTimestep(cfg, count, t[0]);
        double[] sigmas = new double[t.length + 1];
        double[] logSigmas = new double[n];
        for (int i = 0; i < n; i++) {
            logSigmas[i] = Math.log(schedule.veSigma(i));
        }
        for (int i = 0; i < t.length; i++) {
            sigmas[i] = interpolate(schedule, t[i]);
        }
        if (sampler == Sampler.EULER_KARRAS) {
            double max = sigmas[0], min = sigmas[t.length - 1], rho = 7.0;
            double maxInv = Math.pow(max, 1 / rho), minInv = Math.pow(min, 1 / rho);
            for (int i = 0; i < t.length; i++) {
                double ramp = t.length == 1 ? 0 : (double) i / (t.length - 1);
                sigmas[i] = Math.pow(maxInv + ramp * (minInv - maxInv), rho);
                t[i] = sigmaToT(sigmas[i], logSigmas);
            }
        }
        sigmas[t.length] = 0.0;
        List<DdimParams> steps = new ArrayList<>();
        for (int i = 0; i < t.length; i++) {
            double a = 1 / Math.sqrt(1 + sigmas[i] * sigmas[i]), an = 1 / Math.sqrt(1 + sigmas[i + 1] * sigmas[i + 1]);
            steps.add(new DdimParams(a, sigmas[i] * a, an, sigmas[i + 1] * an, guidance, p, 0.0, 0.0));
        }
        // diffusers' init_noise_sigma: sigma_max for linspace/trailing spacing, sqrt(sigma_max^2 + 1) for
        // leading; on the VP latent x / sqrt(1 + sigma_max^2) that is sigma_max / sqrt(1 + sigma_max^2) and 1
        double s0 = sigmas[0];
        double init = cfg.timestepSpacing().equals("leading") ? 1.0 : s0 / Math.sqrt(1 + s0 * s0);
        return new SamplerPlan(sampler, t, steps, init);
    }

    /** DDIMScheduler / DDPMScheduler.set_timesteps: integer timesteps, descending. */
    /** Leading spacing adds steps_offset to every timestep: the first (largest) must stay a trained one. */
    private static void checkFirstTimestep(SchedulerConfig cfg, int count, double first) {
        if (first > cfg.numTrainTimesteps() - 1) {
            throw new InvalidArgumentException("sampler", "steps", "a count whose first timestep stays below "
                    + "num_train_timesteps " + cfg.numTrainTimesteps() + " with steps_offset " + cfg.stepsOffset()
                    + " (leading spacing)", count + " (first timestep " + (long) first + ")");
        }
    }

    static int[] spacedTimesteps(SchedulerConfig cfg, int count) {
        int n = cfg.numTrainTimesteps();
        int[] out = new int[count];
        switch (cfg.timestepSpacing()) {
            case "linspace" -> {
                for (int i = 0; i < count; i++) {
                    out[count - 1 - i] = (int) Math.rint(count == 1 ? 0 : (double) i * (n - 1) / (count - 1));
                }
            }
            case "leading" -> {
                int ratio = n / count;
                for (int i = 0; i < count; i++) {
                    out[count - 1 - i] = i * ratio + cfg.stepsOffset();
                }
            }
            default -> {  // trailing: round(arange(n, 0, -n / count)) - 1
                double ratio = (double) n / count;
                for (int i = 0; i < count; i++) {
                    out[i] = (int) Math.rint(n - i * ratio) - 1;
                }
            }
        }
        return out;
    }

    /** EulerDiscreteScheduler.set_timesteps: float timesteps, descending. */
    static double[] eulerTimesteps(SchedulerConfig cfg, int count) {
        int n = cfg.numTrainTimesteps();
        double[] out = new double[count];
        switch (cfg.timestepSpacing()) {
            case "linspace" -> {
                for (int i = 0; i < count; i++) {
                    out[count - 1 - i] = count == 1 ? 0 : (double) i * (n - 1) / (count - 1);
                }
            }
            case "leading" -> {
                int ratio = n / count;
                for (int i = 0; i < count; i++) {
                    out[count - 1 - i] = Math.rint((double) i * ratio) + cfg.stepsOffset();
                }
            }
            default -> {
                double ratio = (double) n / count;
                for (int i = 0; i < count; i++) {
                    out[i] = Math.rint(n - i * ratio) - 1;
                }
            }
        }
        return out;
    }

    /** np.interp(t, arange(N), sigmas): linear between integer timesteps. */
    private static double interpolate(NoiseSchedule s, double t) {
        int lo = (int) Math.floor(Math.max(0, Math.min(t, s.trainSteps() - 1)));
        int hi = Math.min(lo + 1, s.trainSteps() - 1);
        double w = Math.max(0, Math.min(t, s.trainSteps() - 1)) - lo;
        return (1 - w) * s.veSigma(lo) + w * s.veSigma(hi);
    }

    /** EulerDiscreteScheduler._sigma_to_t: the fractional timestep of sigma on the log-sigma table. */
    static double sigmaToT(double sigma, double[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < logSigmas.length; i++) {
            if (logSigma - logSigmas[i] >= 0) {
                low = i;  // the last index where log_sigma >= log_sigmas[i] (cumsum(...).argmax)
            }
        }
        low = Math.min(low, logSigmas.length - 2);
        double lo = logSigmas[low], hi = logSigmas[low + 1];
        double w = Math.max(0, Math.min(1, (lo - logSigma) / (lo - hi)));
        return (1 - w) * low + w * (low + 1);
    }
}
