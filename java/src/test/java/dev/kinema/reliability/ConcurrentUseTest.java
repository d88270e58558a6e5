package dev.kinema.reliability;

import dev.kinema.Backend;
import dev.kinema.ConcurrentUseException;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.models.Denoiser;
import dev.kinema.render.RenderSettings;
import dev.kinema.render.Renderer;
import dev.kinema.render.TextToVideoModel;
import dev.kinema.sampling.SamplerPlan;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One session (runtime + model + renderer) used from two threads at once: the second call is refused
 * with ConcurrentUseException and the first call's result is what it would have been alone.
 */
class ConcurrentUseTest {
    static final Path MODEL = Path.of("..", "models", "shapes-unet3d");

    static RenderSettings settings(TextToVideoModel model, long seed) {
        RenderSettings d = RenderSettings.defaults(model, "green square moving up");
        return new RenderSettings(d.prompt(), d.negative(), d.frames(), d.size(), 3, SamplerPlan.Sampler.DDIM,
                d.guidance(), 0, seed);
    }

    @Test
    void aRendererBusyOnOneThreadRefusesAnotherAndFinishesUndisturbed() throws Exception {
        try (Kinema rt = Kinema.open(Backend.CPU); TextToVideoModel model = TextToVideoModel.open(rt, MODEL)) {
            Renderer renderer = new Renderer(model);
            float[] alone = renderer.render(settings(model, 7), null, null).video();

            CountDownLatch afterFirstStep = new CountDownLatch(1), release = new CountDownLatch(1);
            ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "render-thread"));
            try {
                Future<float[]> first = pool.submit(() -> renderer.render(settings(model, 7), (done, total, s) -> {
                    if (done == 1) {
                        afterFirstStep.countDown();
                        try {
                            release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }, null).video());
                assertTrue(afterFirstStep.await(60, TimeUnit.SECONDS));
                ConcurrentUseException refused = assertThrows(ConcurrentUseException.class,
                        () -> renderer.render(settings(model, 8), null, null));
                assertTrue(refused.getMessage().startsWith("Renderer.render: "), refused.getMessage());
                assertTrue(refused.getMessage().contains("\"render-thread\""), refused.getMessage());
                release.countDown();
                assertArrayEquals(alone, first.get(60, TimeUnit.SECONDS));
            } finally {
                release.countDown();
                pool.shutdownNow();
            }
            // the renderer is usable again once the first call is over
            assertArrayEquals(alone, renderer.render(settings(model, 7), null, null).video());
        }
    }

    /**
     * Two threads hammer one Denoiser: each forward either runs alone and returns exactly the
     * sequential result, or is refused with ConcurrentUseException; nothing else.
     */
    @Test
    void overlappingForwardsOnOneDenoiserAreRefusedNeverMixed() throws Exception {
        try (Kinema rt = Kinema.open(Backend.CPU); Denoiser denoiser = Denoiser.open(rt, MODEL.resolve("unet"))) {
            long[] shape = {1, 3, 8, 32, 32};
            float[] sample = new float[3 * 8 * 32 * 32];
            for (int i = 0; i < sample.length; i++) {
                sample[i] = (float) Math.sin(i * 0.37);
            }
            float[] context = new float[4 * 64];
            for (int i = 0; i < context.length; i++) {
                context[i] = (float) Math.cos(i * 0.11);
            }
            float[] expected = forward(denoiser, sample, shape, context);
            AtomicInteger refused = new AtomicInteger(), ran = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<?>> runs = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    runs.add(pool.submit(() -> {
                        for (int i = 0; i < 20; i++) {
                            try {
                                assertArrayEquals(expected, forward(denoiser, sample, shape, context));
                                ran.incrementAndGet();
                            } catch (ConcurrentUseException e) {
                                assertTrue(e.getMessage().startsWith("Denoiser.forward: "), e.getMessage());
                                refused.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> run : runs) {
                    run.get(300, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            System.out.printf("one Denoiser, two threads x 20 forwards: %d ran alone (bit-identical), %d refused%n",
                    ran.get(), refused.get());
            assertEquals(40, ran.get() + refused.get());
            assertTrue(ran.get() >= 1);
            assertArrayEquals(expected, forward(denoiser, sample, shape, context), "the denoiser still works alone");
        }
    }

    static float[] forward(Denoiser d, float[] sample, long[] shape, float[] context) {
        try (Tensor x = Tensor.hostFromFloats(dev.kinema.DType.F32, sample, shape);
             Tensor t = Tensor.hostFromFloats(dev.kinema.DType.F32, new float[] {500f}, 1);
             Tensor c = Tensor.hostFromFloats(dev.kinema.DType.F32, context, 1, 4, 64);
             Tensor out = d.forward(x, t, c)) {
            return out.toFloats();
        }
    }
}
