package dev.kinema.render;

import dev.kinema.io.Json;
import dev.kinema.sampling.SamplerPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestTest {
    static final RenderSettings SETTINGS = new RenderSettings("red square moving left", "", 2, 32, 7,
            SamplerPlan.Sampler.EULER_KARRAS, 3.5, 0.25, 1L << 40);

    static Map<String, Object> render(String video) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", "a");
        r.put("model", Map.of("path", "models/x", "sha256", "ab", "architecture", "unet3d"));
        r.put("settings", Manifest.settings(SETTINGS));
        r.put("files", Map.of("video", video, "frames", List.of()));
        r.put("frame_sha256", Collections.nCopies(2, "0".repeat(64)));
        return r;
    }

    static void write(Path dir, Object doc) throws Exception {
        Files.writeString(dir.resolve(Manifest.FILE), Json.writeIndented(doc));
    }

    @Test
    void readsBackWhatItWrote(@TempDir Path dir) throws Exception {
        write(dir, Manifest.document("1.0", "cpu", null, "sheet.png", List.of(render("a/video.safetensors"))));
        Manifest m = Manifest.read(dir);
        assertEquals("cpu", m.backend());
        Manifest.Entry e = m.renders().get(0);
        assertEquals(SETTINGS, e.settings());
        assertEquals("models/x", e.modelPath());
        assertEquals("ab", e.modelSha256());
        assertEquals("a/video.safetensors", e.video());
    }

    @Test
    void refusesWhatItCannotTrustNamingTheField(@TempDir Path dir) throws Exception {
        write(dir, Manifest.document("1.0", "cpu", 2, "s.png", List.of(render("../outside.safetensors"))));
        assertEquals("renders[0].files.video", assertThrows(ManifestException.class, () -> Manifest.read(dir)).field());

        Map<String, Object> r = render("v.safetensors");
        Map<String, Object> s = new LinkedHashMap<>(Manifest.settings(SETTINGS));
        s.put("steps", 0);
        r.put("settings", s);
        write(dir, Manifest.document("1.0", "cpu", 2, "s.png", List.of(r)));
        assertEquals("renders[0].settings.steps", assertThrows(ManifestException.class, () -> Manifest.read(dir)).field());

        r = render("v.safetensors");
        r.put("frame_sha256", List.of("0".repeat(64)));
        write(dir, Manifest.document("1.0", "cpu", 2, "s.png", List.of(r)));
        assertEquals("renders[0].frame_sha256", assertThrows(ManifestException.class, () -> Manifest.read(dir)).field());

        r = render("v.safetensors");
        r.remove("model");
        write(dir, Manifest.document("1.0", "cpu", 2, "s.png", List.of(r)));
        assertEquals("renders[0].model", assertThrows(ManifestException.class, () -> Manifest.read(dir)).field());

        Map<String, Object> doc = new LinkedHashMap<>(Manifest.document("1.0", "cpu", 2, "s.png", new ArrayList<>()));
        write(dir, doc);
        assertEquals("renders", assertThrows(ManifestException.class, () -> Manifest.read(dir)).field());
        doc.put("format", "other/2");
        write(dir, doc);
        assertEquals("format", assertThrows(ManifestException.class, () -> Manifest.read(dir)).field());

        Files.writeString(dir.resolve(Manifest.FILE), "{\"format\": ");
        ManifestException garbled = assertThrows(ManifestException.class, () -> Manifest.read(dir));
        assertTrue(garbled.getMessage().contains("valid JSON"), garbled.getMessage());
        assertThrows(ManifestException.class, () -> Manifest.read(dir.resolve("none")));
    }
}
