package dev.kinema.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Backend;
import dev.kinema.DdimParams;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.Prediction;
import dev.kinema.Tensor;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Known-frame conditioning against formulas: the replacement method against a float64 loop written
 * out here, and one step of reconstruction guidance against its closed form for a linear denoiser
 * (exact with a symmetric Jacobian; with a non-symmetric one, the step uses J r where VDM's eq. 7 has
 * J^T r, as the javadoc says).
 */
class KnownFramesTest {
    private static final long[] LATENT = {1, 4, 5, 8, 8};
    private static final int N = 4 * 5 * 64, PLANE = 64, FRAMES = 5, BC = 4;
    private static final int[] KNOWN = {3, 0};
    private static final double BIAS_U = -0.2, BIAS_C = 0.3;

    private static SchedulerConfig scheduler(Prediction p) {
        return new SchedulerConfig("DDIMScheduler", 1000, 0.00085, 0.012, NoiseSchedule.Betas.SCALED_LINEAR, p, "trailing",
                0, true, false, 1.0, false, false);
    }

    private static float[] given() {
        return NoiseGenerator.normal(5, 77, BC * KNOWN.length * PLANE);
    }

    private static Tensor context(double first) {
        float[] c = NoiseGenerator.normal(3, 99, 5 * 32);
        c[0] = (float) first;
        return Tensor.hostFromFloats(c, 1, 5, 32);
    }

    /** sum_g M[f][g] z[c, g, p] + bias, on an NCTHW latent (batch 1). */
    private static double[] mix(double[][] m, double[] z, double bias) {
        double[] out = new double[z.length];
        for (int c = 0; c < BC; c++) {
            for (int f = 0; f < FRAMES; f++) {
                for (int p = 0; p < PLANE; p++) {
                    double sum = bias;
                    for (int g = 0; g < FRAMES; g++) {
                        sum += m[f][g] * z[(c * FRAMES + g) * PLANE + p];
                    }
                    out[(c * FRAMES + f) * PLANE + p] = sum;
                }
            }
        }
        return out;
    }

    private static double[][] transpose(double[][] m) {
        double[][] t = new double[m.length][m.length];
        for (int f = 0; f < m.length; f++) {
            for (int g = 0; g < m.length; g++) {
                t[g][f] = m[f][g];
            }
        }
        return t;
    }

    private static boolean known(int frame) {
        return frame == KNOWN[0] || frame == KNOWN[1];
    }

    /** Element (c, f, p) of the known frames [C, K, H, W] for frame f = KNOWN[j]. */
    private static int givenAt(int c, int j, int p) {
        return (c * KNOWN.length + j) * PLANE + p;
    }

    /** The known frames of x (NCTHW) set to alpha given + sigma eps (eps noise tensor `stream`), or given. */
    private static void replace(double[] x, float[] given, long seed, long stream, double alpha, double sigma, boolean exact) {
        float[] eps = NoiseGenerator.normal(seed, stream, N);
        for (int c = 0; c < BC; c++) {
            for (int j = 0; j < KNOWN.length; j++) {
                for (int p = 0; p < PLANE; p++) {
                    int at = (c * FRAMES + KNOWN[j]) * PLANE + p;
                    double a = given[givenAt(c, j, p)];
                    x[at] = exact ? a : alpha * a + sigma * eps[at];
                }
            }
        }
    }

