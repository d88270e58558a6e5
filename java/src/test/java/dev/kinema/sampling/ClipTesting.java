package dev.kinema.sampling;

import dev.kinema.Prediction;
import dev.kinema.Tensor;

import java.nio.file.Path;

/** Shared pieces of the clip sampler tests: scheduler, contexts, frame slicing written out. */
final class ClipTesting {
    private ClipTesting() {
    }

    static SchedulerConfig scheduler() {
        return new SchedulerConfig("DDIMScheduler", 1000, 0.00085, 0.012, NoiseSchedule.Betas.SCALED_LINEAR, Prediction.EPS,
                "trailing", 0, true, false, 1.0, false, false);
    }

    /** A [1, 5, 32] context whose first value (HostModel's bias) is `first`. */
    static Tensor context(double first) {
        float[] c = NoiseGenerator.normal(3, 99, 5 * 32);
        c[0] = (float) first;
        return Tensor.hostFromFloats(c, 1, 5, 32);
    }

    static Path unet3dConfig() throws Exception {
        return Path.of(ClipTesting.class.getResource("/models/unet3d/config.json").toURI());
    }

    /** Frame f of a [1, C, F, H, W] latent v, as [C][H * W] flattened. */
    static float[] frame(float[] v, int channels, int frames, int plane, int f) {
        float[] out = new float[channels * plane];
        for (int c = 0; c < channels; c++) {
            System.arraycopy(v, (c * frames + f) * plane, out, c * plane, plane);
        }
        return out;
    }

    /** Frames `at` of a [1, C, F, H, W] latent v as a host tensor [1, C, at.length, H, W] (H = W = 8). */
    static Tensor frames(float[] v, int channels, int frames, int[] at) {
        int plane = 64;
        float[] out = new float[channels * at.length * plane];
        for (int c = 0; c < channels; c++) {
            for (int j = 0; j < at.length; j++) {
                System.arraycopy(v, (c * frames + at[j]) * plane, out, (c * at.length + j) * plane, plane);
            }
        }
        return Tensor.hostFromFloats(out, 1, channels, at.length, 8, 8);
    }

    static boolean allFinite(float[] v) {
        for (float x : v) {
            if (!Float.isFinite(x)) {
                return false;
            }
        }
        return true;
    }

    /** Asserts call throws InvalidArgumentException naming argument. */
    static void rejects(String argument, Runnable call) {
        dev.kinema.InvalidArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.kinema.InvalidArgumentException.class, call::run);
        org.junit.jupiter.api.Assertions.assertEquals(argument, e.argument(), e.getMessage());
    }
}
