package dev.kinema.video;

import dev.kinema.InvalidArgumentException;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Lays out several videos as one image, a row per video with its frames left to right, so renders
 * can be compared at a glance (in a review, a report, a bug). Cells are as large as the largest frame,
 * each frame at its cell's top left; {@link #GAP} pixels of background separate cells and surround the
 * grid. With labels, each row has a {@link #LABEL_HEIGHT}-pixel strip above it holding its label in a
 * plain 12-point sans-serif font (clipped at the sheet's right edge).
 *
 * <p>Where a cell starts, so that a reader (or a test) can find a frame:
 * {@code x = GAP + column * (cellWidth + GAP)},
 * {@code y = GAP + row * (labelHeight + cellHeight + GAP) + labelHeight},
 * with labelHeight {@code LABEL_HEIGHT} when labels are given, else 0.
 */
public final class ContactSheet {
    private static final String OP = "ContactSheet.compose";

    /** Background pixels between cells and around the grid. */
    public static final int GAP = 4;
    /** Height of the strip above each row that holds its label, when there are labels. */
    public static final int LABEL_HEIGHT = 16;
    /** The colour of gaps and label strips. */
    public static final Color BACKGROUND = new Color(0x20, 0x20, 0x20);
    private static final Color TEXT = new Color(0xE0, 0xE0, 0xE0);
    private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private ContactSheet() {
    }

    /**
     * The sheet for rows of frames.
     *
     * @param rows one list of frames per row, each with at least one frame
     * @param labels one label per row (null entries draw nothing), or null for no labels
     */
    public static BufferedImage compose(List<List<BufferedImage>> rows, List<String> labels) {
        if (rows == null || rows.isEmpty()) {
            throw new InvalidArgumentException(OP, "rows", "at least one row", rows == null ? "null" : "none");
        }
        if (labels != null && labels.size() != rows.size()) {
            throw new InvalidArgumentException(OP, "labels", "one label per row (" + rows.size() + ") or null",
                    labels.size() + " labels");
        }
        int cellWidth = 0;
        int cellHeight = 0;
        int columns = 0;
        for (int r = 0; r < rows.size(); r++) {
            List<BufferedImage> row = rows.get(r);
            if (row == null || row.isEmpty()) {
                throw new InvalidArgumentException(OP, "rows", "at least one frame in every row",
                        (row == null ? "null" : "no frames") + " in row " + r);
            }
            for (int c = 0; c < row.size(); c++) {
                BufferedImage frame = row.get(c);
                if (frame == null) {
                    throw new InvalidArgumentException(OP, "rows", "no null frames", "null at row " + r + ", column " + c);
                }
                cellWidth = Math.max(cellWidth, frame.getWidth());
                cellHeight = Math.max(cellHeight, frame.getHeight());
            }
            columns = Math.max(columns, row.size());
        }
        int labelHeight = labels == null ? 0 : LABEL_HEIGHT;
        long width = GAP + (long) columns * (cellWidth + GAP);
        long height = GAP + (long) rows.size() * (labelHeight + cellHeight + GAP);
        if (width * height > Integer.MAX_VALUE) {
            throw new InvalidArgumentException(OP, "rows", "a sheet under 2^31 pixels", width + "x" + height + " pixels");
        }
        BufferedImage sheet = new BufferedImage((int) width, (int) height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(FONT);
            g.setColor(TEXT);
            for (int r = 0; r < rows.size(); r++) {
                int top = GAP + r * (labelHeight + cellHeight + GAP);
                String label = labels == null ? null : labels.get(r);
                if (label != null && !label.isEmpty()) {
                    g.drawString(label, GAP, top + labelHeight - 4); // baseline; 4 px for descenders
                }
                List<BufferedImage> row = rows.get(r);
                for (int c = 0; c < row.size(); c++) {
                    copy(row.get(c), sheet, GAP + c * (cellWidth + GAP), top + labelHeight);
                }
            }
        } finally {
            g.dispose();
        }
        return sheet;
    }

    /** Writes the sheet for rows as a PNG file; see {@link #compose}. */
    public static void write(List<List<BufferedImage>> rows, List<String> labels, Path file) throws IOException {
        Checks.path("ContactSheet.write", "file", file);
        PngFrames.writePng(compose(rows, labels), file);
    }

    /** Copies the pixels exactly (no rendering pipeline in between). */
    private static void copy(BufferedImage frame, BufferedImage sheet, int x, int y) {
        int w = frame.getWidth();
        int h = frame.getHeight();
        sheet.setRGB(x, y, w, h, frame.getRGB(0, 0, w, h, null, 0, w), 0, w);
    }
}
