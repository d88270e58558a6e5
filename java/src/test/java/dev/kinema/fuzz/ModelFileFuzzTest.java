package dev.kinema.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.modelfile.ModelFile;
import dev.kinema.models.Denoiser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The .kinema model file (size-prefixed FlatBuffer header, graph, configs, tensor table, aligned data):
 * a valid file converted from the test Latte checkpoint, damaged by the fuzzer (bytes overwritten,
 * mostly in the header where the structure is, and the file cut short), is opened and every tensor
 * loaded.
 */
class ModelFileFuzzTest {
    static final Path DIR = Outcomes.scratch("modelfile");
    static final byte[] VALID = converted();

    static byte[] converted() {
        Path file = DIR.resolve("valid.kinema");
        try (Kinema rt = Kinema.open(Backend.CPU);
             Denoiser d = Denoiser.open(rt, Path.of("src", "test", "resources", "models", "latte"))) {
            d.save(file, true);
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = Outcomes.FUZZ_DURATION)
    void openDamaged(FuzzedDataProvider data) {
        Path file = damagedFile(data);
        Outcomes.typedOrSuccess(() -> {
            try (ModelFile m = ModelFile.open(file)) {
                m.graph();
                m.configs();
                for (String name : m.tensors().keySet()) {
                    try (Tensor t = m.load(name)) {
                        t.byteSize();
                    }
                }
            }
        });
    }

    /** Writes the valid file with data's patches and cut to DIR/input.kinema. */
    static Path damagedFile(FuzzedDataProvider data) {
        byte[] bytes = VALID.clone();
        int headerEnd = Math.min(bytes.length, 4 + (int) Math.min(Integer.MAX_VALUE - 4L,
                Integer.toUnsignedLong((bytes[0] & 0xff) | (bytes[1] & 0xff) << 8 | (bytes[2] & 0xff) << 16
                        | (bytes[3] & 0xff) << 24)));
        int patches = data.consumeInt(0, 8);
        for (int i = 0; i < patches; i++) {
            boolean inHeader = data.consumeBoolean();
            int at = data.consumeInt(0, (inHeader ? headerEnd : bytes.length) - 1);
            byte[] value = data.consumeBytes(data.consumeInt(1, 8));
            System.arraycopy(value, 0, bytes, at, Math.min(value.length, bytes.length - at));
        }
        int length = data.consumeBoolean() ? data.consumeInt(0, bytes.length) : bytes.length;
        Path file = DIR.resolve("input.kinema");
        Outcomes.write(file, Arrays.copyOf(bytes, length));
        return file;
    }
}
