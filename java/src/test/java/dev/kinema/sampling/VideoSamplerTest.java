package dev.kinema.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.DdimParams;
import dev.kinema.Kinema;
import dev.kinema.Prediction;
import dev.kinema.Tensor;
import dev.kinema.models.Denoiser;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * VideoSampler on the tiny UNet3D golden model against a plain host loop over Denoiser.forward with
 * the DDIM formulas written out (classifier-free guidance, eta noise), plus determinism across runs and
 * thread counts, progress and cancellation.
 */
class VideoSamplerTest {
    private static final long[] LATENT = {1, 4, 3, 8, 8};

    private static Path unet3d() throws URISyntaxException {
        return Path.of(VideoSamplerTest.class.getResource("/models/unet3d/config.json").toURI()).getParent();
    }

    private static SchedulerConfig scheduler() {
        return new SchedulerConfig("DDIMScheduler", 1000, 0.00085, 0.012, NoiseSchedule.Betas.SCALED_LINEAR,
                Prediction.EPS, "trailing", 0, true, false, 1.0, false, false);
    }

    private static float[] context(long seed) {
        return NoiseGenerator.normal(seed, 99, 5 * 32);
    }

    /** The same sampling written out on the host: forward of [uncond; cond], then OPS.md's ddim_step. */
    private static float[] reference(Denoiser d, float[] cond, float[] uncond, long seed, int steps, double w, double eta) {
        SamplerPlan plan = SamplerPlan.of(scheduler(), SamplerPlan.Sampler.DDIM, steps, eta, w);
        int n = 4 * 3 * 8 * 8;
        float[] x = NoiseGenerator.normal(seed, 0, n);
        float[] both = new float[2 * cond.length];
        System.arraycopy(uncond, 0, both, 0, uncond.length);
        System.arraycopy(cond, 0, both, uncond.length, cond.length);
        for (int i = 0; i < steps; i++) {
            float[] in = new float[2 * n];
            System.arraycopy(x, 0, in, 0, n);
            System.arraycopy(x, 0, in, n, n);
            float ts = (float) plan.timesteps()[i];
            try (Tensor sample = Tensor.hostFromFloats(in, 2, 4, 3, 8, 8);
                 Tensor t = Tensor.hostFromFloats(new float[] {ts, ts}, 2);
                 Tensor ctx = Tensor.hostFromFloats(both, 2, 5, 32);
                 Tensor y = d.forward(sample, t, ctx)) {
                float[] out = y.toFloats();
                DdimParams p = plan.steps().get(i);
                float[] z = eta > 0 ? NoiseGenerator.normal(seed, i + 1, n) : null;
                for (int k = 0; k < n; k++) {
                    double m = out[k] + w * (out[n + k] - out[k]);
                    double x0 = (x[k] - p.sigmaT() * m) / p.alphaT();
                    double se = p.sigmaEta();
                    x[k] = (float) (p.alphaS() * x0 + Math.sqrt(p.sigmaS() * p.sigmaS() - se * se) * m
                            + (z == null ? 0 : se * z[k]));
                }
            }
        }
        return x;
    }

    @Test
    void guidedDdimMatchesTheStepsWrittenOut() throws Exception {
        try (Kinema rt = Kinema.open(Backend.CPU); Denoiser d = Denoiser.open(rt, unet3d());
             Tensor cond = Tensor.hostFromFloats(context(1), 1, 5, 32);
             Tensor uncond = Tensor.hostFromFloats(new float[5 * 32], 1, 5, 32)) {
            VideoSampler sampler = new VideoSampler(d, scheduler());
            for (double eta : new double[] {0.0, 1.0}) {
                VideoSampler.Request r = new VideoSampler.Request(cond, uncond, LATENT, 11, SamplerPlan.Sampler.DDIM, 4,
                        3.0, eta, 0.0);
                float[] expected = reference(d, context(1), new float[5 * 32], 11, 4, 3.0, eta);
                try (Tensor y = sampler.sample(r, null, null)) {
                    assertArrayEquals(LATENT, y.shape());
                    float[] got = y.toFloats();
                    double worst = 0, max = 0;
                    for (int k = 0; k < got.length; k++) {
                        worst = Math.max(worst, Math.abs(got[k] - expected[k]));
                        max = Math.max(max, Math.abs(expected[k]));
                    }
                    assertTrue(worst <= 1e-4 * Math.max(1, max), "eta " + eta + ": max error " + worst + ", max " + max);
                }
            }
        }
    }

