package dev.kinema.cli;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.render.Manifest;
import dev.kinema.render.OutputDirectory;
import dev.kinema.render.RegressionCheck;
import dev.kinema.render.RenderWriter;
import dev.kinema.render.Renderer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code kinema render --check DIR}: re-renders every render of DIR/manifest.json with its settings
 * (on --backend, default the manifest's), compares each frame with the golden float output by PSNR
 * and passes when every frame reaches --psnr dB (default {@value RegressionCheck#DEFAULT_PSNR_DB}).
 * Exit 0 when all pass, 1 otherwise; on failure a diff sheet (golden, new, amplified difference per
 * frame) and the new renders go to --out (default renders/check).
 */
final class CheckCommand {
    private static final Set<String> RENDER_ONLY = Set.of("model", "prompt", "negative", "frames", "size", "steps",
            "sampler", "guidance", "eta", "seed");

    private final CommandLine line;
    private final PrintStream out;
    private final PrintStream err;

    CheckCommand(CommandLine line, PrintStream out, PrintStream err) {
        this.line = line;
        this.out = out;
        this.err = err;
    }

    int run() {
        for (String option : RENDER_ONLY) {
            if (line.option(option) != null) {
                throw new UsageException("render: --" + option + " cannot be combined with --check (the manifest holds "
                        + "the settings)");
            }
        }
        Path dir = Path.of(line.option("check"));
        Manifest manifest = Manifest.read(dir);
        double threshold = psnr();
        Backend backend = Main.parseBackend("render",
                line.option("backend") == null ? manifest.backend() : line.option("backend"));
        Path outDir = Path.of(line.option("out") == null ? "renders/check" : line.option("out"));
        OutputDirectory.check(outDir, line.flag("force"), "--out");
        List<RegressionCheck.Outcome> outcomes = new ArrayList<>();
        try (Kinema rt = Kinema.open(backend)) {
            Integer threads = line.integer("threads");
            if (threads != null) {
                rt.setNumThreads(threads);
            }
            try (LoadedModels models = new LoadedModels(rt, err)) {
                for (int i = 0; i < manifest.renders().size(); i++) {
                    Manifest.Entry e = manifest.renders().get(i);
                    Renderer renderer = models.renderer(e.modelPath());
                    String label = String.format("(%d/%d) check %s", i + 1, manifest.renders().size(), e.name());
                    RegressionCheck.Outcome o;
                    if (!renderer.model().sha256().equals(e.modelSha256())) {
                        o = RegressionCheck.Outcome.modelChanged(e, renderer.model().sha256());
                    } else {
                        Renderer.Result r = renderer.render(e.settings(),
                                new ProgressBar(err, label, ProgressBar.stderrIsTerminal()), null);
                        o = RegressionCheck.compare(dir, e, r, threshold);
                    }
                    outcomes.add(o);
                    out.println(o.summary());
                }
            }
        }
        List<RegressionCheck.Outcome> failed = outcomes.stream().filter(o -> !o.passed()).toList();
        if (failed.isEmpty()) {
            out.printf("check passed: %d render%s of %s on %s reach %.1f dB%n", outcomes.size(),
                    outcomes.size() == 1 ? "" : "s", dir, backend.id(), threshold);
            return Main.OK;
        }
        OutputDirectory.prepare(outDir, line.flag("force"), "--out");
        Path sheet = outDir.resolve("diff_sheet.png");
        RenderWriter.diffSheet(sheet, failed);
        out.printf("check FAILED: %d of %d render%s below %.1f dB; diff sheet: %s%n", failed.size(), outcomes.size(),
                outcomes.size() == 1 ? "" : "s", threshold, sheet);
        return Main.CHECK_FAILED;
    }

    private double psnr() {
        String v = line.option("psnr");
        if (v == null) {
            return RegressionCheck.DEFAULT_PSNR_DB;
        }
        try {
            double db = Double.parseDouble(v);
            if (db > 0 && !Double.isNaN(db)) {
                return db;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new UsageException("render: --psnr expects a positive number of dB, got '" + v + "'");
    }
}
