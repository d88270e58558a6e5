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
 * diffusers' LatteTransformer3DModel (video DiT) through Denoiser against the PyTorch mirror's
 * float64 outputs: the full model (F = video_length) and a single frame (no temporal table), on cpu
 * and cuda-emu.
 */
class LatteGoldenTest {
    static Stream<Arguments> cases() {
        return ModelGoldens.backends().stream().flatMap(b -> Stream.of(
                Arguments.of(b, "io.safetensors"), Arguments.of(b, "io_single_frame.safetensors")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesPyTorchMirror(Backend backend, String ioFile) {
        Path folder = ModelGoldens.folder("latte");
        try (Kinema rt = Kinema.open(backend);
             Denoiser dit = Denoiser.open(rt, folder);
             Safetensors.Contents io = Safetensors.read(folder.resolve(ioFile))) {
            assertEquals("LatteTransformer3DModel", dit.architecture());
            try (Tensor y = dit.forward(io.tensors().get("sample"), io.tensors().get("timestep"),
                    io.tensors().get("encoder_hidden_states"))) {
                ModelGoldens.assertClose(backend + " " + ioFile, io.tensors().get("output"), y);
            }
        }
    }
}