    /** Windowed prediction written out: each window of frames through forward, predictions averaged per frame. */
    private static float[] windowedReference(Denoiser d, float[] cond, long seed, int steps, double w, int frames,
                                             int window, int overlap) {
        SamplerPlan plan = SamplerPlan.of(scheduler(), SamplerPlan.Sampler.DDIM, steps, 0.0, w);
        int plane = 8 * 8, n = 4 * frames * plane;
        float[] x = NoiseGenerator.normal(seed, 0, n);
        float[] both = new float[2 * cond.length];
        System.arraycopy(cond, 0, both, cond.length, cond.length);  // uncond (zeros) first
        int[] starts = VideoSampler.windowStarts(frames, window, overlap);
        for (int i = 0; i < steps; i++) {
            double[] sum = new double[2 * n];
            int[] count = new int[frames];
            float ts = (float) plan.timesteps()[i];
            for (int start : starts) {
                float[] in = new float[2 * 4 * window * plane];
                for (int row = 0; row < 2; row++) {
                    for (int c = 0; c < 4; c++) {
                        System.arraycopy(x, (c * frames + start) * plane, in, ((row * 4 + c) * window) * plane, window * plane);
                    }
                }
                try (Tensor sample = Tensor.hostFromFloats(in, 2, 4, window, 8, 8);
                     Tensor t = Tensor.hostFromFloats(new float[] {ts, ts}, 2);
                     Tensor ctx = Tensor.hostFromFloats(both, 2, 5, 32);
                     Tensor y = d.forward(sample, t, ctx)) {
                    float[] out = y.toFloats();
                    for (int row = 0; row < 2; row++) {
                        for (int c = 0; c < 4; c++) {
                            for (int f = 0; f < window; f++) {
                                for (int p = 0; p < plane; p++) {
                                    sum[row * n + (c * frames + start + f) * plane + p] += out[((row * 4 + c) * window + f) * plane + p];
                                }
                            }
                        }
                    }
                }
                for (int f = 0; f < window; f++) {
                    count[start + f]++;
                }
            }
            DdimParams p = plan.steps().get(i);
            for (int k = 0; k < n; k++) {
                int frame = (k / plane) % frames;
                double u = sum[k] / count[frame], c = sum[n + k] / count[frame];
                double m = u + w * (c - u);
                double x0 = (x[k] - p.sigmaT() * m) / p.alphaT();
                x[k] = (float) (p.alphaS() * x0 + p.sigmaS() * m);
            }
        }
        return x;
    }

    @Test
    void slidingWindowsAverageEachFramesPredictions() throws Exception {
        assertArrayEquals(new int[] {0, 2}, VideoSampler.windowStarts(5, 3, 1));
        assertArrayEquals(new int[] {0, 2, 4, 5}, VideoSampler.windowStarts(8, 3, 1));
        try (Kinema rt = Kinema.open(Backend.CPU); Denoiser d = Denoiser.open(rt, unet3d());
             Tensor cond = Tensor.hostFromFloats(context(4), 1, 5, 32);
             Tensor uncond = Tensor.hostFromFloats(new float[5 * 32], 1, 5, 32)) {
            long[] latent = {1, 4, 5, 8, 8};
            VideoSampler.Request r = new VideoSampler.Request(cond, uncond, latent, 9, SamplerPlan.Sampler.DDIM, 3, 2.0,
                    0.0, 0.0).withWindows(3, 1);
            float[] expected = windowedReference(d, context(4), 9, 3, 2.0, 5, 3, 1);
            try (Tensor y = new VideoSampler(d, scheduler()).sample(r, null, null)) {
                float[] got = y.toFloats();
                double worst = 0, max = 0;
                for (int k = 0; k < got.length; k++) {
                    worst = Math.max(worst, Math.abs(got[k] - expected[k]));
                    max = Math.max(max, Math.abs(expected[k]));
                }
                assertTrue(worst <= 1e-4 * Math.max(1, max), "max error " + worst + ", max " + max);
            }
        }
    }

