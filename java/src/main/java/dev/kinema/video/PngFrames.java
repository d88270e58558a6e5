package dev.kinema.video;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Writes frames as numbered PNG files ({@code frame_000.png}, {@code frame_001.png}, ...) into a
 * directory: lossless, so a frame can be inspected pixel by pixel or fed to other tools. The number
 * has three digits, more when there are over 1000 frames, so the names sort in frame order. Files of
 * the same names are overwritten; other files in the directory are left alone.
 */
public final class PngFrames {
    private static final String OP = "PngFrames.write";

    private PngFrames() {
    }

    /**
     * Writes each frame to {@code directory/frame_NNN.png}, creating the directory if needed.
     *
     * @return the files written, in frame order
     */
    public static List<Path> write(List<BufferedImage> frames, Path directory) throws IOException {
        Checks.frames(OP, frames, false);
        Checks.path(OP, "directory", directory);
        Files.createDirectories(directory);
        List<Path> files = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            Path file = directory.resolve(fileName(i, frames.size()));
            writePng(frames.get(i), file);
            files.add(file);
        }
        return files;
    }

    /** The name of frame index of count: {@code frame_007.png}, with more digits past 1000 frames. */
    static String fileName(int index, int count) {
        int digits = Math.max(3, Integer.toString(count - 1).length());
        return String.format(Locale.ROOT, "frame_%0" + digits + "d.png", index);
    }

    /** Writes one image as a PNG file, replacing the file if it exists. */
    static void writePng(BufferedImage image, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no ImageIO PNG writer for image type " + image.getType());
        }
    }
}
