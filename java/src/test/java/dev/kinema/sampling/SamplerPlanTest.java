package dev.kinema.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.DdimParams;
import dev.kinema.Prediction;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Schedules and sampler plans against closed forms: diffusers' beta schedules and timestep spacings,
 * DDPM's posterior variance, Karras sigmas, and the identity of an Euler step with the DDIM update on
 * the scaled latent.
 */
class SamplerPlanTest {
    private static SchedulerConfig config(String spacing, NoiseSchedule.Betas betas, boolean zeroSnr) {
        return new SchedulerConfig("DDIMScheduler", 1000, 0.00085, 0.012, betas, Prediction.EPS, spacing, 0, true,
                false, 1.0, zeroSnr, false);
    }

    @Test
    void betaSchedulesFollowTheirDefinitions() {
        NoiseSchedule lin = NoiseSchedule.of(NoiseSchedule.Betas.LINEAR, 1e-4, 0.02, 1000, false);
        NoiseSchedule sd = NoiseSchedule.of(NoiseSchedule.Betas.SCALED_LINEAR, 0.00085, 0.012, 1000, false);
        double pLin = 1, pSd = 1;
        for (int t = 0; t < 1000; t++) {
            double f = t / 999.0, s = Math.sqrt(0.00085) + f * (Math.sqrt(0.012) - Math.sqrt(0.00085));
            pLin *= 1 - (1e-4 + f * (0.02 - 1e-4));
            pSd *= 1 - s * s;
            assertEquals(pLin, lin.alphaBar(t), 2e-5 * pLin, "linear " + t);  // float32 cumulative product
            assertEquals(pSd, sd.alphaBar(t), 2e-5 * pSd, "scaled_linear " + t);
            assertEquals(Math.sqrt(1 - sd.alphaBar(t)) / Math.sqrt(sd.alphaBar(t)), sd.veSigma(t), 1e-12);
        }
        NoiseSchedule cos = NoiseSchedule.of(NoiseSchedule.Betas.SQUAREDCOS_CAP_V2, 0, 0, 1000, false);
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        for (int t : new int[] {0, 100, 500, 900}) {
            double ft = Math.pow(Math.cos(((t + 1) / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2);
            assertEquals(ft / f0, cos.alphaBar(t), 2e-5, "cosine " + t);
        }
        NoiseSchedule zero = NoiseSchedule.of(NoiseSchedule.Betas.SCALED_LINEAR, 0.00085, 0.012, 1000, true);
        assertEquals(0.0, zero.alphaBar(999), "zero terminal SNR");
        assertEquals(sd.alphaBar(0), zero.alphaBar(0), 1e-6, "the first step is kept");
    }

    @Test
    void timestepSpacingsAreDiffusers() {
        assertArrayEquals(new int[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0},
                SamplerPlan.spacedTimesteps(config("leading", NoiseSchedule.Betas.LINEAR, false), 10));
        assertArrayEquals(new int[] {999, 899, 799, 699, 599, 499, 399, 299, 199, 99},
                SamplerPlan.spacedTimesteps(config("trailing", NoiseSchedule.Betas.LINEAR, false), 10));
        assertArrayEquals(new int[] {999, 888, 777, 666, 555, 444, 333, 222, 111, 0},
                SamplerPlan.spacedTimesteps(config("linspace", NoiseSchedule.Betas.LINEAR, false), 10));
        SchedulerConfig sdLeading = new SchedulerConfig("DDIMScheduler", 1000, 0.00085, 0.012,
                NoiseSchedule.Betas.SCALED_LINEAR, Prediction.EPS, "leading", 1, false, false, 1.0, false, false);
        assertArrayEquals(new int[] {751, 501, 251, 1}, SamplerPlan.spacedTimesteps(sdLeading, 4));
    }

    @Test
    void ddimStepsGoToThePreviousTimestepAndFinallyToTheCleanSample() {
        SchedulerConfig cfg = config("leading", NoiseSchedule.Betas.SCALED_LINEAR, false);
        NoiseSchedule s = cfg.schedule();
        SamplerPlan plan = SamplerPlan.of(cfg, SamplerPlan.Sampler.DDIM, 10, 0.0, 7.5);
        for (int i = 0; i < 10; i++) {
            DdimParams p = plan.steps().get(i);
            int t = (int) plan.timesteps()[i];
            assertEquals(s.alpha(t), p.alphaT(), 0);
            assertEquals(s.sigma(t), p.sigmaT(), 0);
            assertEquals(i < 9 ? s.alpha(t - 100) : 1.0, p.alphaS(), 0, "step " + i);
            assertEquals(7.5, p.guidance());
        }
    }

    @Test
    void ddpmStepHasThePosteriorVariance() {
        SchedulerConfig cfg = config("leading", NoiseSchedule.Betas.LINEAR, false);
        NoiseSchedule s = cfg.schedule();
        SamplerPlan plan = SamplerPlan.of(cfg, SamplerPlan.Sampler.DDPM, 50, 0.0, 1.0);
        for (int i = 0; i < 49; i++) {
            DdimParams p = plan.steps().get(i);
            int t = (int) plan.timesteps()[i], prev = t - 20;
            double beta = 1 - s.alphaBar(t) / s.alphaBar(prev);
            double posterior = (1 - s.alphaBar(prev)) / (1 - s.alphaBar(t)) * beta;
            assertEquals(1.0, p.eta());
            assertEquals(posterior, p.sigmaEta() * p.sigmaEta(), 1e-12 * Math.max(1, posterior), "step " + i);
        }
    }

    @Test
    void eulerStepIsTheDdimUpdateOnTheScaledLatent() {
        SchedulerConfig cfg = new SchedulerConfig("EulerDiscreteScheduler", 1000, 0.00085, 0.012,
                NoiseSchedule.Betas.SCALED_LINEAR, Prediction.EPS, "linspace", 0, true, false, 1.0, false, false);
        SamplerPlan plan = SamplerPlan.of(cfg, SamplerPlan.Sampler.EULER, 20, 0.0, 1.0);
        double x = 0.7, eps = -1.3;
        for (DdimParams p : plan.steps()) {
            double sigma = p.sigmaT() / p.alphaT(), next = p.sigmaS() / p.alphaS();
            double xVe = x / p.alphaT();                        // the sample diffusers' Euler keeps
            double eulerNext = xVe + (next - sigma) * eps;     // x0 = x - sigma eps; d = eps; x + d (next - sigma)
            double x0 = (x - p.sigmaT() * eps) / p.alphaT();   // OPS.md ddim_step, eta 0
            double ddim = p.alphaS() * x0 + p.sigmaS() * eps;
            assertEquals(eulerNext * p.alphaS(), ddim, 1e-12);
            x = ddim;
        }
        double sigmaMax = plan.steps().get(0).sigmaT() / plan.steps().get(0).alphaT();
        assertEquals(sigmaMax / Math.sqrt(1 + sigmaMax * sigmaMax), plan.initialScale(), 1e-15,
                "linspace: init_noise_sigma = sigma_max, i.e. sigma_max / sqrt(1 + sigma_max^2) on the VP latent");
        SchedulerConfig leading = new SchedulerConfig(cfg.className(), cfg.numTrainTimesteps(), cfg.betaStart(),
                cfg.betaEnd(), cfg.betaSchedule(), cfg.prediction(), "leading", 1, cfg.setAlphaToOne(), false, 1.0, false,
                false);
        assertEquals(1.0, SamplerPlan.of(leading, SamplerPlan.Sampler.EULER, 20, 0.0, 1.0).initialScale(),
                "leading: init_noise_sigma = sqrt(sigma_max^2 + 1), i.e. 1 on the VP latent");
        assertEquals(0.0, plan.steps().get(19).sigmaS(), "the last step lands on sigma 0");
    }

    @Test
    void karrasSigmasAreEvenlySpacedInSigmaToTheOneSeventh() {
        SchedulerConfig cfg = new SchedulerConfig("EulerDiscreteScheduler", 1000, 0.00085, 0.012,
                NoiseSchedule.Betas.SCALED_LINEAR, Prediction.EPS, "linspace", 0, true, false, 1.0, false, true);
        NoiseSchedule s = cfg.schedule();
        SamplerPlan plan = SamplerPlan.of(cfg, SamplerPlan.Sampler.EULER_KARRAS, 12, 0.0, 1.0);
        double[] r = plan.steps().stream().mapToDouble(p -> Math.pow(p.sigmaT() / p.alphaT(), 1 / 7.0)).toArray();
        assertEquals(s.veSigma(999), Math.pow(r[0], 7), 1e-9 * s.veSigma(999), "sigma_max");
        assertEquals(s.veSigma(0), Math.pow(r[11], 7), 1e-9, "sigma_min");
        for (int i = 1; i < r.length; i++) {
            assertEquals(r[1] - r[0], r[i] - r[i - 1], 1e-12, "step " + i);
        }
        double[] logSigmas = new double[1000];
        for (int t = 0; t < 1000; t++) {
            logSigmas[t] = Math.log(s.veSigma(t));
        }
        for (int t : new int[] {0, 1, 500, 998, 999}) {
            assertEquals(t, SamplerPlan.sigmaToT(s.veSigma(t), logSigmas), 1e-9, "sigma -> t round trip at " + t);
        }
        double[] ts = plan.timesteps();
        assertTrue(Arrays.stream(ts).allMatch(t -> t >= 0 && t <= 999), Arrays.toString(ts));
    }
}
