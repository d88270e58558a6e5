package dev.kinema.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kinema.io.Safetensors;
import dev.kinema.models.Checkpoint;

import java.nio.file.Path;

/**
 * A .safetensors file (header length, JSON header, dtypes, shapes, offsets, overlap, data) read in full,
 * and a sharded checkpoint's .index.json naming shards beside it.
 */
class SafetensorsFuzzTest {
    static final Path DIR = Outcomes.scratch("safetensors");

    static {
        // a valid shard for the index to name
        Outcomes.copy(Path.of("src", "test", "resources", "goldens", "concat__rank1.safetensors"),
                DIR.resolve("shard.safetensors"));
    }

    @FuzzTest(maxDuration = Outcomes.FUZZ_DURATION)
    void readFile(byte[] bytes) {
        Path file = DIR.resolve("input.safetensors");
        Outcomes.write(file, bytes);
        Outcomes.typedOrSuccess(() -> Safetensors.read(file).close());
    }

    /** The index text is fuzzed; beside it lies one valid shard, shard.safetensors. */
    @FuzzTest(maxDuration = Outcomes.FUZZ_DURATION)
    void readIndex(byte[] index) {
        Path file = DIR.resolve("model.safetensors.index.json");
        Outcomes.write(file, index);
        Outcomes.typedOrSuccess(() -> Checkpoint.open(file).close());
    }
}
