package dev.kinema.render;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.models.CheckpointFormatException;
import dev.kinema.models.ModelConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromptEncoderTest {
    static final List<String> VOCAB = List.of("<pad>", "red", "blue", "square", "moving", "left");
    static final int L = 4, D = 3;

    /** token_embedding[v][d] = 10 v + d, position_embedding[l][d] = 0.5 l - 0.25 d: sums are easy to name. */
    static Path folder(Path dir, int rows) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"vocabulary\": [\"<pad>\", \"red\", \"blue\", \"square\", "
                + "\"moving\", \"left\"], \"prompt_length\": " + L + ", \"hidden_size\": " + D
                + ", \"pad_token\": \"<pad>\", \"frames\": 8, \"size\": 32}");
        float[] tokens = new float[rows * D];
        for (int v = 0; v < rows; v++) {
            for (int d = 0; d < D; d++) {
                tokens[v * D + d] = 10 * v + d;
            }
        }
        float[] positions = new float[L * D];
        for (int l = 0; l < L; l++) {
            for (int d = 0; d < D; d++) {
                positions[l * D + d] = 0.5f * l - 0.25f * d;
            }
        }
        try (Tensor t = Tensor.hostFromFloats(tokens, rows, D); Tensor p = Tensor.hostFromFloats(positions, L, D)) {
            Safetensors.write(dir.resolve("model.safetensors"), Map.of("token_embedding.weight", t,
                    "position_embedding", p), null, true);
        }
        return dir;
    }

    @Test
    void encodesTokenPlusPositionAndPadsWithTheEmptyToken(@TempDir Path dir) throws Exception {
        PromptEncoder e = PromptEncoder.open(folder(dir, VOCAB.size()));
        assertArrayEquals(new int[] {2, 3, 0, 0}, e.tokenize(" blue  square "));
        float[] got = e.encode("blue square");
        int[] ids = {2, 3, 0, 0};
        for (int l = 0; l < L; l++) {
            for (int d = 0; d < D; d++) {
                assertEquals(10 * ids[l] + d + 0.5f * l - 0.25f * d, got[l * D + d], 0f, "l=" + l + " d=" + d);
            }
        }
        assertArrayEquals(new int[L], e.tokenize(""));
        try (Tensor batch = e.encode(List.of("red", ""))) {
            assertArrayEquals(new long[] {2, L, D}, batch.shape());
            assertEquals(10 * 1 + 0.0f, batch.toFloats()[0]);
            assertEquals(0f + 0.5f * 1, batch.toFloats()[L * D + D]);  // second prompt, l = 1: pad row + position
        }
        assertEquals(VOCAB.subList(1, VOCAB.size()), e.vocabulary());
    }

    @Test
    void unknownWordsAreRefusedListingTheVocabulary(@TempDir Path dir) throws Exception {
        PromptEncoder e = PromptEncoder.open(folder(dir, VOCAB.size()));
        InvalidArgumentException x = assertThrows(InvalidArgumentException.class, () -> e.tokenize("red triangle"));
        assertEquals("prompt", x.argument());
        assertTrue(x.getMessage().contains("red blue square moving left"), x.getMessage());
        assertTrue(x.getMessage().contains("triangle"), x.getMessage());
        assertThrows(InvalidArgumentException.class, () -> e.tokenize("<pad>"));
        InvalidArgumentException tooLong = assertThrows(InvalidArgumentException.class,
                () -> e.tokenize("red square moving left left"));
        assertTrue(tooLong.getMessage().contains("at most 4 words"), tooLong.getMessage());
    }

    @Test
    void checkpointsOfTheWrongShapeAreRefused(@TempDir Path dir) throws Exception {
        CheckpointFormatException x = assertThrows(CheckpointFormatException.class,
                () -> PromptEncoder.open(folder(dir, VOCAB.size() - 1)));
        assertTrue(x.getMessage().contains("token_embedding.weight"), x.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"vocabulary\": [\"red\", \"<pad>\"], \"prompt_length\": 4, "
                + "\"hidden_size\": 3}");
        assertThrows(ModelConfigException.class, () -> PromptEncoder.open(dir));
        assertThrows(InvalidArgumentException.class, () -> PromptEncoder.open(dir.resolve("missing")));
    }
}
