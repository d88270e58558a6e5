package dev.kinema.render;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The probe reads back clips drawn like shapes_data.py's (same masks, colours and background). */
class ShapesProbeTest {
    static final int FRAMES = 8, SIZE = 32;

    /** shapes_data.clip: shape of radius r starting at (x0, y0), moving (vx, vy) px a frame. */
    static float[] clip(String colour, String shape, double r, double x0, double y0, double vx, double vy) {
        int plane = SIZE * SIZE;
        float[] out = new float[3 * FRAMES * plane];
        java.util.Arrays.fill(out, -0.8f);
        float[] rgb = ShapesProbe.COLOURS.get(colour);
        for (int f = 0; f < FRAMES; f++) {
            double cx = x0 + vx * f, cy = y0 + vy * f;
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                    boolean inside = switch (shape) {
                        case "square" -> Math.abs(dx) <= r && Math.abs(dy) <= r;
                        case "circle" -> dx * dx + dy * dy <= r * r;
                        default -> dy <= r && dy >= -r && Math.abs(dx) <= (dy + r) * 0.5 + 0.5;
                    };
                    if (inside) {
                        for (int c = 0; c < 3; c++) {
                            out[(c * FRAMES + f) * plane + y * SIZE + x] = rgb[c];
                        }
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({
        "red, square, 5.2, 22, 16, -2, 0, left",
        "green, triangle, 6.3, 16, 23, 0, -2, up",
        "blue, circle, 5.8, 8, 12, 2, 0, right",
        "yellow, square, 6.0, 14, 8, 0, 2, down",
        "magenta, circle, 5.1, 9, 20, 2, 0, right",
        "cyan, triangle, 5.5, 24, 17, -2, 0, left",
        "white, circle, 6.4, 16, 9, 0, 2, down",
    })
    void readsTheTrainingClips(String colour, String shape, double r, double x0, double y0, double vx, double vy,
                               String motion) {
        ShapesProbe.Reading reading = ShapesProbe.read(clip(colour, shape, r, x0, y0, vx, vy), FRAMES, SIZE);
        String prompt = colour + " " + shape + " moving " + motion;
        assertTrue(reading.matches(prompt), prompt + " read as " + reading.describe());
        assertEquals(vx, reading.vx(), 0.05);
        assertEquals(vy, reading.vy(), 0.05);
    }

    @Test
    void staticAndDiagonalObjectsHaveNoDirection() {
        assertEquals("none", ShapesProbe.read(clip("red", "square", 5, 16, 16, 0, 0), FRAMES, SIZE).motion());
        assertEquals("none", ShapesProbe.read(clip("red", "square", 5, 16, 16, 0.3, 0), FRAMES, SIZE).motion());
        assertEquals("diagonal", ShapesProbe.read(clip("red", "square", 5, 9, 9, 1.5, 1.5), FRAMES, SIZE).motion());
        assertEquals("right", ShapesProbe.read(clip("red", "square", 5, 9, 9, 1.5, 0.5), FRAMES, SIZE).motion());
    }

    @Test
    void anEmptyVideoMatchesNoPrompt() {
        float[] empty = new float[3 * FRAMES * SIZE * SIZE];
        java.util.Arrays.fill(empty, -0.8f);
        ShapesProbe.Reading reading = ShapesProbe.read(empty, FRAMES, SIZE);
        assertEquals(FRAMES, reading.emptyFrames());
        assertFalse(reading.matches("red square moving left"));
    }
}