    @Test
    void sameSeedGivesBitIdenticalVideosAcrossRunsAndThreadCounts() throws Exception {
        float[][] results = new float[3][];
        int[] threads = {2, 2, 1};
        for (int run = 0; run < 3; run++) {
            try (Kinema rt = Kinema.open(Backend.CPU)) {
                rt.setNumThreads(threads[run]);
                try (Denoiser d = Denoiser.open(rt, unet3d());
                     Tensor cond = Tensor.hostFromFloats(context(2), 1, 5, 32);
                     Tensor uncond = Tensor.hostFromFloats(new float[5 * 32], 1, 5, 32);
                     Tensor y = new VideoSampler(d, scheduler()).sample(new VideoSampler.Request(cond, uncond, LATENT, 5,
                             SamplerPlan.Sampler.DDIM, 3, 4.0, 1.0, 0.0), null, null)) {
                    results[run] = y.toFloats();
                }
            }
        }
        assertArrayEquals(results[0], results[1], "two runs");
        assertArrayEquals(results[0], results[2], "2 threads vs 1");
    }

    @Test
    void progressIsReportedAndCancellationStopsBetweenSteps() throws Exception {
        try (Kinema rt = Kinema.open(Backend.CPU); Denoiser d = Denoiser.open(rt, unet3d());
             Tensor cond = Tensor.hostFromFloats(context(3), 1, 5, 32)) {
            VideoSampler sampler = new VideoSampler(d, scheduler());
            List<Integer> seen = new ArrayList<>();
            VideoSampler.Request r = new VideoSampler.Request(cond, null, LATENT, 1, SamplerPlan.Sampler.EULER, 3, 1.0, 0.0,
                    0.0);
            try (Tensor y = sampler.sample(r, (done, total, seconds) -> {
                assertEquals(3, total);
                assertTrue(seconds >= 0);
                seen.add(done);
            }, null)) {
                assertEquals(List.of(1, 2, 3), seen);
            }
            List<Integer> before = new ArrayList<>();
            assertThrows(CancellationException.class, () -> sampler.sample(r, (done, total, s) -> before.add(done),
                    () -> before.size() == 1));
            assertEquals(List.of(1), before, "cancelled after the first step");
        }
    }

    @Test
    void guidanceRescaleKeepsTheConditionalStandardDeviation() {
        long[] latent = {2, 1, 1, 1, 4};
        float[] u = {0, 1, 0, 1, 5, 5, 5, 5}, c = {1, 0, 1, 0, 5, 6, 5, 6};
        try (Tensor r = VideoSampler.rescaledGuidance(u, c, 3.0, 1.0, latent)) {
            float[] v = r.toFloats();
            // sample 0: cfg = u + 3 (c - u) = {3, -2, 3, -2}, std 2.5; std(c) = 0.5 -> scaled by 0.2
            assertArrayEquals(new float[] {0.6f, -0.4f, 0.6f, -0.4f}, java.util.Arrays.copyOf(v, 4), 1e-6f);
            // sample 1: cfg = {5, 8, 5, 8}, std 1.5; std(c) = 0.5 -> {5/3, 8/3, ...}
            assertArrayEquals(new float[] {5 / 3f, 8 / 3f, 5 / 3f, 8 / 3f}, java.util.Arrays.copyOfRange(v, 4, 8), 1e-6f);
        }
    }
}
