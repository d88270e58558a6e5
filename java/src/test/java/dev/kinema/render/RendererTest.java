package dev.kinema.render;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.sampling.SamplerPlan;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The embedding API on the embedded shapes U-Net: sessions on several threads, progress, cancellation. */
class RendererTest {
    static final Path MODEL = Path.of("..", "models", "shapes-unet3d");

    static RenderSettings settings(TextToVideoModel model, long seed) {
        RenderSettings d = RenderSettings.defaults(model, "cyan circle moving up");
        return new RenderSettings(d.prompt(), d.negative(), d.frames(), d.size(), 3, SamplerPlan.Sampler.EULER,
                d.guidance(), 0, seed);
    }

    static float[] renderAlone(long seed) {
        try (Kinema rt = Kinema.open(Backend.CPU); TextToVideoModel model = TextToVideoModel.open(rt, MODEL)) {
            return new Renderer(model).render(settings(model, seed), null, null).video();
        }
    }

    @Test
    void oneSessionPerThreadGivesWhatOneThreadGives() throws Exception {
        float[] seed1 = renderAlone(1), seed2 = renderAlone(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<float[][]>> runs = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                runs.add(pool.submit(() -> {
                    try (Kinema rt = Kinema.open(Backend.CPU); TextToVideoModel model = TextToVideoModel.open(rt, MODEL)) {
                        Renderer renderer = new Renderer(model);  // reused for two requests
                        return new float[][] {renderer.render(settings(model, 1), null, null).video(),
                                renderer.render(settings(model, 2), null, null).video()};
                    }
                }));
            }
            for (Future<float[][]> run : runs) {
                float[][] videos = run.get();
                assertArrayEquals(seed1, videos[0]);
                assertArrayEquals(seed2, videos[1]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void reportsProgressAndStopsWhenCancelled() {
        try (Kinema rt = Kinema.open(Backend.CPU); TextToVideoModel model = TextToVideoModel.open(rt, MODEL)) {
            Renderer renderer = new Renderer(model);
            List<Integer> done = new ArrayList<>();
            renderer.render(settings(model, 1), (d, total, s) -> done.add(d * 10 + total), null);
            assertEquals(List.of(13, 23, 33), done);
            List<Integer> seen = new ArrayList<>();
            assertThrows(CancellationException.class,
                    () -> renderer.render(settings(model, 1), (d, t, s) -> seen.add(d), () -> seen.size() == 2));
            assertEquals(List.of(1, 2), seen);
        }
    }
}
