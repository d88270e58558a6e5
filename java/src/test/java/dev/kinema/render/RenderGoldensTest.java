package dev.kinema.render;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.io.SafetensorsFile;
import dev.kinema.sampling.SamplerPlan;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole renders of the embedded models against float64 PyTorch references (tools/model-goldens/
 * make_render_goldens.py: the diffusers denoiser mirrors and mirrors of DDIMScheduler, DDPMScheduler and
 * EulerDiscreteScheduler steps, from the same specified noise). This checks the samplers, the prompt
 * encoder, the pipeline folder and the denoisers together.
 */
class RenderGoldensTest {
    static final Path RENDERS = Path.of("src", "test", "resources", "renders");
    /** f32 against float64 over every step of the trajectory, on [-1, 1] videos (measured 4.7e-6 to 4.3e-5). */
    static final double TOLERANCE = 2e-4;

    @ParameterizedTest
    @ValueSource(strings = {"unet3d-ddim", "unet3d-ddpm", "unet3d-euler", "unet3d-euler-karras", "latte-ddim"})
    void renderMatchesTheFloat64Reference(String name) {
        Map<String, String> meta;
        float[] expected;
        try (SafetensorsFile f = Safetensors.open(RENDERS.resolve(name + ".safetensors"));
             Tensor video = f.load("video")) {
            meta = f.metadata();
            expected = video.toFloats();
        }
        try (Kinema rt = Kinema.open(Backend.CPU);
             TextToVideoModel model = TextToVideoModel.open(rt, Path.of("..").resolve(meta.get("model")))) {
            RenderSettings d = RenderSettings.defaults(model, meta.get("prompt"));
            RenderSettings s = new RenderSettings(d.prompt(), "", d.frames(), d.size(),
                    Integer.parseInt(meta.get("steps")), SamplerPlan.Sampler.parse(meta.get("sampler")),
                    Double.parseDouble(meta.get("guidance")), 0.0, Long.parseLong(meta.get("seed")));
            float[] got = new Renderer(model).render(s, null, null).video();
            double max = 0;
            for (int i = 0; i < got.length; i++) {
                max = Math.max(max, Math.abs(got[i] - expected[i]));
            }
            assertTrue(max <= TOLERANCE, name + ": max |kinema - reference| = " + max);
        }
    }
}
