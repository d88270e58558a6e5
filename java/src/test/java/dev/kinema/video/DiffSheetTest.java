package dev.kinema.video;

import static dev.kinema.video.VideoFramesTest.assertArgument;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiffSheetTest {
    @Test
    void differenceIsAmplifiedAndClamped() {
        // |g - a| * 127.5 * amplify, rounded, at most 255
        assertEquals(102, DiffSheet.differenceByte(0f, 0.1f, 8));      // 0.1 * 1020 = 102.0000015
        assertEquals(32, DiffSheet.differenceByte(0.5f, 0.25f, 1));    // 31.875
        assertEquals(0, DiffSheet.differenceByte(0.3f, 0.3f, 8));
        assertEquals(255, DiffSheet.differenceByte(-1f, 1f, 1));       // exactly 255
        assertEquals(255, DiffSheet.differenceByte(0f, 0.3f, 8));      // 306 -> 255
        assertEquals(255, DiffSheet.differenceByte(0f, Float.NaN, 8));
        assertEquals(1, DiffSheet.differenceByte(0f, 0.001f, 8));      // 1.02: below one display level unamplified
    }

    @Test
    void differenceFramesPutEachChannelInItsPlace() {
        // [3, 2, 1, 2]: golden all 0; actual offsets per channel and frame
        long[] shape = {3, 2, 1, 2};
        float[] golden = new float[12];
        float[] actual = {
            0.1f, -0.1f, 0f, 0.05f,      // R: frame 0 (x0, x1), frame 1 (x0, x1)
            0.02f, 0f, -0.3f, 0f,        // G
            -0.05f, 0f, 0f, 0.01f,       // B
        };
        List<BufferedImage> diff = DiffSheet.differenceFrames(golden, shape, actual, shape, 8, 2);
        assertEquals(2, diff.size());
        // frame 0: x0 = (102, 20, 51), x1 = (102, 0, 0); frame 1: x0 = (0, 255, 0), x1 = (51, 0, 10)
        int[][] expected = {{102 << 16 | 20 << 8 | 51, 102 << 16}, {255 << 8, 51 << 16 | 10}};
        for (int f = 0; f < 2; f++) {
            assertEquals(4, diff.get(f).getWidth());
            assertEquals(2, diff.get(f).getHeight());
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 4; x++) {
                    assertEquals(expected[f][x / 2], diff.get(f).getRGB(x, y) & 0xFFFFFF, "frame " + f + " (" + x + "," + y + ")");
                }
            }
        }
    }

    @Test
    void sheetHasGoldenActualAndDifferenceRows(@TempDir Path dir) throws IOException {
        long[] shape = {3, 2, 2, 2};
        float[] golden = new float[24];            // mid grey: 128
        float[] actual = new float[24];
        actual[0] = 0.5f;                          // R of frame 0, pixel (0, 0): 191; diff 0.5 * 127.5 * 2 = 127.5 -> 128
        actual[4 + 3] = -1f;                       // R of frame 1, pixel (1, 1): 0; diff 255
        Path file = dir.resolve("diff.png");
        DiffSheet.write(List.of(new DiffSheet.Comparison("seed 1", golden, shape, actual, shape)), 1, 2, file);
        BufferedImage sheet = ImageIO.read(file.toFile());

        int gap = ContactSheet.GAP;
        int strip = ContactSheet.LABEL_HEIGHT;
        assertEquals(gap + 2 * (2 + gap), sheet.getWidth());
        assertEquals(gap + 3 * (strip + 2 + gap), sheet.getHeight());
        int grey = 0x808080;
        int[][][] rows = { // [row][frame][pixel y*2+x]
            {{grey, grey, grey, grey}, {grey, grey, grey, grey}},
            {{0xBF8080, grey, grey, grey}, {grey, grey, grey, 0x008080}},
            {{0x800000, 0, 0, 0}, {0, 0, 0, 0xFF0000}},
        };
        for (int r = 0; r < 3; r++) {
            int top = gap + r * (strip + 2 + gap) + strip;
            for (int f = 0; f < 2; f++) {
                int left = gap + f * (2 + gap);
                for (int p = 0; p < 4; p++) {
                    assertEquals(rows[r][f][p], sheet.getRGB(left + p % 2, top + p / 2) & 0xFFFFFF,
                            "row " + r + " frame " + f + " pixel " + p);
                }
            }
        }
    }

    @Test
    void rejectsMismatchedShapesAndBadGain() {
        float[] a = new float[3 * 2 * 4 * 4];
        long[] shape = {3, 2, 4, 4};
        assertArgument("actualShape", () -> DiffSheet.differenceFrames(a, shape, new float[3 * 4 * 2 * 4], new long[] {3, 4, 2, 4}, 8, 1));
        assertArgument("actual", () -> DiffSheet.differenceFrames(a, shape, new float[5], shape, 8, 1));
        assertArgument("goldenShape", () -> DiffSheet.differenceFrames(a, new long[] {3, 2, 16}, a, shape, 8, 1));
        assertArgument("amplify", () -> DiffSheet.differenceFrames(a, shape, a, shape, 0, 1));
        assertArgument("amplify", () -> DiffSheet.differenceFrames(a, shape, a, shape, Double.NaN, 1));
        assertArgument("scale", () -> DiffSheet.differenceFrames(a, shape, a, shape, 8, 0));
        assertArgument("actualShape", () -> DiffSheet.compose(
                List.of(new DiffSheet.Comparison("x", a, shape, a.clone(), new long[] {3, 1, 8, 4})), 1, 8));
        assertArgument("comparisons", () -> DiffSheet.compose(List.of(), 1, 8));
    }
}
