package dev.kinema.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngFramesTest {
    @TempDir
    Path dir;

    @Test
    void roundTripIsExact() throws IOException {
        Random random = new Random(7);
        float[] video = new float[3 * 3 * 5 * 7];
        for (int i = 0; i < video.length; i++) {
            video[i] = random.nextFloat() * 2.2f - 1.1f;
        }
        List<BufferedImage> frames = VideoFrames.toImages(video, new long[] {3, 3, 5, 7}, 2);
        Path out = dir.resolve("new/sub");
        List<Path> files = PngFrames.write(frames, out);
        assertEquals(List.of(out.resolve("frame_000.png"), out.resolve("frame_001.png"), out.resolve("frame_002.png")), files);
        for (int f = 0; f < frames.size(); f++) {
            BufferedImage back = ImageIO.read(files.get(f).toFile());
            assertPixelsEqual(frames.get(f), back);
        }
    }

    @Test
    void namesSortInFrameOrder() {
        assertEquals("frame_000.png", PngFrames.fileName(0, 1));
        assertEquals("frame_999.png", PngFrames.fileName(999, 1000));
        assertEquals("frame_0007.png", PngFrames.fileName(7, 1001));
        assertEquals("frame_1000.png", PngFrames.fileName(1000, 1001));
    }

    @Test
    void overwritesFramesOfTheSameName() throws IOException {
        List<BufferedImage> frames = new ArrayList<>();
        frames.add(new BufferedImage(3, 3, BufferedImage.TYPE_INT_RGB));
        PngFrames.write(frames, dir);
        frames.get(0).setRGB(1, 1, 0x123456);
        PngFrames.write(frames, dir);
        assertEquals(0x123456, ImageIO.read(dir.resolve("frame_000.png").toFile()).getRGB(1, 1) & 0xFFFFFF);
        assertTrue(Files.exists(dir.resolve("frame_000.png")));
    }

    @Test
    void rejectsNoFrames() {
        VideoFramesTest.assertArgument("frames", () -> PngFrames.write(List.of(), dir));
        VideoFramesTest.assertArgument("directory", () -> PngFrames.write(List.of(new BufferedImage(1, 1, 1)), null));
    }

    static void assertPixelsEqual(BufferedImage expected, BufferedImage actual) {
        assertEquals(expected.getWidth(), actual.getWidth());
        assertEquals(expected.getHeight(), actual.getHeight());
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                assertEquals(expected.getRGB(x, y) & 0xFFFFFF, actual.getRGB(x, y) & 0xFFFFFF, "(" + x + "," + y + ")");
            }
        }
    }
}
