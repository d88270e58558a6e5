package dev.kinema.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * diffusers' CrossAttnDownBlockSpatioTemporal (Stable Video Diffusion's learned spatio-temporal
 * mixing) loaded from its diffusers-keyed checkpoint and run against the PyTorch mirror's float64
 * outputs (tools/model-goldens/kinema_goldens/svd_mixing.py), on cpu and cuda-emu: io.safetensors has
 * no image-only frame (the alpha_blend op), io_images.safetensors one image-only video (per-frame
 * alphas from the host). The first SpatioTemporalResBlock's output is checked too.
 */
class SpatioTemporalGoldenTest {
    @TempDir
    Path tmp;

    private static Path golden() {
        return ModelGoldens.folder("svd_mixing");
    }

    private static SpatioTemporalBlock open(Kinema rt) {
        return SpatioTemporalBlock.open(rt, golden().resolve("config.json"), golden().resolve("weights.safetensors"));
    }

    static Stream<Arguments> cases() {
        return ModelGoldens.backends().stream().flatMap(b -> Stream.of(
                Arguments.of(b, "io.safetensors"), Arguments.of(b, "io_images.safetensors")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesPyTorchMirror(Backend backend, String ioFile) {
        try (Kinema rt = Kinema.open(backend);
             SpatioTemporalBlock block = open(rt);
             Safetensors.Contents io = Safetensors.read(golden().resolve(ioFile))) {
            Map<String, Tensor> t = io.tensors();
            try (SpatioTemporalBlock.Result r = block.forward(t.get("hidden_states"), t.get("temb"),
                    t.get("encoder_hidden_states"), t.get("image_only_indicator"))) {
                ModelGoldens.assertClose(backend + " " + ioFile + " resnet_output", t.get("resnet_output"), r.resnetOutput());
                ModelGoldens.assertClose(backend + " " + ioFile + " output", t.get("output"), r.output());
            }
        }
    }

    @Test
    void imageOnlyFramesAndVideosShareOneBlockAndVideoZeroIsUnchanged() {
        try (Kinema rt = Kinema.open(Backend.CPU);
             SpatioTemporalBlock block = open(rt);
             Safetensors.Contents video = Safetensors.read(golden().resolve("io.safetensors"));
             Safetensors.Contents images = Safetensors.read(golden().resolve("io_images.safetensors"))) {
            Map<String, Tensor> v = video.tensors(), i = images.tensors();
            try (SpatioTemporalBlock.Result a = block.forward(v.get("hidden_states"), v.get("temb"),
                    v.get("encoder_hidden_states"), v.get("image_only_indicator"));
                 SpatioTemporalBlock.Result b = block.forward(i.get("hidden_states"), i.get("temb"),
                         i.get("encoder_hidden_states"), i.get("image_only_indicator"))) {
                float[] ya = a.output().toFloats(), yb = b.output().toFloats();
                int half = ya.length / 2;  // video 0 has no image-only frame in either file
                for (int k = 0; k < half; k++) {
                    assertEquals(ya[k], yb[k], 1e-5f * Math.max(1, Math.abs(ya[k])), "video 0 at " + k);
                }
                boolean differs = false;
                for (int k = half; k < ya.length; k++) {
                    differs |= Math.abs(ya[k] - yb[k]) > 1e-3;
                }
                assertTrue(differs, "video 1 (image-only in io_images) must change");
            }
        }
    }

    @Test
    void checkpointThatDoesNotFitTheConfigIsReportedInOneList() throws IOException {
        List<Tensor> made = new ArrayList<>();
        try (Safetensors.Contents all = Safetensors.read(golden().resolve("weights.safetensors"))) {
            Map<String, Tensor> changed = new LinkedHashMap<>(all.tensors());
            changed.remove("attentions.0.time_mixer.mix_factor");
            changed.remove("resnets.0.temporal_res_block.conv2.bias");
            Tensor wrong = Tensor.host(DType.F32, 64, 64, 3, 3, 3);  // a 3x3x3 conv where diffusers has (3, 1, 1)
            Tensor extra = Tensor.host(DType.F32, 64, 32, 1, 1);
            made.add(wrong);
            made.add(extra);
            changed.put("resnets.0.temporal_res_block.conv1.weight", wrong);
            changed.put("resnets.0.temporal_res_block.conv_shortcut.weight", extra);
            Path weights = tmp.resolve("weights.safetensors");
            Safetensors.write(weights, changed, Map.of(), false);
            try (Kinema rt = Kinema.open(Backend.CPU)) {
                CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
                        () -> SpatioTemporalBlock.open(rt, golden().resolve("config.json"), weights));
                assertEquals(List.of("resnets.0.temporal_res_block.conv2.bias [64]", "attentions.0.time_mixer.mix_factor [1]"),
                        e.missing());
                assertEquals(List.of("resnets.0.temporal_res_block.conv_shortcut.weight"), e.unexpected());
                assertEquals(List.of("resnets.0.temporal_res_block.conv1.weight: expected [64, 64, 3, 1, 1], found [64, 64, 3, 3, 3]"),
                        e.shapeMismatches());
                assertTrue(e.getMessage().contains("2 missing, 1 unexpected, 1 with the wrong shape"), e.getMessage());
            }
        } finally {
            made.forEach(Tensor::close);
        }
    }

    @Test
    void configThatChangesTheBlockIsRefusedByName() throws IOException {
        String config = Files.readString(golden().resolve("config.json"), StandardCharsets.UTF_8);
        Path file = tmp.resolve("config.json");
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            Files.writeString(file, config.replace("\"add_downsample\": false", "\"add_downsample\": true"));
            assertEquals("add_downsample", assertThrows(ModelConfigException.class,
                    () -> SpatioTemporalBlock.open(rt, file, golden().resolve("weights.safetensors"))).field());
            Files.writeString(file, config.replace("\"out_channels\": 64,\n  \"temb", "\"out_channels\": 48,\n  \"temb"));
            assertEquals("out_channels", assertThrows(ModelConfigException.class,
                    () -> SpatioTemporalBlock.open(rt, file, golden().resolve("weights.safetensors"))).field());
        }
    }

    @Test
    void inputsThatDisagreeAreRefusedBeforeAnyNativeCall() {
        try (Kinema rt = Kinema.open(Backend.CPU);
             SpatioTemporalBlock block = open(rt);
             Tensor hs = Tensor.host(DType.F32, 6, 32, 4, 4);
             Tensor temb = Tensor.host(DType.F32, 6, 32);
             Tensor ehs = Tensor.host(DType.F32, 6, 3, 24);
             Tensor badEhs = Tensor.host(DType.F32, 6, 3, 23);
             Tensor indicator = Tensor.host(DType.F32, 2, 3);
             Tensor badIndicator = Tensor.host(DType.F32, 3, 3)) {
            assertEquals("hidden_states", assertThrows(InvalidArgumentException.class,
                    () -> block.forward(hs, temb, ehs, badIndicator)).argument());
            assertEquals("encoder_hidden_states", assertThrows(InvalidArgumentException.class,
                    () -> block.forward(hs, temb, badEhs, indicator)).argument());
            try (SpatioTemporalBlock.Result r = block.forward(hs, temb, ehs, indicator)) {
                assertArrayEquals(new long[] {6, 64, 4, 4}, r.output().shape());
            }
        }
    }
}