    /** The replacement method written out in float64: guided eps model mix(M, x) + bias, DDIM / Euler steps. */
    private static double[] replacementReference(SamplerPlan plan, double w, double[][] m, long seed, float[] given) {
        double[] x = new double[N];
        float[] init = NoiseGenerator.normal(seed, 0, N);
        for (int k = 0; k < N; k++) {
            x[k] = init[k] * plan.initialScale();
        }
        DdimParams first = plan.steps().get(0);
        replace(x, given, seed, VideoSampler.KNOWN_FRAME_STREAM, first.alphaT(), first.sigmaT(), false);
        for (int i = 0; i < plan.steps().size(); i++) {
            DdimParams p = plan.steps().get(i);
            double[] u = mix(m, x, BIAS_U), c = mix(m, x, BIAS_C);
            float[] z = NoiseGenerator.normal(seed, i + 1, N);
            double se = p.sigmaEta();
            for (int k = 0; k < N; k++) {
                double eps = u[k] + w * (c[k] - u[k]);
                double x0 = (x[k] - p.sigmaT() * eps) / p.alphaT();
                x[k] = p.alphaS() * x0 + Math.sqrt(p.sigmaS() * p.sigmaS() - se * se) * eps + se * z[k];
            }
            boolean last = i == plan.steps().size() - 1;
            replace(x, given, seed, VideoSampler.KNOWN_FRAME_STREAM + i + 1, p.alphaS(), p.sigmaS(), last);
        }
        return x;
    }

    @Test
    void replacementEndsOnTheGivenFramesAndMatchesTheLoopWrittenOut() {
        double[][] m = HostModel.mixing(FRAMES, 0.6, 0.5, 0.0);
        float[] given = given();
        record Case(SamplerPlan.Sampler sampler, double eta) { }
        for (Case k : List.of(new Case(SamplerPlan.Sampler.DDIM, 1.0), new Case(SamplerPlan.Sampler.EULER, 0.0))) {
            try (Kinema rt = Kinema.open(Backend.CPU); HostModel model = new HostModel(rt, m);
                 Tensor cond = context(BIAS_C); Tensor uncond = context(BIAS_U);
                 Tensor frames = Tensor.hostFromFloats(given, 1, 4, KNOWN.length, 8, 8)) {
                VideoSampler sampler = new VideoSampler(rt, model, scheduler(Prediction.EPS));
                VideoSampler.Request plain = new VideoSampler.Request(cond, uncond, LATENT, 17, k.sampler(), 4, 2.5, k.eta(),
                        0.0);
                VideoSampler.Request r = plain.withKnownFrames(frames, KNOWN);
                double[] want = replacementReference(SamplerPlan.of(scheduler(Prediction.EPS), k.sampler(), 4, k.eta(), 2.5),
                        2.5, m, 17, given);
                float[] got, free;
                try (Tensor y = sampler.sample(r, null, null); Tensor y0 = sampler.sample(plain, null, null)) {
                    got = y.toFloats();
                    free = y0.toFloats();
                }
                double worst = 0, max = 0, moved = 0;
                for (int c = 0; c < BC; c++) {
                    for (int f = 0; f < FRAMES; f++) {
                        for (int p = 0; p < PLANE; p++) {
                            int at = (c * FRAMES + f) * PLANE + p;
                            if (f == KNOWN[0] || f == KNOWN[1]) {
                                int j = f == KNOWN[0] ? 0 : 1;
                                assertEquals(given[givenAt(c, j, p)], got[at], k + ": known frame " + f + " c" + c + " p" + p);
                            } else {
                                worst = Math.max(worst, Math.abs(got[at] - want[at]));
                                max = Math.max(max, Math.abs(want[at]));
                                moved = Math.max(moved, Math.abs(free[at] - want[at]));
                            }
                        }
                    }
                }
                assertTrue(worst <= 1e-5 * Math.max(1, max), k + ": max error " + worst + ", max " + max);
                // the known frames do move the others: the unconditioned video is far from the reference
                assertTrue(moved > 1e-2, k + ": unconditioned differs by " + moved);
            }
        }
    }

