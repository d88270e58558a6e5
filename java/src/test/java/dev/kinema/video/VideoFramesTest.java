package dev.kinema.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kinema.InvalidArgumentException;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VideoFramesTest {
    /**
     * Expected bytes from PyTorch 1.13 + numpy 1.24, diffusers' postprocess on float32:
     * {@code ((torch.tensor([x]) / 2 + 0.5).clamp(0, 1).numpy() * 255).round().astype(np.uint8)}.
     * numpy rounds ties to even: -0.4 gives 76.5 -> 76, 0.4 gives 178.5 -> 178, 0.8 gives 229.5 -> 230.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "-1, 0", "1, 255", "0, 128", "-2, 0", "3.5, 255", "0.5, 191", "-0.5, 64",
        "0.001, 128", "-0.999, 0", "0.9999, 255", "-0.4, 76", "0.4, 178", "0.8, 230",
    })
    void pixelMappingMatchesDiffusers(float x, int expected) {
        assertEquals(expected, VideoFrames.toByte(x));
    }

    @Test
    void nanAndInfinitiesMapToTheEnds() {
        assertEquals(0, VideoFrames.toByte(Float.NaN));
        assertEquals(0, VideoFrames.toByte(Float.NEGATIVE_INFINITY));
        assertEquals(255, VideoFrames.toByte(Float.POSITIVE_INFINITY));
    }

    @Test
    void channelsFramesRowsAndColumnsLandWhereTheyBelong() {
        // [3, F=2, H=2, W=3]; value v maps to byte: -1 -> 0, -0.5 -> 64, 0 -> 128, 0.5 -> 191, 1 -> 255
        float[] levels = {-1f, -0.5f, 0f, 0.5f, 1f};
        int[] bytes = {0, 64, 128, 191, 255};
        int frames = 2;
        int height = 2;
        int width = 3;
        float[] video = new float[3 * frames * height * width];
        int[][] level = new int[video.length][];
        for (int c = 0; c < 3; c++) {
            for (int f = 0; f < frames; f++) {
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        int i = ((c * frames + f) * height + y) * width + x;
                        video[i] = levels[(c + 2 * f + y + x) % 5];
                    }
                }
            }
        }
        List<BufferedImage> images = VideoFrames.toImages(video, new long[] {3, frames, height, width});
        assertEquals(frames, images.size());
        for (int f = 0; f < frames; f++) {
            BufferedImage image = images.get(f);
            assertEquals(BufferedImage.TYPE_INT_RGB, image.getType());
            assertEquals(width, image.getWidth());
            assertEquals(height, image.getHeight());
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int r = bytes[(2 * f + y + x) % 5];
                    int g = bytes[(1 + 2 * f + y + x) % 5];
                    int b = bytes[(2 + 2 * f + y + x) % 5];
                    assertEquals(r << 16 | g << 8 | b, image.getRGB(x, y) & 0xFFFFFF, "frame " + f + " (" + x + "," + y + ")");
                }
            }
        }
    }

    @Test
    void upscaleRepeatsEachPixelIntoABlock() {
        // one frame 2x2: red, green / blue, white
        float[] video = {
            1, -1, -1, 1, // R plane
            -1, 1, -1, 1, // G plane
            -1, -1, 1, 1, // B plane
        };
        BufferedImage image = VideoFrames.toImages(video, new long[] {3, 1, 2, 2}, 3).get(0);
        assertEquals(6, image.getWidth());
        assertEquals(6, image.getHeight());
        int[][] expected = {
            {0xFF0000, 0xFF0000, 0xFF0000, 0x00FF00, 0x00FF00, 0x00FF00},
            {0xFF0000, 0xFF0000, 0xFF0000, 0x00FF00, 0x00FF00, 0x00FF00},
            {0xFF0000, 0xFF0000, 0xFF0000, 0x00FF00, 0x00FF00, 0x00FF00},
            {0x0000FF, 0x0000FF, 0x0000FF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF},
            {0x0000FF, 0x0000FF, 0x0000FF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF},
            {0x0000FF, 0x0000FF, 0x0000FF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF},
        };
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 6; x++) {
                assertEquals(expected[y][x], image.getRGB(x, y) & 0xFFFFFF, "(" + x + "," + y + ")");
            }
        }
    }

    @Test
    void rejectsBadShapesDataAndScale() {
        float[] video = new float[3 * 2 * 4 * 4];
        assertArgument("shape", () -> VideoFrames.toImages(video, null));
        assertArgument("shape", () -> VideoFrames.toImages(video, new long[] {2, 4, 4}));
        assertArgument("shape", () -> VideoFrames.toImages(video, new long[] {1, 3, 2, 4, 4}));
        assertArgument("shape", () -> VideoFrames.toImages(new float[4 * 2 * 4 * 4], new long[] {4, 2, 4, 4}));
        assertArgument("shape", () -> VideoFrames.toImages(new float[0], new long[] {3, 0, 4, 4}));
        assertArgument("shape", () -> VideoFrames.toImages(video, new long[] {3, 1L << 40, 1L << 40, 4}));
        assertArgument("video", () -> VideoFrames.toImages(null, new long[] {3, 2, 4, 4}));
        assertArgument("video", () -> VideoFrames.toImages(video, new long[] {3, 3, 4, 4}));
        assertArgument("scale", () -> VideoFrames.toImages(video, new long[] {3, 2, 4, 4}, 0));
        assertArgument("scale", () -> VideoFrames.toImages(video, new long[] {3, 2, 4, 4}, -2));
        assertArgument("scale", () -> VideoFrames.toImages(video, new long[] {3, 2, 4, 4}, 20000));
    }

    static void assertArgument(String argument, Executable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
        assertEquals(argument, e.argument(), e.getMessage());
    }
}
