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
 * object in every frame, in its prompt's colour, moving in its prompt's direction. (The shape is printed,
 * not asserted: the embedded models draw it right in only some renders; models/README.md has the
 * measured shares.)
 * RegressionGoldensTest holds new renders to these goldens, so this says what `./kinema render` draws.
 */
class RegressionRendersReadBackTest {
    static final Path GOLDENS = Path.of("..", "regression", "goldens");

    @Test
    void everyGoldenRenderShowsItsPromptsColourAndDirectionInEveryFrame() {
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
            if (reading.emptyFrames() > 0 || !reading.colour().equals(words[0]) || !reading.motion().equals(words[3])) {
                wrong.add(line);
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }
}
