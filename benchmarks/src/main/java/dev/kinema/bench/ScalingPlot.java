package dev.kinema.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * The PNG of {@link AttentionScaling}: (a) time per call and (b) peak memory against frames, log-log,
 * one colour per mode; measured values are solid lines with dots, the expected growth a dashed line of
 * the same colour anchored at the mode's smallest frame count (time grows as T^timePower, memory as T).
 * Plain java.awt, headless, so the benchmarks need no plotting dependency.
 *
 * <p>Usage: {@code ScalingPlot.plot(points, Path.of("attention-scaling.png"))}.
 */
final class ScalingPlot {
    /** One measured point; timePower is the expected exponent of time against frames (1 or 2). */
    record Point(String mode, int frames, double medianMs, double peakMib, int timePower) {
    }

    private static final int WIDTH = 1200, HEIGHT = 600, TOP = 70, BOTTOM = 470, PANEL_WIDTH = 470;
    private static final int[] PANEL_LEFT = {90, 680};
    private static final Map<String, Color> COLOURS = Map.of("per_frame", new Color(31, 119, 180),
            "sparse_causal", new Color(255, 127, 14), "all", new Color(44, 160, 44), "temporal", new Color(214, 39, 40));
    private static final Stroke THIN = new BasicStroke(1f);
    private static final Stroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
            new float[] {9, 6}, 0);

    private ScalingPlot() {
    }

    static void plot(List<Point> points, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        int threads = Integer.getInteger("kinema.bench.threads", 2);
        center(g, "Attention scaling, cpu backend, " + threads + " threads, 1024 tokens x 8 heads x 40", WIDTH / 2, 32);
        List<String> modes = points.stream().map(Point::mode).distinct().toList();
        panel(g, PANEL_LEFT[0], "(a) time per call", "ms per call", points, modes, Point::medianMs, p -> p.timePower());
        panel(g, PANEL_LEFT[1], "(b) peak memory above the runtime's baseline", "MiB", points, modes, Point::peakMib, p -> 1);
        if (modes.size() > 1 && memoryCoincides(points)) {
            g.setFont(new Font(Font.SANS_SERIF, Font.ITALIC, 13));
            String note = "the modes' lines coincide: q, k, v and y dominate";
            g.setColor(Color.DARK_GRAY);
            g.drawString(note, PANEL_LEFT[1] + PANEL_WIDTH - 12 - g.getFontMetrics().stringWidth(note), BOTTOM - 14);
        }
        legend(g, modes, points);
        g.dispose();
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ImageIO.write(image, "png", png.toFile());
    }

    private static void panel(Graphics2D g, int left, String title, String unit, List<Point> points, List<String> modes,
                              ToDoubleFunction<Point> value, ToDoubleFunction<Point> power) {
        int[] frames = points.stream().mapToInt(Point::frames).distinct().sorted().toArray();
        double xLo = Math.log10(frames[0]), xHi = Math.log10(frames[frames.length - 1]);
        double xPad = xHi > xLo ? 0.08 * (xHi - xLo) : 0.3;
        double[] x = {xLo - xPad, xHi + xPad};
        double yLo = Double.MAX_VALUE, yHi = -Double.MAX_VALUE;
        for (Point p : points) { // the range covers the measured and the expected values
            double v = Math.log10(Math.max(value.applyAsDouble(p), 1e-3)), e = Math.log10(expected(p, points, value, power));
            yLo = Math.min(yLo, Math.min(v, e));
            yHi = Math.max(yHi, Math.max(v, e));
        }
        double yPad = Math.max(0.08 * (yHi - yLo), 0.25);
        double[] y = {yLo - yPad, yHi + yPad};
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.setStroke(THIN);
        boolean dense = y[1] - y[0] > 2.2; // over ~2 decades only the powers of ten get labels
        for (int k = (int) Math.floor(y[0]); k <= Math.ceil(y[1]); k++) {
            for (int m : y[1] - y[0] < 1 ? new int[] {1, 2, 3, 4, 5, 6, 8} : new int[] {1, 2, 5}) {
                double ly = Math.log10(m) + k;
                if (ly < y[0] || ly > y[1]) {
                    continue;
                }
                int py = py(ly, y);
                g.setColor(m == 1 ? new Color(215, 215, 215) : new Color(238, 238, 238));
                g.drawLine(left, py, left + PANEL_WIDTH, py);
                if (m == 1 || !dense) {
                    g.setColor(Color.BLACK);
                    String label = new BigDecimal(m * Math.pow(10, k), MathContext.DECIMAL32).stripTrailingZeros().toPlainString();
                    g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), py + 5);
                }
            }
        }
        for (int f : frames) {
            int px = px(Math.log10(f), x, left);
            g.setColor(new Color(225, 225, 225));
            g.drawLine(px, TOP, px, BOTTOM);
            g.setColor(Color.BLACK);
            center(g, Integer.toString(f), px, BOTTOM + 20);
        }
        g.drawRect(left, TOP, PANEL_WIDTH, BOTTOM - TOP);
        center(g, "frames (log scale)", left + PANEL_WIDTH / 2, BOTTOM + 42);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        center(rotated, unit + " (log scale)", -(TOP + BOTTOM) / 2, left - 58);
        rotated.dispose();
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        center(g, title, left + PANEL_WIDTH / 2, TOP - 10);
        for (int pass = 0; pass < 2; pass++) { // the dashed lines last, on top of the measured ones
            for (String mode : modes) {
                List<Point> series = points.stream().filter(p -> p.mode().equals(mode)).toList();
                float width = lineWidth(modes, mode);
                int dot = pass == 0 ? Math.round(2 * width + 4) : 0;
                g.setColor(COLOURS.getOrDefault(mode, Color.GRAY));
                g.setStroke(pass == 0 ? new BasicStroke(width) : DASHED);
                ToDoubleFunction<Point> f = pass == 0 ? value : p -> expected(p, points, value, power);
                int[] xs = series.stream().mapToInt(p -> px(Math.log10(p.frames()), x, left)).toArray();
                int[] ys = series.stream().mapToInt(p -> py(Math.log10(Math.max(f.applyAsDouble(p), 1e-3)), y)).toArray();
                g.drawPolyline(xs, ys, xs.length);
                for (int i = 0; i < xs.length && dot > 0; i++) {
                    g.fillOval(xs[i] - dot / 2, ys[i] - dot / 2, dot, dot);
                }
            }
        }
    }

    /** True when, at every frame count, the modes' peak memories are within 5% of each other. */
    private static boolean memoryCoincides(List<Point> points) {
        return points.stream().collect(java.util.stream.Collectors.groupingBy(Point::frames)).values().stream()
                .allMatch(same -> {
                    double lo = same.stream().mapToDouble(Point::peakMib).min().orElse(0);
                    double hi = same.stream().mapToDouble(Point::peakMib).max().orElse(0);
                    return hi <= lo * 1.05;
                });
    }

    /** The mode's smallest-frames value scaled by (frames / its frames)^power. */
    private static double expected(Point p, List<Point> points, ToDoubleFunction<Point> value, ToDoubleFunction<Point> power) {
        Point anchor = points.stream().filter(a -> a.mode().equals(p.mode()))
                .min((a, b) -> Integer.compare(a.frames(), b.frames())).orElseThrow();
        return Math.max(value.applyAsDouble(anchor), 1e-3) * Math.pow((double) p.frames() / anchor.frames(), power.applyAsDouble(p));
    }

    private static void legend(Graphics2D g, List<String> modes, List<Point> points) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int x = PANEL_LEFT[0], y = BOTTOM + 80;
        for (String mode : modes) {
            int power = points.stream().filter(p -> p.mode().equals(mode)).findFirst().orElseThrow().timePower();
            String text = mode + (mode.equals("temporal") ? "  (time ∝ T², the FLOPs; its memory traffic ∝ T)"
                    : power == 2 ? "  (time ∝ T²)" : "  (time ∝ T)");
            if (x > PANEL_LEFT[0] && x + 38 + g.getFontMetrics().stringWidth(text) > WIDTH - 20) {
                x = PANEL_LEFT[0]; // next row
                y += 22;
            }
            float width = lineWidth(modes, mode);
            int dot = Math.round(2 * width + 4);
            g.setColor(COLOURS.getOrDefault(mode, Color.GRAY));
            g.setStroke(new BasicStroke(width));
            g.drawLine(x, y - 5, x + 30, y - 5);
            g.fillOval(x + 15 - dot / 2, y - 5 - dot / 2, dot, dot);
            g.setColor(Color.BLACK);
            g.drawString(text, x + 38, y);
            x += 38 + g.getFontMetrics().stringWidth(text) + 30;
        }
        y += 26;
        g.setStroke(DASHED);
        g.drawLine(PANEL_LEFT[0], y - 5, PANEL_LEFT[0] + 30, y - 5);
        g.drawString("solid with dots: measured;  dashed: expected growth, anchored at each mode's smallest frame count"
                + " (memory: ∝ T for every mode: q, k, v, y)", PANEL_LEFT[0] + 38, y);
    }

    /** Earlier modes get wider lines and dots, so series that coincide (the memory panel) stay visible. */
    private static float lineWidth(List<String> modes, String mode) {
        return 2f + 0.9f * (modes.size() - 1 - modes.indexOf(mode));
    }

    private static int px(double lx, double[] x, int left) {
        return left + (int) Math.round((lx - x[0]) / (x[1] - x[0]) * PANEL_WIDTH);
    }

    private static int py(double ly, double[] y) {
        return BOTTOM - (int) Math.round((ly - y[0]) / (y[1] - y[0]) * (BOTTOM - TOP));
    }

    private static void center(Graphics2D g, String text, int cx, int baseline) {
        g.drawString(text, cx - g.getFontMetrics().stringWidth(text) / 2, baseline);
    }
}
