package dev.kinema.render;

import dev.kinema.sampling.SamplerPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A render whose files cannot all be written (the disk fills up while the MP4 is written; /dev/full
 * answers every write with ENOSPC) fails with the render and the system's reason named, and leaves
 * no partial render folder behind; the next render into the same directory succeeds.
 */
class RenderWriterFaultTest {
    static Renderer.Result result() {
        float[] video = new float[3 * 2 * 8 * 8];
        for (int i = 0; i < video.length; i++) {
            video[i] = (float) Math.sin(i * 0.1);
        }
        RenderSettings s = new RenderSettings("red square moving left", "", 2, 8, 1, SamplerPlan.Sampler.DDIM, 4, 0, 1);
        return new Renderer.Result(s, video, 3, 0.01);
    }

    @Test
    void aFullDiskWhileWritingRemovesThePartialRender(@TempDir Path dir) throws Exception {
        Path full = Path.of("/dev/full");
        assertTrue(Files.exists(full), "this test needs /dev/full (Linux)");
        Path sub = Files.createDirectories(dir.resolve("clip"));
        Files.createSymbolicLink(sub.resolve("video.mp4"), full);

        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> RenderWriter.write(dir, "clip", result()));
        assertTrue(e.getMessage().startsWith("cannot write render " + sub + " (partial files removed): "), e.getMessage());
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertFalse(Files.exists(sub, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the partial render folder is gone");
        assertTrue(Files.exists(full), "the link's target is untouched");

        var files = RenderWriter.write(dir, "clip", result());
        assertEquals("clip/video.mp4", files.get("mp4"));
        assertTrue(Files.size(dir.resolve("clip/video.mp4")) > 0);
    }
}
