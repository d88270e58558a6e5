package dev.kinema.render;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.models.CheckpointFormatException;
import dev.kinema.models.ConfigReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The prompt encoder of Kinema's shapes models (text_encoder/ of a pipeline folder, written by
 * tools/train-default-model): a fixed vocabulary of whole words, a learned token embedding
 * [vocabulary, D] and a learned position embedding [L, D]; encoder_hidden_states[l] =
 * token_embedding[token l] + position_embedding[l]. Prompts shorter than L are padded with the pad
 * token, and the all-pad prompt (the empty string) is the unconditional prompt of classifier-free
 * guidance, as in training.
 *
 * <p>config.json: vocabulary (list of words, the pad token first), prompt_length, hidden_size,
 * pad_token; model.safetensors: token_embedding.weight and position_embedding (f16 or f32).
 */
public final class PromptEncoder {
    private final List<String> vocabulary;
    private final String pad;
    private final int length;
    private final int width;
    private final float[] tokenEmbedding;
    private final float[] positionEmbedding;

    PromptEncoder(List<String> vocabulary, String pad, int length, int width, float[] tokenEmbedding,
                  float[] positionEmbedding) {
        this.vocabulary = List.copyOf(vocabulary);
        this.pad = pad;
        this.length = length;
        this.width = width;
        this.tokenEmbedding = tokenEmbedding;
        this.positionEmbedding = positionEmbedding;
    }

    /** Reads a text_encoder folder (config.json + model.safetensors), validating every shape. */
    public static PromptEncoder open(Path folder) {
        Path configFile = folder.resolve("config.json");
        Path weights = folder.resolve("model.safetensors");
        if (!Files.isRegularFile(configFile) || !Files.isRegularFile(weights)) {
            throw new InvalidArgumentException("PromptEncoder.open", "folder",
                    "a text_encoder folder with config.json and model.safetensors", folder.toString());
        }
        ConfigReader c = ConfigReader.read(configFile);
        List<String> vocabulary = c.strings("vocabulary", null);
        c.require(vocabulary != null && vocabulary.size() >= 2, "vocabulary", "a list of at least 2 words", vocabulary);
        String pad = c.string("pad_token", "<pad>");
        c.require(vocabulary.get(0).equals(pad), "vocabulary[0]", "the pad token \"" + pad + "\"", vocabulary.get(0));
        c.require(vocabulary.stream().distinct().count() == vocabulary.size(), "vocabulary", "distinct words",
                vocabulary);
        int length = c.integer("prompt_length", -1);
        int width = c.integer("hidden_size", -1);
        c.require(length >= 1 && length <= 4096, "prompt_length", "1..4096", length);
        c.require(width >= 1 && width <= 65536, "hidden_size", "1..65536", width);
        try (Safetensors.Contents contents = Safetensors.read(weights)) {
            Map<String, Tensor> t = contents.tensors();
            float[] tokens = matrix(weights, t, "token_embedding.weight", vocabulary.size(), width);
            float[] positions = matrix(weights, t, "position_embedding", length, width);
            return new PromptEncoder(vocabulary, pad, length, width, tokens, positions);
        }
    }

    private static float[] matrix(Path file, Map<String, Tensor> tensors, String name, long rows, long cols) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointFormatException(file.toString(), "tensor " + name, "present", "missing (has " + tensors.keySet() + ")");
        }
        if (t.shape().length != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new CheckpointFormatException(file.toString(), "tensor " + name, "shape [" + rows + ", " + cols + "]",
                    java.util.Arrays.toString(t.shape()));
        }
        return t.toFloats();
    }

    /** The words prompts may use, without the pad token. */
    public List<String> vocabulary() {
        return vocabulary.subList(1, vocabulary.size());
    }

    /** L: the number of tokens every prompt is padded to. */
    public int promptLength() {
        return length;
    }

    /** D: the width of each token's embedding (the denoiser's cross_attention_dim or caption_channels). */
    public int hiddenSize() {
        return width;
    }

    /**
     * Token ids of prompt (words separated by white space, padded to L). The empty prompt is all
     * pad tokens. Unknown words and over-long prompts are refused, naming the vocabulary.
     */
    public int[] tokenize(String prompt) {
        if (prompt == null) {
            throw new InvalidArgumentException("PromptEncoder.tokenize", "prompt", "a string (\"\" for none)", "null");
        }
        String trimmed = prompt.strip();
        String[] words = trimmed.isEmpty() ? new String[0] : trimmed.split("\\s+");
        if (words.length > length) {
            throw new InvalidArgumentException("PromptEncoder.tokenize", "prompt", "at most " + length + " words",
                    words.length + " words (\"" + prompt + "\")");
        }
        int[] ids = new int[length];  // 0 = the pad token
        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < words.length; i++) {
            ids[i] = vocabulary.indexOf(words[i]);
            if (ids[i] <= 0) {
                unknown.add(words[i]);
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidArgumentException("PromptEncoder.tokenize", "prompt",
                    "words from the vocabulary: " + String.join(" ", vocabulary()),
                    "unknown word" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                            + " in \"" + prompt + "\"");
        }
        return ids;
    }

    /** encoder_hidden_states of one prompt: [L, D] row-major. */
    public float[] encode(String prompt) {
        int[] ids = tokenize(prompt);
        float[] out = new float[length * width];
        for (int l = 0; l < length; l++) {
            for (int d = 0; d < width; d++) {
                out[l * width + d] = tokenEmbedding[ids[l] * width + d] + positionEmbedding[l * width + d];
            }
        }
        return out;
    }

    /** encoder_hidden_states of prompts as one host tensor [B, L, D]. */
    public Tensor encode(List<String> prompts) {
        if (prompts == null || prompts.isEmpty()) {
            throw new InvalidArgumentException("PromptEncoder.encode", "prompts", "at least one prompt",
                    String.valueOf(prompts));
        }
        float[] all = new float[prompts.size() * length * width];
        for (int b = 0; b < prompts.size(); b++) {
            System.arraycopy(encode(prompts.get(b)), 0, all, b * length * width, length * width);
        }
        return Tensor.hostFromFloats(all, prompts.size(), length, width);
    }
}
