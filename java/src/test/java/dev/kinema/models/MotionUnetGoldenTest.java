package dev.kinema.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * AnimateDiff (diffusers' UNetMotionModel) against the PyTorch mirror's float64 output, loaded both
 * ways users have it: one UNetMotionModel checkpoint, and a UNet2DConditionModel plus a MotionAdapter
 * (MotionAdapter key names), on cpu and cuda-emu.
 */
class MotionUnetGoldenTest {
    static Stream<Arguments> cases() {
        return ModelGoldens.backends().stream().flatMap(b -> Stream.of(Arguments.of(b, "UNetMotionModel"),
                Arguments.of(b, "UNet2DConditionModel + MotionAdapter")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesPyTorchMirror(Backend backend, String layout) {
        Path folder = ModelGoldens.folder("animatediff");
        boolean whole = layout.equals("UNetMotionModel");
        try (Kinema rt = Kinema.open(backend);
             Denoiser unet = whole ? Denoiser.open(rt, folder)
                     : Denoiser.open(rt, folder.resolve("unet2d_config.json"), Denoiser.Options.defaults()
                             .withWeights(folder.resolve("unet2d.safetensors"))
                             .withMotionAdapter(folder.resolve("motion_adapter_config.json"),
                                     folder.resolve("motion_adapter.safetensors")));
             Safetensors.Contents io = Safetensors.read(folder.resolve("io.safetensors"))) {
            assertEquals("UNetMotionModel", unet.architecture());
            try (Tensor y = unet.forward(io.tensors().get("sample"), io.tensors().get("timestep"),
                    io.tensors().get("encoder_hidden_states"))) {
                ModelGoldens.assertClose(backend + " " + layout, io.tensors().get("output"), y);
            }
        }
    }
}
