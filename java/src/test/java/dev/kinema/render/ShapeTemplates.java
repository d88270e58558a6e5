package dev.kinema.render;

import java.util.ArrayDeque;

/**
 * The training shapes drawn the way tools/train-default-model/shapes_data.py draws them (pixel
 * centres at +0.5, "radius" r), fitted to an object patch for {@link ShapesProbe}'s shape reading.
 */
final class ShapeTemplates {
    /** Relative sizes and half-pixel shifts tried around the area-and-centroid fit; the best is kept. */
    private static final double[] SCALES = {0.85, 1.0, 1.15};
    private static final double[] SHIFTS = {-0.5, 0.0, 0.5};

    private ShapeTemplates() {
    }

    /** shapes_data._mask: whether the pixel centre at (dx, dy) from the shape's centre is inside. */
    static boolean inside(String shape, double dx, double dy, double r) {
        return switch (shape) {
            case "square" -> Math.abs(dx) <= r && Math.abs(dy) <= r;
            case "circle" -> dx * dx + dy * dy <= r * r;
            case "triangle" -> dy <= r && dy >= -r && Math.abs(dx) <= (dy + r) * 0.5 + 0.5;
            default -> throw new IllegalArgumentException("shape: expected square, circle or triangle, got " + shape);
        };
    }

    /** The largest 4-connected patch of mask (size x size), so that stray pixels do not enter the fit. */
    static boolean[] largestPatch(boolean[] mask, int size) {
        int[] label = new int[mask.length];
        int bestLabel = 0, bestCount = 0, next = 0;
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int start = 0; start < mask.length; start++) {
            if (!mask[start] || label[start] != 0) {
                continue;
            }
            int id = ++next, count = 0;
            label[start] = id;
            queue.add(start);
            while (!queue.isEmpty()) {
                int i = queue.poll(), x = i % size, y = i / size;
                count++;
                int[] neighbours = {x > 0 ? i - 1 : -1, x < size - 1 ? i + 1 : -1, y > 0 ? i - size : -1,
                        y < size - 1 ? i + size : -1};
                for (int n : neighbours) {
                    if (n >= 0 && mask[n] && label[n] == 0) {
                        label[n] = id;
                        queue.add(n);
                    }
                }
            }
            if (count > bestCount) {
                bestCount = count;
                bestLabel = id;
            }
        }
        boolean[] patch = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) {
            patch[i] = bestLabel != 0 && label[i] == bestLabel;
        }
        return patch;
    }

    /**
     * The best intersection-over-union of patch with shape: the shape is sized to the patch's area and
     * centred on its centroid (closed forms below), then tried at {@link #SCALES} x {@link #SHIFTS}.
     */
    static double bestOverlap(String shape, boolean[] patch, int size) {
        double area = 0, mx = 0, my = 0;
        for (int i = 0; i < patch.length; i++) {
            if (patch[i]) {
                area++;
                mx += i % size + 0.5;
                my += i / size + 0.5;
            }
        }
        if (area == 0) {
            return 0;
        }
        mx /= area;
        my /= area;
        // Areas as functions of r: square (2r)^2, disc pi r^2, triangle 2r^2 + 2r (its rows are
        // (dy + r) + 1 wide); the triangle's centroid lies r^2 / (3 (r + 1)) below its centre.
        double r = switch (shape) {
            case "square" -> Math.sqrt(area) / 2;
            case "circle" -> Math.sqrt(area / Math.PI);
            default -> (Math.sqrt(1 + 2 * area) - 1) / 2;
        };
        double centreY = shape.equals("triangle") ? my - r * r / (3 * (r + 1)) : my;
        double best = 0;
        for (double scale : SCALES) {
            for (double sy : SHIFTS) {
                for (double sx : SHIFTS) {
                    best = Math.max(best, overlap(shape, patch, size, mx + sx, centreY + sy, r * scale));
                }
            }
        }
        return best;
    }

    private static double overlap(String shape, boolean[] patch, int size, double cx, double cy, double r) {
        int both = 0, either = 0;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean in = inside(shape, x + 0.5 - cx, y + 0.5 - cy, r), on = patch[y * size + x];
                both += in && on ? 1 : 0;
                either += in || on ? 1 : 0;
            }
        }
        return either == 0 ? 0 : both / (double) either;
    }
}
