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
 * diffusers' UNet3DConditionModel loaded from its diffusers-layout checkpoint through Denoiser (the
 * real loader) and run end to end against the PyTorch mirror's float64 outputs, with each spatial
 * self-attention processor, on cpu and cuda-emu.
 */
class Unet3dGoldenTest {
    static Stream<Arguments> cases() {
        return ModelGoldens.backends().stream().flatMap(b -> Stream.of(
                Arguments.of(b, "per_frame", "io.safetensors"),
                Arguments.of(b, "first", "io_first.safetensors"),
                Arguments.of(b, "sparse_causal", "io_sparse_causal.safetensors"),
                Arguments.of(b, "all", "io_all.safetensors")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesPyTorchMirror(Backend backend, String spatialAttention, String ioFile) {
        Path folder = ModelGoldens.folder("unet3d");
        try (Kinema rt = Kinema.open(backend);
             Denoiser unet = Denoiser.open(rt, folder, Denoiser.Options.defaults().withSpatialAttention(spatialAttention));
             Safetensors.Contents io = Safetensors.read(folder.resolve(ioFile))) {
            assertEquals("UNet3DConditionModel", unet.architecture());
            Tensor sample = io.tensors().get("sample");
            try (Tensor y = unet.forward(sample, io.tensors().get("timestep"), io.tensors().get("encoder_hidden_states"))) {
                ModelGoldens.assertClose(backend + " " + spatialAttention, io.tensors().get("output"), y);
            }
        }
    }
}
