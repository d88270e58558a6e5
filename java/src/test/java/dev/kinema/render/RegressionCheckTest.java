package dev.kinema.render;

import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.sampling.SamplerPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegressionCheckTest {
    static final int F = 3, S = 4, C = 3;
    static final RenderSettings SETTINGS = new RenderSettings("p", "", F, S, 1, SamplerPlan.Sampler.DDIM, 1, 0, 0);

    static float[] video(double value) {
        float[] v = new float[C * F * S * S];
        java.util.Arrays.fill(v, (float) value);
        return v;
    }

    @Test
    void flickerIndexIsTheMeanAbsoluteFrameChange() {
        float[] v = video(0.0);
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < S * S; i++) {
                v[(c * F + 1) * S * S + i] = 0.3f;  // frame 0 -> 1 changes by 0.3, 1 -> 2 by 0.3
            }
        }
        Renderer.Result r = new Renderer.Result(SETTINGS, v, C, 0);
        assertEquals(0.3, r.flickerIndex(), 1e-7);
        assertEquals(0.0, new Renderer.Result(SETTINGS, video(0.5), C, 0).flickerIndex());
    }

    @Test
    void comparesWithTheGoldenOnDisk(@TempDir Path dir) {
        float[] golden = video(0.25);
        try (Tensor t = Tensor.hostFromFloats(golden, C, F, S, S)) {
            Safetensors.write(dir.resolve("v.safetensors"), Map.of("video", t), null, false);
        }
        Renderer.Result same = new Renderer.Result(SETTINGS, golden.clone(), C, 0);
        Manifest.Entry entry = new Manifest.Entry("e", "m", "h", "a", SETTINGS, "v.safetensors", same.frameSha256());
        RegressionCheck.Outcome ok = RegressionCheck.compare(dir, entry, same, 40);
        assertTrue(ok.passed());
        assertTrue(ok.bitIdentical());
        assertTrue(ok.summary().startsWith("PASS e: lowest frame PSNR inf"), ok.summary());

        float[] perturbed = golden.clone();
        perturbed[5] += 0.5f;  // one value of frame 0: MSE 0.25 / 48 -> 28.8 dB
        RegressionCheck.Outcome bad = RegressionCheck.compare(dir, entry,
                new Renderer.Result(SETTINGS, perturbed, C, 0), 40);
        assertFalse(bad.passed());
        assertEquals(10 * Math.log10(4 / (0.25 / (C * S * S))), bad.framePsnr()[0], 1e-4);
        assertTrue(bad.summary().startsWith("FAIL"), bad.summary());
        assertNotNull(bad.golden());

        RenderSettings wider = new RenderSettings("p", "", F, S * 2, 1, SamplerPlan.Sampler.DDIM, 1, 0, 0);
        Manifest.Entry other = new Manifest.Entry("w", "m", "h", "a", wider, "v.safetensors", same.frameSha256());
        RegressionCheck.Outcome shape = RegressionCheck.compare(dir, other,
                new Renderer.Result(wider, new float[C * F * 4 * S * S], C, 0), 40);
        assertFalse(shape.passed());
        assertTrue(shape.problem().contains("expected video [3, 3, 8, 8]"), shape.problem());
    }
}
