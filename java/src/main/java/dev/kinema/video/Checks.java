package dev.kinema.video;

import dev.kinema.InvalidArgumentException;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

/** Argument checks shared by the writers of this package; each failure names the argument. */
final class Checks {
    /** The frame rates the writers accept, frames per second. */
    static final double MIN_FPS = 0.001;
    static final double MAX_FPS = 1000;

    private Checks() {
    }

    /** An enlargement factor >= 1 that keeps a width x height frame under 2^31 pixels. */
    static void scale(String op, int scale, int width, int height) {
        if (scale < 1) {
            throw new InvalidArgumentException(op, "scale", "an integer >= 1", Integer.toString(scale));
        }
        if ((long) width * scale * height * scale > Integer.MAX_VALUE) {
            throw new InvalidArgumentException(op, "scale", "a scale that keeps a frame under 2^31 pixels",
                    scale + " for " + width + "x" + height + " frames");
        }
    }

    static void fps(String op, double fps) {
        if (!(fps >= MIN_FPS && fps <= MAX_FPS)) {
            throw new InvalidArgumentException(op, "fps", "a frame rate in [" + MIN_FPS + ", " + MAX_FPS + "]",
                    Double.toString(fps));
        }
    }

    static void path(String op, String argument, Path path) {
        if (path == null) {
            throw new InvalidArgumentException(op, argument, "a path", "null");
        }
    }

    /** A non-empty list of frames without nulls; with sameSize, all frames as large as the first. */
    static void frames(String op, List<BufferedImage> frames, boolean sameSize) {
        if (frames == null || frames.isEmpty()) {
            throw new InvalidArgumentException(op, "frames", "at least one frame", frames == null ? "null" : "none");
        }
        BufferedImage first = frames.get(0);
        for (int i = 0; i < frames.size(); i++) {
            BufferedImage frame = frames.get(i);
            if (frame == null) {
                throw new InvalidArgumentException(op, "frames", "no null frames", "null at index " + i);
            }
            if (sameSize && first != null && (frame.getWidth() != first.getWidth() || frame.getHeight() != first.getHeight())) {
                throw new InvalidArgumentException(op, "frames", "frames of one size, " + size(first) + " as frame 0",
                        size(frame) + " at index " + i);
            }
        }
    }

    static String size(BufferedImage image) {
        return image.getWidth() + "x" + image.getHeight();
    }
}
