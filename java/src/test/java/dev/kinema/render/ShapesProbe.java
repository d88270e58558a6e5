package dev.kinema.render;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads back what a render of the embedded shapes models shows: the colour, the shape and the
 * direction of motion of the one object on the dark background, measured on the float video
 * ([3, F, S, S] in [-1, 1]) the way tools/train-default-model/shapes_data.py draws its clips.
 *
 * <ul>
 *   <li>object pixels: the brightest channel above 0.1, halfway between the background (-0.8) and a
 *       lit channel (+1); every vocabulary colour has one lit channel;</li>
 *   <li>colour: the vocabulary colour nearest to the mean of the object pixels over all frames;</li>
 *   <li>shape: the training shape whose outline best covers the object. Each frame's largest
 *       4-connected patch of object pixels is compared with each shape drawn as shapes_data.py draws
 *       it, with the patch's area and centroid (then nudged by half a pixel and 15% in size, best
 *       kept); the shape with the highest median intersection-over-union wins. Shapes with a quarter
 *       of their edge pixels gone and stray pixels around still read right (ShapesProbeTest);</li>
 *   <li>fill: the object's area over its bounding box's, median over frames (a square fills its box,
 *       a disc pi/4 of it, the training triangle about half). Ragged edges lower it, so it is reported
 *       as a second, stricter reading of the shape ({@code fillShape}), not the shape;</li>
 *   <li>motion: the least-squares slope of the object's centroid over frames (pixels per frame); a
 *       direction is read only when the slope along one axis is at least {@link #MIN_SPEED} and at
 *       least twice the other axis', otherwise the motion is "none" (static) or "diagonal".</li>
 * </ul>
 */
final class ShapesProbe {
    static final Map<String, float[]> COLOURS = Map.of(
            "red", new float[] {1, -1, -1}, "green", new float[] {-1, 1, -1}, "blue", new float[] {-1, -1, 1},
            "yellow", new float[] {1, 1, -1}, "magenta", new float[] {1, -1, 1}, "cyan", new float[] {-1, 1, 1},
            "white", new float[] {1, 1, 1});
    static final List<String> SHAPES = List.of("square", "circle", "triangle");
    /** Bounding-box fill of each training shape (the triangle's is measured on shapes_data's raster). */
    static final Map<String, Double> FILL = Map.of("square", 1.0, "circle", Math.PI / 4, "triangle", 0.56);
    /** Training clips move 2 px a frame; a quarter of that still reads as a direction. */
    static final double MIN_SPEED = 0.5;
    static final float OBJECT_THRESHOLD = 0.1f;

    /** What one render shows; directions are the prompt words, or "none" / "diagonal". */
    record Reading(String colour, String shape, String motion, double vx, double vy, double shapeOverlap,
                   double fill, String fillShape, int emptyFrames) {
        /** True when the prompt "colour shape moving direction" is what this reading says. */
        boolean matches(String prompt) {
            String[] w = prompt.split(" ");
            return w.length == 4 && emptyFrames == 0 && w[0].equals(colour) && w[1].equals(shape)
                    && w[3].equals(motion);
        }

        String describe() {
            return String.format(Locale.ROOT, "%s %s moving %s (%.2f, %.2f px/frame, overlap %.2f, fill %.2f %s%s)",
                    colour, shape, motion, vx, vy, shapeOverlap, fill, fillShape,
                    emptyFrames == 0 ? "" : ", " + emptyFrames + " empty frames");
        }
    }

    private ShapesProbe() {
    }

    static Reading read(float[] video, int frames, int size) {
        int plane = size * size;
        if (video.length != 3 * frames * plane) {
            throw new IllegalArgumentException("video: expected 3 x " + frames + " x " + size + " x " + size
                    + " floats, got " + video.length);
        }
        double[] colourSum = new double[3];
        long objectPixels = 0;
        double[] cx = new double[frames], cy = new double[frames], fills = new double[frames];
        double[][] overlaps = new double[SHAPES.size()][frames];
        boolean[] mask = new boolean[plane];
        boolean[] present = new boolean[frames];
        int empty = 0;
        for (int f = 0; f < frames; f++) {
            long count = 0;
            double sx = 0, sy = 0;
            int minX = size, maxX = -1, minY = size, maxY = -1;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int i = y * size + x;
                    float r = video[f * plane + i], g = video[(frames + f) * plane + i],
                            b = video[(2 * frames + f) * plane + i];
                    mask[i] = Math.max(r, Math.max(g, b)) > OBJECT_THRESHOLD;
                    if (!mask[i]) {
                        continue;
                    }
                    count++;
                    sx += x + 0.5;
                    sy += y + 0.5;
                    colourSum[0] += r;
                    colourSum[1] += g;
                    colourSum[2] += b;
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                    minY = Math.min(minY, y);
                    maxY = Math.max(maxY, y);
                }
            }
            objectPixels += count;
            if (count == 0) {
                empty++;
                continue;
            }
            present[f] = true;
            cx[f] = sx / count;
            cy[f] = sy / count;
            fills[f] = count / (double) ((maxX - minX + 1) * (maxY - minY + 1));
            boolean[] patch = ShapeTemplates.largestPatch(mask, size);
            for (int k = 0; k < SHAPES.size(); k++) {
                overlaps[k][f] = ShapeTemplates.bestOverlap(SHAPES.get(k), patch, size);
            }
        }
        String colour = "none";
        if (objectPixels > 0) {
            double best = Double.MAX_VALUE;
            for (var e : COLOURS.entrySet()) {
                double d = 0;
                for (int c = 0; c < 3; c++) {
                    double diff = colourSum[c] / objectPixels - e.getValue()[c];
                    d += diff * diff;
                }
                if (d < best) {
                    best = d;
                    colour = e.getKey();
                }
            }
        }
        double fill = median(fills, present);
        String fillShape = "none";
        if (objectPixels > 0) {
            double best = Double.MAX_VALUE;
            for (var e : FILL.entrySet()) {
                double d = Math.abs(fill - e.getValue());
                if (d < best) {
                    best = d;
                    fillShape = e.getKey();
                }
            }
        }
        String shape = "none";
        double shapeOverlap = 0;
        for (int k = 0; k < SHAPES.size() && objectPixels > 0; k++) {
            double overlap = median(overlaps[k], present);
            if (overlap > shapeOverlap) {
                shapeOverlap = overlap;
                shape = SHAPES.get(k);
            }
        }
        double vx = slope(cx, present), vy = slope(cy, present);
        return new Reading(colour, shape, direction(vx, vy), vx, vy, shapeOverlap, fill, fillShape, empty);
    }

    static String direction(double vx, double vy) {
        double ax = Math.abs(vx), ay = Math.abs(vy);
        if (Math.max(ax, ay) < MIN_SPEED) {
            return "none";
        }
        if (ax >= 2 * ay) {
            return vx < 0 ? "left" : "right";
        }
        if (ay >= 2 * ax) {
            return vy < 0 ? "up" : "down";
        }
        return "diagonal";
    }

    /** Least-squares slope of v over the frames where the object is present (0 with fewer than two). */
    private static double slope(double[] v, boolean[] present) {
        double n = 0, st = 0, sv = 0, stt = 0, stv = 0;
        for (int t = 0; t < v.length; t++) {
            if (present[t]) {
                n++;
                st += t;
                sv += v[t];
                stt += (double) t * t;
                stv += t * v[t];
            }
        }
        double den = n * stt - st * st;
        return n < 2 || den == 0 ? 0 : (n * stv - st * sv) / den;
    }

    private static double median(double[] v, boolean[] present) {
        double[] kept = new double[v.length];
        int n = 0;
        for (int i = 0; i < v.length; i++) {
            if (present[i]) {
                kept[n++] = v[i];
            }
        }
        if (n == 0) {
            return 0;
        }
        Arrays.sort(kept, 0, n);
        return n % 2 == 1 ? kept[n / 2] : (kept[n / 2 - 1] + kept[n / 2]) / 2;
    }
}