    /**
     * One step of reconstruction guidance in closed form for the linear model x^(z) (NCTHW, batch 1):
     * r = x^_a - x_a, g = J^T r (transposed) or J r, x~_b = x^_b - w_r alpha_t g_b, then the
     * deterministic DDIM update with eps = (z - alpha_t x~) / sigma_t. Unknown frames only.
     */
    private static double[] guidedStep(double[][] m, Prediction pred, DdimParams p, float[] z, float[] given, double w,
                                       double wr, boolean transposed) {
        double[] zd = new double[N];
        for (int k = 0; k < N; k++) {
            zd[k] = z[k];
        }
        double[] u = mix(m, zd, BIAS_U), c = mix(m, zd, BIAS_C);
        double at = p.alphaT(), st = p.sigmaT();
        double[] x0 = new double[N];
        for (int k = 0; k < N; k++) {
            double out = u[k] + w * (c[k] - u[k]);
            x0[k] = switch (pred) {
                case EPS -> (z[k] - st * out) / at;
                case V -> at * z[k] - st * out;
                case X0 -> out;
            };
        }
        double[] r = new double[N];
        for (int ch = 0; ch < BC; ch++) {
            for (int j = 0; j < KNOWN.length; j++) {
                for (int q = 0; q < PLANE; q++) {
                    int k = (ch * FRAMES + KNOWN[j]) * PLANE + q;
                    r[k] = x0[k] - given[givenAt(ch, j, q)];
                }
            }
        }
        // J = dx^/dz along frames: eps (I - sigma M) / alpha, v alpha I - sigma M, x0 M
        double[] mr = mix(transposed ? transpose(m) : m, r, 0);
        double[] out = new double[N];
        for (int k = 0; k < N; k++) {
            double g = switch (pred) {
                case EPS -> (r[k] - st * mr[k]) / at;
                case V -> at * r[k] - st * mr[k];
                case X0 -> mr[k];
            };
            double guided = known((k / PLANE) % FRAMES) ? x0[k] : x0[k] - wr * at * g;
            double eps = (z[k] - at * guided) / st;
            out[k] = p.alphaS() * guided + p.sigmaS() * eps;
        }
        return out;
    }

    /** The sampler's latent before its first step: seed noise, known frames at the first noise level (as floats). */
    private static float[] firstLatent(DdimParams p, long seed, float[] given) {
        float[] z = NoiseGenerator.normal(seed, 0, N);
        float[] eps = NoiseGenerator.normal(seed, VideoSampler.KNOWN_FRAME_STREAM, N);
        for (int c = 0; c < BC; c++) {
            for (int j = 0; j < KNOWN.length; j++) {
                for (int q = 0; q < PLANE; q++) {
                    int k = (c * FRAMES + KNOWN[j]) * PLANE + q;
                    z[k] = (float) (p.alphaT() * given[givenAt(c, j, q)] + p.sigmaT() * eps[k]);
                }
            }
        }
        return z;
    }

    /**
     * Max differences over the unknown frames: the sampler's step to the closed form with J r and
     * with J^T r; the closed form's own change from w_r = 0 (the size of the correction); its scale.
     */
    private record StepErrors(double toImplemented, double toTransposed, double correction, double scale) { }

    /** The sampler's first guided step against the closed form with J r and with J^T r, over the unknown frames. */
    private static StepErrors firstStep(double[][] m, Prediction pred, double wr) {
        float[] given = given();
        SamplerPlan plan = SamplerPlan.of(scheduler(pred), SamplerPlan.Sampler.DDIM, 4, 0.0, 1.5);
        DdimParams p = plan.steps().get(0);
        float[] z = firstLatent(p, 23, given);
        double[] implemented = guidedStep(m, pred, p, z, given, 1.5, wr, false);
        double[] transposed = guidedStep(m, pred, p, z, given, 1.5, wr, true);
        double[] unguided = guidedStep(m, pred, p, z, given, 1.5, 0.0, true);
        try (Kinema rt = Kinema.open(Backend.CPU); HostModel model = new HostModel(rt, m);
             Tensor cond = context(BIAS_C); Tensor uncond = context(BIAS_U);
             Tensor frames = Tensor.hostFromFloats(given, 1, 4, KNOWN.length, 8, 8)) {
            VideoSampler sampler = new VideoSampler(rt, model, scheduler(pred));
            VideoSampler.Request r = new VideoSampler.Request(cond, uncond, LATENT, 23, SamplerPlan.Sampler.DDIM, 4, 1.5, 0.0,
                    0.0).withKnownFrames(frames, KNOWN, VideoSampler.Conditioning.RECONSTRUCTION, wr).stoppedAfter(1);
            float[] got;
            try (Tensor y = sampler.sample(r, null, null)) {
                got = y.toFloats();
            }
            assertEquals(2, model.shapes.size(), "one extra (batched, guided) forward for the step");
            double toImplemented = 0, toTransposed = 0, correction = 0, scale = 0;
            for (int k = 0; k < N; k++) {
                if (!known((k / PLANE) % FRAMES)) {
                    toImplemented = Math.max(toImplemented, Math.abs(got[k] - implemented[k]));
                    toTransposed = Math.max(toTransposed, Math.abs(got[k] - transposed[k]));
                    correction = Math.max(correction, Math.abs(transposed[k] - unguided[k]));
                    scale = Math.max(scale, Math.abs(implemented[k]));
                }
            }
            return new StepErrors(toImplemented, toTransposed, correction, scale);
        }
    }

