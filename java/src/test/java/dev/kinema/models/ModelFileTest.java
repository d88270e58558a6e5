package dev.kinema.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.modelfile.GraphSnapshot;
import dev.kinema.modelfile.ModelFile;
import dev.kinema.modelfile.ModelFileException;
import dev.kinema.modelfile.ModelFileWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .kinema model file: a converted model runs bit-identically to its diffusers checkpoint, its
 * tensors are aligned for mapping, an existing file is not replaced unasked, and truncated,
 * oversized or inconsistent files are refused with the offending field named.
 */
class ModelFileTest {
    @TempDir
    Path tmp;

    private Path converted(String arch) {
        Path file = tmp.resolve(arch + ".kinema");
        try (Kinema rt = Kinema.open(Backend.CPU); Denoiser d = Denoiser.open(rt, ModelGoldens.folder(arch))) {
            d.save(file, false);
        }
        return file;
    }

    private static float[] forward(Kinema rt, Path model, Path io) {
        try (Denoiser d = Denoiser.open(rt, model); Safetensors.Contents c = Safetensors.read(io);
             Tensor y = d.forward(c.tensors().get("sample"), c.tensors().get("timestep"),
                     c.tensors().get("encoder_hidden_states"))) {
            return y.toFloats();
        }
    }

    @Test
    void convertedModelsRunLikeTheirCheckpoints() {
        for (String arch : new String[] {"unet3d", "latte", "animatediff"}) {
            Path file = converted(arch);
            Path folder = ModelGoldens.folder(arch);
            try (Kinema rt = Kinema.open(Backend.CPU)) {
                assertArrayEquals(forward(rt, folder, folder.resolve("io.safetensors")),
                        forward(rt, file, folder.resolve("io.safetensors")), arch);
            }
            try (ModelFile f = ModelFile.open(file)) {
                assertTrue(f.graph().nodes().size() > 50, arch + ": graph stored");
                f.tensors().values().forEach(e -> assertEquals(0, e.offset() % 64, e.name()));
            }
        }
    }

    @Test
    void spatialAttentionChoiceIsStoredAndReplayed() {
        Path folder = ModelGoldens.folder("unet3d");
        Path file = tmp.resolve("first.kinema");
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            try (Denoiser d = Denoiser.open(rt, folder, Denoiser.Options.defaults().withSpatialAttention("first"))) {
                d.save(file, false);
            }
            try (ModelFile f = ModelFile.open(file)) {
                assertEquals("first", f.options().get("spatial_attention"));
            }
            float[] y = forward(rt, file, folder.resolve("io_first.safetensors"));
            try (Safetensors.Contents io = Safetensors.read(folder.resolve("io_first.safetensors"));
                 Tensor out = Tensor.hostFromFloats(y, io.tensors().get("output").shape())) {
                ModelGoldens.assertClose("first-frame attention from a model file", io.tensors().get("output"), out);
            }
        }
    }

    @Test
    void existingFileIsNotReplacedUnlessAsked() throws IOException {
        Path file = converted("latte");
        byte[] before = Files.readAllBytes(file);
        try (Kinema rt = Kinema.open(Backend.CPU); Denoiser d = Denoiser.open(rt, ModelGoldens.folder("latte"))) {
            assertThrows(UncheckedIOException.class, () -> d.save(file, false));
            assertArrayEquals(before, Files.readAllBytes(file));
            d.save(file, true);
        }
        assertArrayEquals(before, Files.readAllBytes(file), "the same model writes the same bytes");
    }

    @Test
    void truncatedFileIsRefusedNamingTheTensor() throws IOException {
        Path file = converted("latte");
        byte[] bytes = Files.readAllBytes(file);
        Path cut = tmp.resolve("cut.kinema");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 10));
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.open(cut));
        assertTrue(e.field().startsWith("tensors["), e.getMessage());
        Files.write(cut, Arrays.copyOf(bytes, 12));
        assertEquals("size", assertThrows(ModelFileException.class, () -> ModelFile.open(cut)).field());
        Files.write(cut, Arrays.copyOf(bytes, 200));
        assertEquals("header size", assertThrows(ModelFileException.class, () -> ModelFile.open(cut)).field());
    }

    @Test
    void oversizedHeaderAndForeignFilesAreRefused() throws IOException {
        Path file = converted("latte");
        byte[] bytes = Files.readAllBytes(file);
        Path bad = tmp.resolve("bad.kinema");
        byte[] huge = bytes.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x7fffffff);
        Files.write(bad, huge);
        assertEquals("header size", assertThrows(ModelFileException.class, () -> ModelFile.open(bad)).field());
        byte[] foreign = bytes.clone();
        foreign[8] = 'X';
        Files.write(bad, foreign);
        assertEquals("identifier", assertThrows(ModelFileException.class, () -> ModelFile.open(bad)).field());
        byte[] garbage = bytes.clone();
        for (int i = 16; i < 400; i++) {
            garbage[i] = (byte) 0xA5;  // offsets inside the FlatBuffer now point anywhere
        }
        Files.write(bad, garbage);
        assertThrows(ModelFileException.class, () -> ModelFile.open(bad));
    }

    @Test
    void fileWhoseGraphDiffersFromItsConfigIsRefused() {
        Path file = converted("latte");
        Path edited = tmp.resolve("edited.kinema");
        try (ModelFile f = ModelFile.open(file)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            f.tensors().keySet().forEach(k -> tensors.put(k, f.load(k)));
            GraphSnapshot g = f.graph();
            GraphSnapshot fewer = new GraphSnapshot(g.sampleShape(), g.contextShape(),
                    g.nodes().subList(0, g.nodes().size() - 1));
            ModelFileWriter.write(edited, f.architecture(), f.options(), f.configs(), fewer, tensors, false);
            tensors.values().forEach(Tensor::close);
        }
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            ModelFileException e = assertThrows(ModelFileException.class, () -> Denoiser.open(rt, edited));
            assertTrue(e.field().startsWith("graph.nodes["), e.getMessage());
        }
    }
}
