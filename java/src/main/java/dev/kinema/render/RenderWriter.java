package dev.kinema.render;

import dev.kinema.Tensor;
import dev.kinema.io.Json;
import dev.kinema.io.Safetensors;
import dev.kinema.video.ContactSheet;
import dev.kinema.video.DiffSheet;
import dev.kinema.video.GifWriter;
import dev.kinema.video.Mp4Writer;
import dev.kinema.video.PngFrames;
import dev.kinema.video.VideoFrames;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of a render directory: per render, PNG frames, an animated GIF, an MP4 and the float
 * output (video.safetensors, the golden a --check compares with); for all renders a contact sheet, a
 * manifest and, after a failed check, a diff sheet. Frames are enlarged {@value #SCALE}x (nearest
 * neighbour) for viewing: the models render 32x32.
 */
public final class RenderWriter {
    public static final int SCALE = 4;
    public static final double FPS = 8;
    static final double DIFF_GAIN = 8;

    private RenderWriter() {
    }

    /** Writes one render under dir/name/; returns the "files" object of its manifest entry (paths relative to dir). */
    public static Map<String, Object> write(Path dir, String name, Renderer.Result r) {
        Path sub = dir.resolve(name);
        long[] shape = shape(r);
        List<BufferedImage> frames = VideoFrames.toImages(r.video(), shape, SCALE);
        try {
            Files.createDirectories(sub);
            List<Path> pngs = PngFrames.write(frames, sub);
            GifWriter.write(frames, FPS, sub.resolve("video.gif"));
            Mp4Writer.write(frames, FPS, sub.resolve("video.mp4"));
            try (Tensor video = Tensor.hostFromFloats(r.video(), shape)) {
                Safetensors.write(sub.resolve("video.safetensors"), Map.of("video", video),
                        Map.of("prompt", r.settings().prompt(), "layout", "[C, F, H, W], [-1, 1]"), true);
            }
            Map<String, Object> files = new LinkedHashMap<>();
            files.put("video", name + "/video.safetensors");
            files.put("gif", name + "/video.gif");
            files.put("mp4", name + "/video.mp4");
            List<String> frameFiles = new ArrayList<>();
            for (Path p : pngs) {
                frameFiles.add(name + "/" + p.getFileName());
            }
            files.put("frames", frameFiles);
            return files;
        } catch (IOException | UncheckedIOException e) {
            // a full disk or a file in the way: leave no render folder that looks complete
            String removed = removeTree(sub) ? "partial files removed" : "partial files left: remove " + sub;
            IOException cause = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            throw new UncheckedIOException("cannot write render " + sub + " (" + removed + "): " + cause.getMessage(), cause);
        } catch (RuntimeException e) {
            removeTree(sub);
            throw e;
        }
    }

    /** Deletes dir and everything under it (links themselves, not their targets); false if some of it stayed. */
    static boolean removeTree(Path dir) {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /** One row per render (its frames left to right), labelled with the prompt and seed. */
    public static void contactSheet(Path file, List<Renderer.Result> results) {
        List<List<BufferedImage>> rows = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Renderer.Result r : results) {
            rows.add(VideoFrames.toImages(r.video(), shape(r), SCALE));
            labels.add(r.settings().prompt() + " (seed " + r.settings().seed() + ")");
        }
        try {
            ContactSheet.write(rows, labels, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Golden, new and amplified difference rows for each failed comparison that has both videos. */
    public static void diffSheet(Path file, List<RegressionCheck.Outcome> failed) {
        List<DiffSheet.Comparison> comparisons = new ArrayList<>();
        for (RegressionCheck.Outcome o : failed) {
            if (o.golden() != null && o.rendered() != null) {
                RenderSettings s = o.entry().settings();
                long[] shape = {3, s.frames(), s.size(), s.size()};
                comparisons.add(new DiffSheet.Comparison(o.entry().name(), o.golden(), shape, o.rendered(), shape));
            }
        }
        if (comparisons.isEmpty()) {
            return;  // every failure was a changed model or an unreadable golden: nothing to show side by side
        }
        try {
            DiffSheet.write(comparisons, SCALE, DIFF_GAIN, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes dir/manifest.json through a temporary file, so a reader never sees half a manifest. */
    public static void writeManifest(Path dir, Map<String, Object> doc) {
        Path target = dir.resolve(Manifest.FILE);
        Path tmp = dir.resolve(Manifest.FILE + ".tmp");
        try {
            Files.writeString(tmp, Json.writeIndented(doc), StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    private static long[] shape(Renderer.Result r) {
        return new long[] {r.channels(), r.frames(), r.settings().size(), r.settings().size()};
    }
}
