package dev.kinema.render;

import dev.kinema.Backend;
import dev.kinema.Kinema;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Measures how often an embedded shapes model draws what it is asked: renders every prompt of the
 * vocabulary (7 colours x 3 shapes x 4 directions) for seeds 1..N with the default settings (or another
 * guidance scale) and reads each render back with {@link ShapesProbe}. Prints one line per render, then
 * the share of renders with the right colour, shape, direction and all three, the share with the right
 * shape by the stricter bounding-box fill, and what each asked shape was read as.
 *
 * <pre>
 * mvn -q -B -pl java test-compile -Dexec.skip=true
 * java --enable-native-access=ALL-UNNAMED -cp "java/target/test-classes:java/target/kinema.jar:java/target/lib/*" \
 *     dev.kinema.render.ShapesAdherence models/shapes-unet3d 2 [GUIDANCE]
 * </pre>
 */
public final class ShapesAdherence {
    static final List<String> COLOURS = List.of("red", "green", "blue", "yellow", "magenta", "cyan", "white");
    static final List<String> SHAPES = ShapesProbe.SHAPES;
    static final List<String> DIRECTIONS = List.of("left", "right", "up", "down");

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: ShapesAdherence MODEL_FOLDER [SEEDS, default 1] [GUIDANCE, default "
                    + RenderSettings.DEFAULT_GUIDANCE + "]");
            System.exit(2);
        }
        Path folder = Path.of(args[0]);
        int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        double guidance = args.length > 2 ? Double.parseDouble(args[2]) : RenderSettings.DEFAULT_GUIDANCE;
        int renders = 0, colour = 0, shape = 0, fillShape = 0, motion = 0, all = 0;
        int[][] shapeRead = new int[SHAPES.size()][SHAPES.size() + 1];
        int[] motionByDirection = new int[DIRECTIONS.size()], byDirection = new int[DIRECTIONS.size()];
        try (Kinema rt = Kinema.open(Backend.CPU); TextToVideoModel model = TextToVideoModel.open(rt, folder)) {
            Renderer renderer = new Renderer(model);
            for (long seed = 1; seed <= seeds; seed++) {
                for (String c : COLOURS) {
                    for (String s : SHAPES) {
                        for (int d = 0; d < DIRECTIONS.size(); d++) {
                            String prompt = c + " " + s + " moving " + DIRECTIONS.get(d);
                            RenderSettings defaults = RenderSettings.defaults(model, prompt);
                            RenderSettings settings = new RenderSettings(prompt, defaults.negative(), defaults.frames(), defaults.size(),
                                    defaults.steps(), defaults.sampler(), guidance, defaults.eta(), seed);
                            Renderer.Result r = renderer.render(settings, null, null);
                            ShapesProbe.Reading reading = ShapesProbe.read(r.video(), settings.frames(), settings.size());
                            renders++;
                            byDirection[d]++;
                            boolean okColour = reading.colour().equals(c), okShape = reading.shape().equals(s),
                                    okMotion = reading.motion().equals(DIRECTIONS.get(d));
                            colour += okColour ? 1 : 0;
                            shape += okShape ? 1 : 0;
                            fillShape += reading.fillShape().equals(s) ? 1 : 0;
                            int read = SHAPES.indexOf(reading.shape());
                            shapeRead[SHAPES.indexOf(s)][read < 0 ? SHAPES.size() : read]++;
                            motion += okMotion ? 1 : 0;
                            motionByDirection[d] += okMotion ? 1 : 0;
                            all += reading.matches(prompt) ? 1 : 0;
                            System.out.printf(Locale.ROOT, "%-4s %-30s seed %d: %s%n", reading.matches(prompt) ? "ok" : "MISS",
                                    prompt, seed, reading.describe());
                        }
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s, guidance %s, %d renders: colour %s, shape %s, direction %s, all three %s%n", folder,
                guidance, renders, share(colour, renders), share(shape, renders), share(motion, renders), share(all, renders));
        for (int d = 0; d < DIRECTIONS.size(); d++) {
            System.out.printf(Locale.ROOT, "  moving %-5s: direction right in %s%n", DIRECTIONS.get(d),
                    share(motionByDirection[d], byDirection[d]));
        }
        System.out.printf(Locale.ROOT, "  shape by bounding-box fill instead: %s%n", share(fillShape, renders));
        for (int s = 0; s < SHAPES.size(); s++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-8s read as", SHAPES.get(s)));
            for (int read = 0; read < SHAPES.size(); read++) {
                line.append(' ').append(SHAPES.get(read)).append(' ').append(shapeRead[s][read]).append(',');
            }
            System.out.println(line.append(" nothing ").append(shapeRead[s][SHAPES.size()]));
        }
    }

    private static String share(int n, int of) {
        return String.format(Locale.ROOT, "%d/%d (%.0f%%)", n, of, 100.0 * n / of);
    }
}
