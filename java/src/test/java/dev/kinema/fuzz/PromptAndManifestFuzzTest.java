package dev.kinema.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kinema.render.Manifest;
import dev.kinema.render.PromptEncoder;

import java.nio.file.Path;

/** Prompts against the embedded model's vocabulary, and `render --check` manifests. */
class PromptAndManifestFuzzTest {
    static final PromptEncoder ENCODER = PromptEncoder.open(Path.of("..", "models", "shapes-unet3d", "text_encoder"));
    static final Path DIR = Outcomes.scratch("manifest");

    @FuzzTest(maxDuration = Outcomes.FUZZ_DURATION)
    void tokenize(byte[] bytes) {
        String prompt = Outcomes.utf8(bytes);
        Outcomes.typedOrSuccess(() -> ENCODER.tokenize(prompt));
    }

    @FuzzTest(maxDuration = Outcomes.FUZZ_DURATION)
    void readManifest(byte[] json) {
        Outcomes.write(DIR.resolve("manifest.json"), json);
        Outcomes.typedOrSuccess(() -> Manifest.read(DIR));
    }
}
