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
        assertEquals(shape, reading.fillShape(), "the bounding-box fill reads clean shapes too");
        assertTrue(reading.shapeOverlap() > 0.9, "a drawn shape overlaps its template: " + reading.describe());
    }

    /** Every training size (r in [5.12, 6.4]) at pixel and sub-pixel positions reads as its shape. */
    @ParameterizedTest
    @CsvSource({"square", "circle", "triangle"})
    void readsEveryTrainingSizeAndPosition(String shape) {
        for (double r : new double[] {5.12, 5.5, 5.9, 6.4}) {
            for (double offset : new double[] {0, 0.25, 0.5, 0.75}) {
                ShapesProbe.Reading reading = ShapesProbe.read(
                        clip("white", shape, r, 12 + offset, 14 + offset / 2, 1, 0), FRAMES, SIZE);
                assertEquals(shape, reading.shape(), "r " + r + " offset " + offset + ": " + reading.describe());
            }
        }
    }

    /**
     * Shapes with a quarter of their edge pixels eaten away and stray pixels around them, as sampled
     * renders have, keep their shape; the stricter fill reading is shown for contrast.
     */
    @ParameterizedTest
    @CsvSource({"square, 1", "square, 2", "circle, 3", "circle, 4", "triangle, 5", "triangle, 6"})
    void raggedShapesKeepTheirShape(String shape, long seed) {
        float[] video = clip("red", shape, 6.0, 10, 16, 2, 0);
        java.util.Random random = new java.util.Random(seed);
        int plane = SIZE * SIZE;
        for (int f = 0; f < FRAMES; f++) {
            boolean[] on = new boolean[plane];
            for (int i = 0; i < plane; i++) {
                on[i] = video[f * plane + i] > 0;
            }
            for (int i = 0; i < plane; i++) {
                int x = i % SIZE, y = i / SIZE;
                boolean edge = on[i] && (x == 0 || y == 0 || x == SIZE - 1 || y == SIZE - 1 || !on[i - 1]
                        || !on[i + 1] || !on[i - SIZE] || !on[i + SIZE]);
                if (edge && random.nextDouble() < 0.25) {
                    video[f * plane + i] = -0.8f;
                }
            }
            for (int stray = 0; stray < 3; stray++) {
                video[f * plane + random.nextInt(plane)] = 1f;
            }
        }
        ShapesProbe.Reading reading = ShapesProbe.read(video, FRAMES, SIZE);
        assertEquals(shape, reading.shape(), reading.describe());
        assertEquals("red", reading.colour());
        assertEquals("right", reading.motion());
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
