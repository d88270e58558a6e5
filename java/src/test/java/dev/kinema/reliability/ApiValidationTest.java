package dev.kinema.reliability;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.KinemaException;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.models.Denoiser;
import dev.kinema.render.RenderSettings;
import dev.kinema.render.Renderer;
import dev.kinema.render.TextToVideoModel;
import dev.kinema.sampling.SamplerPlan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public API above the ops (runtime, tensors, denoiser, renderer, settings, prompts, files) called
 * with wrong arguments: each call ends in the expected Kinema exception, and an InvalidArgumentException
 * names the argument. (The ops themselves have their own tables: OpValidationTest and the
 * *ValidationTest classes; the C ABI's are native/tests/abi_*.)
 */
class ApiValidationTest {
    static final Path MODEL = Path.of("..", "models", "shapes-unet3d");
    static Kinema rt;
    static TextToVideoModel model;
    static Denoiser denoiser;
    static Tensor sample, timestep, context;

    @BeforeAll
    static void open() {
        rt = Kinema.open(Backend.CPU);
        model = TextToVideoModel.open(rt, MODEL);
        denoiser = model.denoiser();
        sample = Tensor.host(DType.F32, 1, 3, 8, 32, 32);
        timestep = Tensor.hostFromFloats(new float[] {500}, 1);
        context = Tensor.host(DType.F32, 1, 4, 64);
    }

    @AfterAll
    static void close() {
        sample.close();
        timestep.close();
        context.close();
        model.close();
        rt.close();
    }

    /** A call and what it must throw; argument is null when the exception is not an InvalidArgumentException. */
    record Case(String name, Class<? extends KinemaException> type, String argument, Executable call) {
    }

    static Case invalid(String name, String argument, Executable call) {
        return new Case(name, InvalidArgumentException.class, argument, call);
    }

    static RenderSettings settings(int frames, int size, int steps, double guidance, double eta) {
        return new RenderSettings("red square moving left", "", frames, size, steps, SamplerPlan.Sampler.DDIM, guidance,
                eta, 1);
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(invalid("open: null backend", "backend", () -> Kinema.open(null)));
        c.add(invalid("open: negative device", "device", () -> Kinema.open(Backend.CPU, -1)));
        c.add(invalid("open: device past the count", "device", () -> Kinema.open(Backend.CPU, 99)));
        c.add(invalid("threads negative", "threads", () -> rt.setNumThreads(-1)));
        c.add(invalid("allocate: negative dim", "shape", () -> rt.allocate(DType.F32, 2, -3)));
        c.add(invalid("allocate: 2^62 elements", "shape", () -> rt.allocate(DType.F32, 1L << 31, 1L << 31)));
        c.add(invalid("host tensor: data and shape differ", "data", () -> Tensor.hostFromFloats(new float[5], 2, 3)));
        c.add(invalid("view past the end", "shape", () -> sample.view(sample.byteSize(), DType.F32, 4)));
        c.add(invalid("upload: null", "tensor", () -> rt.upload(null)));
        c.add(invalid("forward: sample null", "sample", () -> denoiser.forward(null, timestep, context)));
        c.add(invalid("forward: sample rank 4", "sample", () -> denoiser.forward(Tensor.host(DType.F32, 3, 8, 32, 32),
                timestep, context)));
        c.add(invalid("forward: sample f16", "sample", () -> denoiser.forward(Tensor.host(DType.F16, 1, 3, 8, 32, 32),
                timestep, context)));
        c.add(invalid("forward: context batch 2", "encoder_hidden_states", () -> denoiser.forward(sample, timestep,
                Tensor.host(DType.F32, 2, 4, 64))));
        c.add(invalid("forward: three timesteps for one sample", "timestep", () -> denoiser.forward(sample,
                Tensor.host(DType.F32, 3), context)));
        c.add(invalid("forward: 33 pixels", "sample", () -> denoiser.forward(Tensor.host(DType.F32, 1, 3, 8, 33, 33),
                timestep, context)));
        c.add(invalid("settings: prompt null", "prompt", () -> new RenderSettings(null, "", 8, 32, 1,
                SamplerPlan.Sampler.DDIM, 4, 0, 1)));
        c.add(invalid("settings: 0 frames", "frames", () -> settings(0, 32, 1, 4, 0)));
        c.add(invalid("settings: size 5000", "size", () -> settings(8, 5000, 1, 4, 0)));
        c.add(invalid("settings: 0 steps", "steps", () -> settings(8, 32, 0, 4, 0)));
        c.add(invalid("settings: guidance NaN", "guidance", () -> settings(8, 32, 1, Double.NaN, 0)));
        c.add(invalid("settings: eta -1", "eta", () -> settings(8, 32, 1, 4, -1)));
        c.add(invalid("renderer: null model", "model", () -> new Renderer(null)));
        c.add(invalid("render: unknown word", "prompt", () -> new Renderer(model).render(
                new RenderSettings("red blob", "", 8, 32, 1, SamplerPlan.Sampler.DDIM, 4, 0, 1), null, null)));
        c.add(invalid("render: five words", "prompt", () -> new Renderer(model).render(
                new RenderSettings("red square moving left now", "", 8, 32, 1, SamplerPlan.Sampler.DDIM, 4, 0, 1), null, null)));
        c.add(invalid("render: 30 pixels", "sample", () -> new Renderer(model).check(settings(8, 30, 1, 4, 0))));
        c.add(invalid("tokenize: null", "prompt", () -> model.encoder().tokenize(null)));
        c.add(invalid("model folder missing", "folder", () -> TextToVideoModel.open(rt, Path.of("no-such-model"))));
        c.add(new Case("safetensors file missing", dev.kinema.io.SafetensorsException.class, null,
                () -> Safetensors.read(Path.of("no-such.safetensors"))));
        return c;
    }

    @TestFactory
    List<DynamicTest> everyCallIsRefusedWithATypedErrorNamingTheArgument() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case k : cases()) {
            tests.add(DynamicTest.dynamicTest(k.name(), () -> {
                KinemaException e = assertThrows(k.type(), k.call(), k.name());
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
                if (k.argument() != null) {
                    assertEquals(k.argument(), ((InvalidArgumentException) e).argument(), e.getMessage());
                }
            }));
        }
        return tests;
    }
}
