package dev.kinema.sampling;

import dev.kinema.InvalidArgumentException;

/**
 * A discrete variance-preserving noise schedule: beta_t for t in [0, N), and alpha_bar_t = prod(1 -
 * beta) as diffusers computes them (betas rounded to float32 and their cumulative product taken in
 * float32, the precision of diffusers' torch tensors: the values agree with diffusers' within an f32
 * ulp or two, torch's linspace rounding being the only difference). At time
 * t the latent is alpha_t x0 + sigma_t eps with alpha_t = sqrt(alpha_bar_t), sigma_t = sqrt(1 - alpha_bar_t).
 */
public final class NoiseSchedule {
    /** The beta schedules diffusers names in scheduler_config.json. */
    public enum Betas {
        LINEAR("linear"), SCALED_LINEAR("scaled_linear"), SQUAREDCOS_CAP_V2("squaredcos_cap_v2");

        private final String id;

        Betas(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Betas parse(String id) {
            for (Betas b : values()) {
                if (b.id.equals(id)) {
                    return b;
                }
            }
            throw new InvalidArgumentException("scheduler", "beta_schedule", "linear, scaled_linear or squaredcos_cap_v2",
                    "\"" + id + "\"");
        }
    }

    private final double[] alphaBar;

    private NoiseSchedule(double[] alphaBar) {
        this.alphaBar = alphaBar;
    }

    /**
     * diffusers' betas: linear = linspace(start, end, N); scaled_linear = linspace(sqrt(start),
     * sqrt(end), N)^2; squaredcos_cap_v2 = betas_for_alpha_bar with the cosine alpha_bar (max beta
     * 0.999). zeroSnr rescales them so alpha_bar at the last step is 0 (Lin et al. 2023,
     * rescale_betas_zero_snr).
     */
    public static NoiseSchedule of(Betas kind, double betaStart, double betaEnd, int steps, boolean zeroSnr) {
        if (steps < 2) {
            throw new InvalidArgumentException("scheduler", "num_train_timesteps", ">= 2", String.valueOf(steps));
        }
        if (kind != Betas.SQUAREDCOS_CAP_V2 && !(betaStart > 0 && betaEnd >= betaStart && betaEnd < 1)) {
            throw new InvalidArgumentException("scheduler", "beta_start/beta_end", "0 < beta_start <= beta_end < 1",
                    betaStart + "/" + betaEnd);
        }
        float[] betas = new float[steps];
        for (int i = 0; i < steps; i++) {
            double f = (double) i / (steps - 1);
            betas[i] = switch (kind) {
                case LINEAR -> (float) (betaStart + f * (betaEnd - betaStart));
                case SCALED_LINEAR -> {
                    float s = (float) (Math.sqrt(betaStart) + f * (Math.sqrt(betaEnd) - Math.sqrt(betaStart)));
                    yield s * s;
                }
                case SQUAREDCOS_CAP_V2 -> (float) Math.min(1 - cosineAlphaBar((i + 1.0) / steps) / cosineAlphaBar((double) i / steps),
                        0.999);
            };
        }
        if (zeroSnr) {
            betas = rescaleZeroTerminalSnr(betas);
        }
        double[] alphaBar = new double[steps];
        float product = 1f;
        for (int i = 0; i < steps; i++) {
            product *= 1f - betas[i];
            alphaBar[i] = product;
        }
        return new NoiseSchedule(alphaBar);
    }

    private static double cosineAlphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /** diffusers' rescale_zero_terminal_snr, in float32 like its torch tensors. */
    private static float[] rescaleZeroTerminalSnr(float[] betas) {
        int n = betas.length;
        float[] sqrtBar = new float[n];
        float product = 1f;
        for (int i = 0; i < n; i++) {
            product *= 1f - betas[i];
            sqrtBar[i] = (float) Math.sqrt(product);
        }
        float first = sqrtBar[0], last = sqrtBar[n - 1];
        for (int i = 0; i < n; i++) {
            sqrtBar[i] = (sqrtBar[i] - last) * (first / (first - last));
        }
        float[] out = new float[n];
        float prev = 1f;
        for (int i = 0; i < n; i++) {
            float bar = sqrtBar[i] * sqrtBar[i];
            float alpha = i == 0 ? bar : bar / prev;
            out[i] = 1f - alpha;
            prev = bar;
        }
        return out;
    }

    public int trainSteps() {
        return alphaBar.length;
    }

    /** alpha_bar_t (float32 precision, as a double). */
    public double alphaBar(int t) {
        return alphaBar[t];
    }

    public double alpha(int t) {
        return Math.sqrt(alphaBar[t]);
    }

    public double sigma(int t) {
        return Math.sqrt(1 - alphaBar[t]);
    }

    /** The VE noise level sigma / alpha = sqrt((1 - alpha_bar) / alpha_bar) of Karras / EDM samplers. */
    public double veSigma(int t) {
        return Math.sqrt((1 - alphaBar[t]) / alphaBar[t]);
    }
}
