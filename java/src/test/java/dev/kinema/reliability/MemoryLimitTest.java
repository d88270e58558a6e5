package dev.kinema.reliability;

import dev.kinema.Backend;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.MemoryBudget;
import dev.kinema.MemoryLimitException;
import dev.kinema.render.RenderSettings;
import dev.kinema.render.Renderer;
import dev.kinema.render.TextToVideoModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A render is checked against the memory available before anything is allocated: a memory limit
 * (kinema.memory.limit) under the request's estimate refuses it with the estimate and the limit, and
 * the same renderer renders once the limit allows.
 */
class MemoryLimitTest {
    static final Path MODEL = Path.of("..", "models", "shapes-unet3d");

    @AfterEach
    void clearLimit() {
        System.clearProperty(MemoryBudget.LIMIT_PROPERTY);
    }

    @Test
    void aRenderOverTheLimitIsRefusedWithItsEstimateBeforeItRuns() {
        try (Kinema rt = Kinema.open(Backend.CPU); TextToVideoModel model = TextToVideoModel.open(rt, MODEL)) {
            Renderer renderer = new Renderer(model);
            RenderSettings d = RenderSettings.defaults(model, "red square moving left");
            RenderSettings s = new RenderSettings(d.prompt(), d.negative(), 64, d.size(), 2, d.sampler(), d.guidance(),
                    0, 1);
            System.setProperty(MemoryBudget.LIMIT_PROPERTY, "1m");
            int[] steps = {0};
            MemoryLimitException e = assertThrows(MemoryLimitException.class,
                    () -> renderer.render(s, (done, total, sec) -> steps[0]++, null));
            assertEquals(0, steps[0], "nothing ran");
            assertTrue(e.getMessage().startsWith("Renderer.check: 64 frames of 32x32: needs about "), e.getMessage());
            assertTrue(e.getMessage().contains("activations ") && e.getMessage().contains("sampling buffers "), e.getMessage());
            assertTrue(e.getMessage().endsWith("more than the 1.0 MiB available (kinema.memory.limit = 1.0 MiB)"),
                    e.getMessage());
            // activations of the planned graph (a window of the model's 8 frames, guided: 2 rows) exceed 1 MiB
            assertTrue(e.bytes() > 1 << 20, "estimate " + e.bytes());

            System.setProperty(MemoryBudget.LIMIT_PROPERTY, Long.toString(e.bytes()));
            assertEquals(64, renderer.render(s, null, null).frames(), "renders once the limit holds the estimate");
        }
    }

    @Test
    void aModelWhoseWeightsDoNotFitIsRefusedBeforeAnyIsUploaded() {
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            System.setProperty(MemoryBudget.LIMIT_PROPERTY, "1m");
            MemoryLimitException e = assertThrows(MemoryLimitException.class,
                    () -> dev.kinema.models.Denoiser.open(rt, MODEL.resolve("unet")));
            // the embedded U-Net: 1,734,499 parameters (models/README.md: 1.73 M), 6.94 MB as f32
            assertTrue(e.getMessage().startsWith("Denoiser.open: "), e.getMessage());
            assertTrue(e.getMessage().contains("(f32 weights, 1734499 parameters)"), e.getMessage());
            assertTrue(e.bytes() > 6_900_000 && e.bytes() < 7_000_000, "estimate " + e.bytes());
            System.setProperty(MemoryBudget.LIMIT_PROPERTY, "64m");
            dev.kinema.models.Denoiser.open(rt, MODEL.resolve("unet")).close();
        }
    }

    @Test
    void theLimitPropertyIsParsedOrRefused() {
        System.setProperty(MemoryBudget.LIMIT_PROPERTY, "3k");
        assertEquals(3072, MemoryBudget.availableBytes());
        assertEquals("kinema.memory.limit = 0.0 MiB", MemoryBudget.describe());
        System.setProperty(MemoryBudget.LIMIT_PROPERTY, "1m");
        assertEquals(1 << 20, MemoryBudget.availableBytes());
        System.setProperty(MemoryBudget.LIMIT_PROPERTY, "12x");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, MemoryBudget::availableBytes);
        assertEquals(MemoryBudget.LIMIT_PROPERTY, e.argument());
    }
}
