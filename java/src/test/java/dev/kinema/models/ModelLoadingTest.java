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
import dev.kinema.io.SafetensorsException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How Denoiser treats checkpoints: sharded checkpoints through their index, one report for every
 * key that does not fit the config, and refusals of malformed files and configs with the field named.
 */
class ModelLoadingTest {
    @TempDir
    Path tmp;

    private static Path unet3d() {
        return ModelGoldens.folder("unet3d");
    }

    /** Copies the unet3d config and a changed checkpoint into a new folder. */
    private Path folderWith(Map<String, Tensor> tensors) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.copy(unet3d().resolve("config.json"), dir.resolve("config.json"));
        Safetensors.write(dir.resolve("diffusion_pytorch_model.safetensors"), tensors, Map.of(), false);
        return dir;
    }

    @Test
    void shardedCheckpointLoadsThroughItsIndexAndMatchesTheSingleFile() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(unet3d().resolve("config.json"), dir.resolve("config.json"));
        try (Safetensors.Contents all = Safetensors.read(unet3d().resolve("diffusion_pytorch_model.safetensors"))) {
            Map<String, Tensor> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
            StringBuilder map = new StringBuilder();
            int i = 0;
            for (Map.Entry<String, Tensor> e : all.tensors().entrySet()) {
                String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                (shard.contains("00001") ? a : b).put(e.getKey(), e.getValue());
                map.append(map.isEmpty() ? "" : ",\n").append("\"").append(e.getKey()).append("\": \"").append(shard).append('"');
            }
            Safetensors.write(dir.resolve("model-00001-of-00002.safetensors"), a, Map.of(), false);
            Safetensors.write(dir.resolve("model-00002-of-00002.safetensors"), b, Map.of(), false);
            Files.writeString(dir.resolve("diffusion_pytorch_model.safetensors.index.json"),
                    "{\"metadata\": {\"total_size\": 0}, \"weight_map\": {\n" + map + "\n}}");
        }
        try (Kinema rt = Kinema.open(Backend.CPU);
             Denoiser sharded = Denoiser.open(rt, dir);
             Denoiser single = Denoiser.open(rt, unet3d());
             Safetensors.Contents io = Safetensors.read(unet3d().resolve("io.safetensors"));
             Tensor y1 = sharded.forward(io.tensors().get("sample"), io.tensors().get("timestep"),
                     io.tensors().get("encoder_hidden_states"));
             Tensor y2 = single.forward(io.tensors().get("sample"), io.tensors().get("timestep"),
                     io.tensors().get("encoder_hidden_states"))) {
            assertArrayEquals(y2.toFloats(), y1.toFloats());
        }
    }

    @Test
    void indexNamingAShardOutsideItsFolderIsRefused() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("escape"));
        Files.copy(unet3d().resolve("config.json"), dir.resolve("config.json"));
        Files.writeString(dir.resolve("diffusion_pytorch_model.safetensors.index.json"),
                "{\"weight_map\": {\"conv_in.weight\": \"../diffusion_pytorch_model.safetensors\"}}");
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Denoiser.open(rt, dir));
            assertEquals("weight_map.conv_in.weight", e.field());
        }
    }

    @Test
    void checkpointThatDoesNotFitTheConfigIsReportedInOneList() throws IOException {
        Map<String, Tensor> changed = new LinkedHashMap<>();
        List<Tensor> made = new ArrayList<>();
        try (Safetensors.Contents all = Safetensors.read(unet3d().resolve("diffusion_pytorch_model.safetensors"))) {
            changed.putAll(all.tensors());
            changed.remove("conv_in.bias");
            changed.remove("mid_block.temp_convs.1.conv4.3.weight");
            Tensor wrong = Tensor.host(DType.F32, 16, 4, 3, 2);  // conv_in.weight is [16, 4, 3, 3]
            Tensor extra = Tensor.host(DType.F32, 3);
            made.add(wrong);
            made.add(extra);
            changed.put("conv_in.weight", wrong);
            changed.put("lora.unexpected.weight", extra);
            Path dir = folderWith(changed);
            try (Kinema rt = Kinema.open(Backend.CPU)) {
                CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class, () -> Denoiser.open(rt, dir));
                assertEquals(List.of("conv_in.bias [16]", "mid_block.temp_convs.1.conv4.3.weight [24, 24, 3, 1, 1]"),
                        e.missing());
                assertEquals(List.of("lora.unexpected.weight"), e.unexpected());
                assertEquals(List.of("conv_in.weight: expected [16, 4, 3, 3], found [16, 4, 3, 2]"), e.shapeMismatches());
                assertTrue(e.getMessage().contains("2 missing, 1 unexpected, 1 with the wrong shape"), e.getMessage());
            }
        } finally {
            made.forEach(Tensor::close);
        }
    }

    @Test
    void truncatedCheckpointIsRefusedBeforeAnyWeightIsRead() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("truncated"));
        Files.copy(unet3d().resolve("config.json"), dir.resolve("config.json"));
        byte[] bytes = Files.readAllBytes(unet3d().resolve("diffusion_pytorch_model.safetensors"));
        Files.write(dir.resolve("diffusion_pytorch_model.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length - 100));
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            assertThrows(SafetensorsException.class, () -> Denoiser.open(rt, dir));
        }
    }

    @Test
    void configErrorsNameTheField() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("config"));
        Files.copy(unet3d().resolve("diffusion_pytorch_model.safetensors"), dir.resolve("diffusion_pytorch_model.safetensors"));
        String config = Files.readString(unet3d().resolve("config.json"), StandardCharsets.UTF_8);
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            Files.writeString(dir.resolve("config.json"), config.replace("\"UNet3DConditionModel\"", "\"UNet9D\""));
            assertEquals("_class_name", assertThrows(ModelConfigException.class, () -> Denoiser.open(rt, dir)).field());
            Files.writeString(dir.resolve("config.json"), config.replace("\"norm_num_groups\": 8", "\"norm_num_groups\": 5"));
            assertEquals("block_out_channels[0]",
                    assertThrows(ModelConfigException.class, () -> Denoiser.open(rt, dir)).field());
            Files.writeString(dir.resolve("config.json"), config.replace("\"layers_per_block\": 1", "\"layers_per_block\": \"one\""));
            assertEquals("layers_per_block", assertThrows(ModelConfigException.class, () -> Denoiser.open(rt, dir)).field());
            Files.writeString(dir.resolve("config.json"), "{\"_class_name\": ");
            assertEquals("(file)", assertThrows(ModelConfigException.class, () -> Denoiser.open(rt, dir)).field());
        }
    }

    @Test
    void inputsOfTheWrongShapeAreRefusedBeforeAnyNativeCall() {
        try (Kinema rt = Kinema.open(Backend.CPU); Denoiser unet = Denoiser.open(rt, unet3d());
             Tensor sample = Tensor.host(DType.F32, 1, 4, 2, 7, 8);  // H = 7: not a multiple of 2
             Tensor ctx = Tensor.host(DType.F32, 1, 5, 32);
             Tensor t = Tensor.hostFromFloats(new float[] {10}, 1);
             Tensor good = Tensor.host(DType.F32, 1, 4, 2, 8, 8);
             Tensor badCtx = Tensor.host(DType.F32, 1, 5, 31)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> unet.forward(sample, t, ctx));
            assertEquals("sample", e.argument());
            e = assertThrows(InvalidArgumentException.class, () -> unet.forward(good, t, badCtx));
            assertEquals("encoder_hidden_states", e.argument());
        }
    }

    @Test
    void modelFromConfigAloneHasSeededWeights() {
        Path config = unet3d().resolve("config.json");
        try (Kinema rt = Kinema.open(Backend.CPU);
             Denoiser a = Denoiser.fromConfig(rt, config, Denoiser.Options.defaults(), 7);
             Denoiser b = Denoiser.fromConfig(rt, config, Denoiser.Options.defaults(), 7);
             Denoiser c = Denoiser.fromConfig(rt, config, Denoiser.Options.defaults(), 8);
             Safetensors.Contents io = Safetensors.read(unet3d().resolve("io.safetensors"))) {
            Tensor sample = io.tensors().get("sample"), t = io.tensors().get("timestep"), ctx = io.tensors().get("encoder_hidden_states");
            try (Tensor ya = a.forward(sample, t, ctx); Tensor yb = b.forward(sample, t, ctx); Tensor yc = c.forward(sample, t, ctx)) {
                float[] va = ya.toFloats();
                assertArrayEquals(va, yb.toFloats(), "same seed, same output");
                assertTrue(!Arrays.equals(va, yc.toFloats()), "another seed, another output");
                double max = 0;
                for (float v : va) {
                    assertTrue(Float.isFinite(v));
                    max = Math.max(max, Math.abs(v));
                }
                assertTrue(max > 0.01 && max < 100, "activations stay O(1): max |y| = " + max);
            }
        }
    }
}
