package dev.kinema.video;

import dev.kinema.InvalidArgumentException;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shows a regression failure: for each video, three rows of a {@link ContactSheet}, the golden frames,
 * the actual (new) frames, and their difference amplified so that small errors are visible.
 *
 * <p>A difference pixel is, per channel, {@code min(255, rint(|golden - actual| * 127.5 * amplify))}
 * on the raw floats: 127.5 is the [-1, 1] to 0..255 pixel scale, so with amplify 1 a channel shows the
 * difference in display levels, with amplify 8 eight times that. Raw floats, not the rounded bytes, so
 * values outside [-1, 1] and differences under one display level still show. A NaN in either video
 * shows as 255.
 */
public final class DiffSheet {
    private static final String OP = "DiffSheet.compose";

    /** One video pair: a label and the golden and actual renders, each floats in [3, F, H, W] order. */
    public record Comparison(String label, float[] golden, long[] goldenShape, float[] actual, long[] actualShape) {
    }

    private DiffSheet() {
    }

    /**
     * The sheet: three rows per comparison (golden, actual, amplified difference), labelled.
     *
     * @param scale nearest-neighbour enlargement of every frame, >= 1
     * @param amplify the difference gain, > 0 (e.g. 8)
     */
    public static BufferedImage compose(List<Comparison> comparisons, int scale, double amplify) {
        if (comparisons == null || comparisons.isEmpty()) {
            throw new InvalidArgumentException(OP, "comparisons", "at least one comparison",
                    comparisons == null ? "null" : "none");
        }
        List<List<BufferedImage>> rows = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < comparisons.size(); i++) {
            Comparison comparison = comparisons.get(i);
            if (comparison == null) {
                throw new InvalidArgumentException(OP, "comparisons", "no null comparisons", "null at index " + i);
            }
            String name = comparison.label() == null || comparison.label().isEmpty() ? "" : comparison.label() + ": ";
            List<BufferedImage> difference = differenceFrames(comparison.golden(), comparison.goldenShape(),
                    comparison.actual(), comparison.actualShape(), amplify, scale);
            rows.add(VideoFrames.toImages(comparison.golden(), comparison.goldenShape(), scale));
            rows.add(VideoFrames.toImages(comparison.actual(), comparison.actualShape(), scale));
            rows.add(difference);
            labels.add(name + "golden");
            labels.add(name + "actual");
            labels.add(name + "|golden - actual| x" + formatGain(amplify));
        }
        return ContactSheet.compose(rows, labels);
    }

    /** Writes the sheet as a PNG file; see {@link #compose}. */
    public static void write(List<Comparison> comparisons, int scale, double amplify, Path file) throws IOException {
        Checks.path("DiffSheet.write", "file", file);
        PngFrames.writePng(compose(comparisons, scale, amplify), file);
    }

    /**
     * The amplified difference of two renders of one shape, one RGB image per frame, each pixel
     * repeated into a scale x scale block.
     */
    public static List<BufferedImage> differenceFrames(float[] golden, long[] goldenShape, float[] actual,
                                                       long[] actualShape, double amplify, int scale) {
        String op = "DiffSheet.differenceFrames";
        VideoShape shape = VideoShape.of(op, "golden", golden, "goldenShape", goldenShape);
        VideoShape.of(op, "actual", actual, "actualShape", actualShape);
        if (!Arrays.equals(goldenShape, actualShape)) {
            throw new InvalidArgumentException(op, "actualShape", "the golden shape " + Arrays.toString(goldenShape),
                    Arrays.toString(actualShape));
        }
        if (!(amplify > 0 && amplify < Double.POSITIVE_INFINITY)) {
            throw new InvalidArgumentException(op, "amplify", "a finite gain > 0", Double.toString(amplify));
        }
        Checks.scale(op, scale, shape.width(), shape.height());
        List<BufferedImage> frames = new ArrayList<>(shape.frames());
        for (int f = 0; f < shape.frames(); f++) {
            int red = shape.planeOffset(0, f);
            int green = shape.planeOffset(1, f);
            int blue = shape.planeOffset(2, f);
            int[] rgb = new int[shape.planeSize()];
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] = differenceByte(golden[red + i], actual[red + i], amplify) << 16
                        | differenceByte(golden[green + i], actual[green + i], amplify) << 8
                        | differenceByte(golden[blue + i], actual[blue + i], amplify);
            }
            frames.add(VideoFrames.enlarged(rgb, shape.width(), shape.height(), scale));
        }
        return frames;
    }

    /** One channel of a difference pixel: {@code min(255, rint(|golden - actual| * 127.5 * amplify))}, NaN 255. */
    public static int differenceByte(float golden, float actual, double amplify) {
        double level = Math.abs((double) golden - actual) * 127.5 * amplify;
        if (!(level < 255)) {
            return 255; // large, infinite or NaN
        }
        return (int) Math.rint(level);
    }

    private static String formatGain(double amplify) {
        return amplify == Math.rint(amplify) && amplify < 1e9 ? Long.toString((long) amplify) : Double.toString(amplify);
    }
}
