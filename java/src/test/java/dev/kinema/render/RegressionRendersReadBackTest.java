package dev.kinema.render;

import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the committed regression renders show, read back by {@link ShapesProbe}: every one holds an
 * object in every frame, in its prompt's colour, moving in its prompt's direction, and the default
 * U-Net's are of the prompt's shape too. The DiT's shape is printed, not asserted: it reads right in
 * 71% of renders over all prompts, against the U-Net's 100% (models/README.md), and its white square
 * here reads as a circle.
 * RegressionGoldensTest holds new renders to these goldens, so this says what `./kinema render` draws.
 */
class RegressionRendersReadBackTest {
    static final Path GOLDENS = Path.of("..", "regression", "goldens");

    @Test
    void everyGoldenRenderShowsItsPromptsColourAndDirectionAndTheUnetsItsShape() {
        Manifest manifest = Manifest.read(GOLDENS);
        assertEquals(RegressionSet.ENTRIES.size(), manifest.renders().size());
        List<String> wrong = new ArrayList<>();
        for (Manifest.Entry e : manifest.renders()) {
            RenderSettings s = e.settings();
            float[] video;
            try (Safetensors.Contents c = Safetensors.read(GOLDENS.resolve(e.video()))) {
                Tensor t = c.tensors().get("video");
                video = t.toFloats();
            }
            ShapesProbe.Reading reading = ShapesProbe.read(video, s.frames(), s.size());
            String line = e.name() + ": asked \"" + s.prompt() + "\", shows " + reading.describe();
            System.out.println(line);
            String[] words = s.prompt().split(" ");
            boolean shapeAsserted = e.architecture().equals("UNet3DConditionModel");
            if (reading.emptyFrames() > 0 || !reading.colour().equals(words[0]) || !reading.motion().equals(words[3])
                    || shapeAsserted && !reading.shape().equals(words[1])) {
                wrong.add(line);
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }
}
