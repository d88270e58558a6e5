package dev.kinema.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kinema.Backend;
import dev.kinema.DdimParams;
import dev.kinema.Kinema;
import dev.kinema.Prediction;
import dev.kinema.Tensor;
import dev.kinema.models.Denoiser;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Text2Video-Zero's initial latent: frame k is the first frame's partly denoised latent shifted by k
 * (dx, dy) with reflected borders, noised back from T' to T with the specified re-noise stream; and an
 * explicit initial latent equal to the seed's noise gives the seed's video.
 */
class TextToVideoZeroTest {
    private static SchedulerConfig scheduler() {
        return new SchedulerConfig("DDIMScheduler", 1000, 0.00085, 0.012, NoiseSchedule.Betas.SCALED_LINEAR,
                Prediction.EPS, "trailing", 0, true, false, 1.0, false, false);
    }

    @Test
    void reflectionRepeatsTheEdgePixel() {
        long[] expected = {1, 0, 0, 1, 2, 3, 3, 2};
        for (int i = -2; i < 6; i++) {
            assertEquals(expected[i + 2], TextToVideoZero.reflect(i, 4), "index " + i);
        }
    }

    @Test
    void framesAreTheShiftedFirstFrameNoisedBack() throws Exception {
        Path unet3d = Path.of(getClass().getResource("/models/unet3d/config.json").toURI()).getParent();
        try (Kinema rt = Kinema.open(Backend.CPU);
             Denoiser d = Denoiser.open(rt, unet3d, Denoiser.Options.defaults().withSpatialAttention("first"));
             Tensor cond = Tensor.hostFromFloats(NoiseGenerator.normal(3, 99, 160), 1, 5, 32);
             Tensor uncond = Tensor.hostFromFloats(new float[160], 1, 5, 32)) {
            VideoSampler sampler = new VideoSampler(d, scheduler());
            VideoSampler.Request r = new VideoSampler.Request(cond, uncond, new long[] {1, 4, 3, 8, 8}, 21,
                    SamplerPlan.Sampler.DDIM, 6, 2.0, 0.0, 0.0);
            float[] first;
            try (Tensor x = sampler.sample(r.withLatentShape(1, 4, 1, 8, 8).stoppedAfter(2), null, null)) {
                first = x.toFloats();
            }
            SamplerPlan plan = SamplerPlan.of(scheduler(), SamplerPlan.Sampler.DDIM, 6, 0.0, 1.0);
            DdimParams a = plan.steps().get(0), b = plan.steps().get(1);
            double ratio = a.alphaT() * a.alphaT() / (b.alphaS() * b.alphaS());
            float[] noise = NoiseGenerator.normal(21, TextToVideoZero.RENOISE_STREAM, 4 * 3 * 64);
            try (Tensor init = TextToVideoZero.initialLatent(sampler, scheduler(), r, 3, 2, 2.0, -1.0)) {
                assertArrayEquals(new long[] {1, 4, 3, 8, 8}, init.shape());
                float[] v = init.toFloats();
                for (int c = 0; c < 4; c++) {
                    for (int f = 0; f < 3; f++) {
                        for (int y = 0; y < 8; y++) {
                            for (int x = 0; x < 8; x++) {
                                int o = ((c * 3 + f) * 8 + y) * 8 + x;
                                long sy = TextToVideoZero.reflect(y + f, 8), sx = TextToVideoZero.reflect(x - 2L * f, 8);
                                double want = Math.sqrt(ratio) * first[(int) ((c * 8 + sy) * 8 + sx)]
                                        + Math.sqrt(1 - ratio) * noise[o];
                                assertEquals(want, v[o], 1e-5, "c" + c + " f" + f + " y" + y + " x" + x);
                            }
                        }
                    }
                }
                try (Tensor video = sampler.sample(r.withInitialLatent(init), null, null)) {
                    assertArrayEquals(new long[] {1, 4, 3, 8, 8}, video.shape());
                }
            }
        }
    }

    @Test
    void explicitInitialLatentEqualToTheSeedsNoiseGivesTheSeedsVideo() throws Exception {
        Path unet3d = Path.of(getClass().getResource("/models/unet3d/config.json").toURI()).getParent();
        try (Kinema rt = Kinema.open(Backend.CPU); Denoiser d = Denoiser.open(rt, unet3d);
             Tensor cond = Tensor.hostFromFloats(NoiseGenerator.normal(4, 99, 160), 1, 5, 32)) {
            VideoSampler sampler = new VideoSampler(d, scheduler());
            VideoSampler.Request whole = new VideoSampler.Request(cond, null, new long[] {1, 4, 3, 8, 8}, 8,
                    SamplerPlan.Sampler.DDIM, 1, 1.0, 0.0, 0.0);
            try (Tensor a = sampler.sample(whole, null, null);
                 Tensor noise = Tensor.hostFromFloats(NoiseGenerator.normal(8, 0, 4 * 3 * 64), 1, 4, 3, 8, 8);
                 Tensor b = sampler.sample(whole.withInitialLatent(noise), null, null)) {
                assertArrayEquals(a.toFloats(), b.toFloats());
            }
        }
    }
}
