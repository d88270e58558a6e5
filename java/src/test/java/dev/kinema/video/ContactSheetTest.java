package dev.kinema.video;

import static dev.kinema.video.VideoFramesTest.assertArgument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContactSheetTest {
    private static final int BACKGROUND = ContactSheet.BACKGROUND.getRGB() & 0xFFFFFF;

    @TempDir
    Path dir;

    @Test
    void placesFramesInAGridWithGaps() {
        // row 0: three 8x6 frames; row 1: two 5x4 frames. Cells 8x6, gap 4.
        List<List<BufferedImage>> rows = List.of(
                List.of(solid(8, 6, 0xFF0000), solid(8, 6, 0x00FF00), solid(8, 6, 0x0000FF)),
                List.of(solid(5, 4, 0x111111), solid(5, 4, 0xEEEEEE)));
        BufferedImage sheet = ContactSheet.compose(rows, null);
        assertEquals(4 + 3 * (8 + 4), sheet.getWidth());
        assertEquals(4 + 2 * (6 + 4), sheet.getHeight());
        int[][] expected = expectedSheet(sheet.getWidth(), sheet.getHeight());
        fill(expected, 4, 4, 8, 6, 0xFF0000);
        fill(expected, 16, 4, 8, 6, 0x00FF00);
        fill(expected, 28, 4, 8, 6, 0x0000FF);
        fill(expected, 4, 14, 5, 4, 0x111111);
        fill(expected, 16, 14, 5, 4, 0xEEEEEE);
        assertSheet(expected, sheet);
    }

    @Test
    void labelsGetAStripAboveTheirRow() {
        List<List<BufferedImage>> rows = List.of(List.of(solid(40, 6, 0xFF0000)), List.of(solid(40, 6, 0x00FF00)));
        BufferedImage sheet = ContactSheet.compose(rows, Arrays.asList("golden", null));
        int strip = ContactSheet.LABEL_HEIGHT;
        assertEquals(4 + 40 + 4, sheet.getWidth());
        assertEquals(4 + 2 * (strip + 6 + 4), sheet.getHeight());
        int top0 = 4 + strip;
        int top1 = 4 + (strip + 6 + 4) + strip;
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 40; x++) {
                assertEquals(0xFF0000, sheet.getRGB(4 + x, top0 + y) & 0xFFFFFF);
                assertEquals(0x00FF00, sheet.getRGB(4 + x, top1 + y) & 0xFFFFFF);
            }
        }
        int text = 0;
        for (int y = 4; y < 4 + strip; y++) {
            for (int x = 0; x < sheet.getWidth(); x++) {
                text += (sheet.getRGB(x, y) & 0xFFFFFF) != BACKGROUND ? 1 : 0;
                // the null label draws nothing
                assertEquals(BACKGROUND, sheet.getRGB(x, y + strip + 6 + 4) & 0xFFFFFF);
            }
        }
        assertTrue(text > 10, "label text drawn: " + text + " pixels");
    }

    @Test
    void writesAPng(@TempDir Path out) throws IOException {
        List<List<BufferedImage>> rows = List.of(List.of(solid(3, 3, 0x123456), solid(3, 3, 0x654321)));
        Path file = out.resolve("sheet.png");
        ContactSheet.write(rows, List.of("a"), file);
        PngFramesTest.assertPixelsEqual(ContactSheet.compose(rows, List.of("a")), ImageIO.read(file.toFile()));
    }

    @Test
    void rejectsBadRowsAndLabels() {
        BufferedImage frame = solid(2, 2, 0);
        assertArgument("rows", () -> ContactSheet.compose(List.of(), null));
        assertArgument("rows", () -> ContactSheet.compose(List.of(List.of(frame), List.of()), null));
        assertArgument("rows", () -> ContactSheet.compose(List.of(Arrays.asList(frame, null)), null));
        assertArgument("labels", () -> ContactSheet.compose(List.of(List.of(frame)), List.of("a", "b")));
    }

    static BufferedImage solid(int width, int height, int rgb) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, rgb);
            }
        }
        return image;
    }

    static int[][] expectedSheet(int width, int height) {
        int[][] expected = new int[height][width];
        for (int[] row : expected) {
            Arrays.fill(row, BACKGROUND);
        }
        return expected;
    }

    static void fill(int[][] expected, int x0, int y0, int width, int height, int rgb) {
        for (int y = y0; y < y0 + height; y++) {
            for (int x = x0; x < x0 + width; x++) {
                expected[y][x] = rgb;
            }
        }
    }

    static void assertSheet(int[][] expected, BufferedImage sheet) {
        for (int y = 0; y < expected.length; y++) {
            for (int x = 0; x < expected[0].length; x++) {
                assertEquals(expected[y][x], sheet.getRGB(x, y) & 0xFFFFFF, "(" + x + "," + y + ")");
            }
        }
    }
}