    @Test
    void reconstructionGuidanceIsEquationSevenForASymmetricJacobian() {
        double[][] symmetric = HostModel.mixing(FRAMES, 0.6, 0.5, 0.0);
        for (Prediction pred : Prediction.values()) {
            StepErrors e = firstStep(symmetric, pred, 3.0);
            // J r = J^T r here: the step is eq. 7's, up to the forward difference's f32 error (javadoc)
            assertTrue(e.toTransposed() <= 1e-3 * e.correction(), pred + ": " + e);
            assertTrue(e.correction() > 1e-3 * e.scale(), pred + ": the correction is not negligible: " + e);
        }
    }

    @Test
    void aNonSymmetricJacobianGetsJrInPlaceOfItsTranspose() {
        double[][] skewed = HostModel.mixing(FRAMES, 0.6, 0.5, 0.8);
        for (Prediction pred : Prediction.values()) {
            StepErrors e = firstStep(skewed, pred, 3.0);
            // the step is the closed form with J r, to the same precision as above ...
            assertTrue(e.toImplemented() <= 1e-3 * e.correction(), pred + ": " + e);
            // ... and not eq. 7's: the difference is w_r alpha_t (J - J^T) r, carried through the update
            assertTrue(e.toTransposed() > 0.1 * e.correction(), pred + ": " + e);
        }
    }

    @Test
    void reconstructionEndsOnTheGivenFramesWithTwoForwardsPerStep() {
        float[] given = given();
        try (Kinema rt = Kinema.open(Backend.CPU); HostModel model = new HostModel(rt, HostModel.mixing(FRAMES, 0.6, 0.5, 0.3));
             Tensor cond = context(BIAS_C); Tensor frames = Tensor.hostFromFloats(given, 1, 4, KNOWN.length, 8, 8)) {
            VideoSampler sampler = new VideoSampler(rt, model, scheduler(Prediction.V));
            VideoSampler.Request r = new VideoSampler.Request(cond, null, LATENT, 4, SamplerPlan.Sampler.DDPM, 3, 1.0, 0.0, 0.0)
                    .withKnownFrames(frames, KNOWN, VideoSampler.Conditioning.RECONSTRUCTION, 2.0);
            List<Integer> seen = new ArrayList<>();
            try (Tensor y = sampler.sample(r, (done, total, s) -> seen.add(done), null)) {
                float[] got = y.toFloats();
                for (int c = 0; c < BC; c++) {
                    for (int j = 0; j < KNOWN.length; j++) {
                        for (int q = 0; q < PLANE; q++) {
                            assertEquals(given[givenAt(c, j, q)], got[(c * FRAMES + KNOWN[j]) * PLANE + q]);
                        }
                    }
                }
            }
            assertEquals(List.of(1, 2, 3), seen);
            assertEquals(6, model.shapes.size());
            for (long[] shape : model.shapes) {
                assertArrayEquals(new long[] {1, 5, 8, 8, 4}, shape);
            }
        }
    }

    @Test
    void knownFramesCombineWithTemporalWindows() {
        float[] given = given();
        try (Kinema rt = Kinema.open(Backend.CPU); HostModel model = new HostModel(rt, HostModel.mixing(3, 0.6, 0.5, 0.3));
             Tensor cond = context(BIAS_C); Tensor uncond = context(BIAS_U);
             Tensor frames = Tensor.hostFromFloats(given, 1, 4, KNOWN.length, 8, 8)) {
            VideoSampler sampler = new VideoSampler(rt, model, scheduler(Prediction.EPS));
            VideoSampler.Request r = new VideoSampler.Request(cond, uncond, LATENT, 4, SamplerPlan.Sampler.DDIM, 2, 2.0, 0.0, 0.0)
                    .withWindows(3, 1).withKnownFrames(frames, KNOWN, VideoSampler.Conditioning.RECONSTRUCTION, 1.0);
            try (Tensor y = sampler.sample(r, null, null)) {
                float[] got = y.toFloats();
                assertTrue(ClipTesting.allFinite(got));
                for (int c = 0; c < BC; c++) {
                    for (int j = 0; j < KNOWN.length; j++) {
                        for (int q = 0; q < PLANE; q++) {
                            assertEquals(given[givenAt(c, j, q)], got[(c * FRAMES + KNOWN[j]) * PLANE + q]);
                        }
                    }
                }
            }
            // 2 steps x 2 forwards x windows starting at frames 0 and 2, each of 3 frames
            assertEquals(8, model.shapes.size());
            model.shapes.forEach(s -> assertArrayEquals(new long[] {2, 3, 8, 8, 4}, s));
        }
    }

    private static void rejects(String argument, Runnable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call::run);
        assertEquals(argument, e.argument(), e.getMessage());
    }

    @Test
    void badKnownFramesAreRefusedBeforeSampling() {
        try (Kinema rt = Kinema.open(Backend.CPU); HostModel model = new HostModel(rt, HostModel.mixing(FRAMES, 1, 0, 0));
             Tensor cond = context(0); Tensor two = Tensor.hostFromFloats(given(), 1, 4, 2, 8, 8)) {
            VideoSampler.Request r = new VideoSampler.Request(cond, null, LATENT, 1, SamplerPlan.Sampler.DDIM, 2, 1.0, 0.0, 0.0);
            VideoSampler.Conditioning rec = VideoSampler.Conditioning.RECONSTRUCTION;
            rejects("frameIndices", () -> r.withKnownFrames(two, 0, 5));
            rejects("frameIndices", () -> r.withKnownFrames(two, -1, 2));
            rejects("frameIndices", () -> r.withKnownFrames(two, 2, 2));
            rejects("frameIndices", () -> r.withKnownFrames(two));
            rejects("frames", () -> r.withKnownFrames(two, 0, 1, 2));
            rejects("frames", () -> r.withLatentShape(1, 4, 5, 8, 16).withKnownFrames(two, 0, 1));
            rejects("frames", () -> r.withKnownFrames(null, 0, 1));
            rejects("weight", () -> r.withKnownFrames(two, new int[] {0, 1}, VideoSampler.Conditioning.REPLACEMENT, 1.0));
            rejects("weight", () -> r.withKnownFrames(two, new int[] {0, 1}, rec, -1.0));
            rejects("weight", () -> r.withKnownFrames(two, new int[] {0, 1}, rec, Double.NaN));
            rejects("mode", () -> r.withKnownFrames(two, new int[] {0, 1}, null, 0.0));
            // a request whose shape changed after its known frames were set is checked again
            VideoSampler sampler = new VideoSampler(rt, model, scheduler(Prediction.EPS));
            VideoSampler.Request shorter = r.withKnownFrames(two, 0, 4).withLatentShape(1, 4, 3, 8, 8);
            rejects("frameIndices", () -> sampler.sample(shorter, null, null));
            assertEquals(0, model.shapes.size(), "no model call");
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> r.withKnownFrames(two, 1, 7));
            assertTrue(e.getMessage().contains("[0, 5)") && e.getMessage().contains("7"), e.getMessage());
        }
    }
}
