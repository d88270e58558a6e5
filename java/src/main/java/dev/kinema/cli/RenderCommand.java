package dev.kinema.cli;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.render.Manifest;
import dev.kinema.render.OutputDirectory;
import dev.kinema.render.RegressionSet;
import dev.kinema.render.RenderSettings;
import dev.kinema.render.RenderWriter;
import dev.kinema.render.Renderer;
import dev.kinema.render.TextToVideoModel;
import dev.kinema.sampling.SamplerPlan;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kinema render}: text-to-video renders with a pipeline folder (default: the embedded shapes
 * U-Net). Without --prompt it renders the regression set ({@link RegressionSet}); with --check DIR it
 * re-renders DIR's manifest and compares ({@link CheckCommand}). Writes per render PNG frames, a GIF,
 * an MP4 and the float output (video.safetensors), plus a contact sheet and manifest.json for all.
 */
final class RenderCommand {
    static final Set<String> VALUED = Set.of("model", "prompt", "negative", "frames", "size", "steps", "sampler",
            "guidance", "eta", "seed", "backend", "threads", "out", "check", "psnr");
    static final String DEFAULT_MODEL = RegressionSet.UNET3D;

    private final CommandLine line;
    private final PrintStream out;
    private final PrintStream err;

    RenderCommand(List<String> args, PrintStream out, PrintStream err) {
        this.line = new CommandLine("render", args, VALUED, Set.of("force"));
        this.out = out;
        this.err = err;
    }

    int run() {
        line.noPositional();
        if (line.option("check") != null) {
            return new CheckCommand(line, out, err).run();
        }
        if (line.option("psnr") != null) {
            throw new UsageException("render: --psnr is a --check option");
        }
        Path outDir = Path.of(line.option("out") == null ? "renders" : line.option("out"));
        List<Job> jobs = jobs();
        OutputDirectory.check(outDir, line.flag("force"), "--out");
        Backend backend = Main.parseBackend("render", line.option("backend") == null ? "auto" : line.option("backend"));
        Integer threads = line.integer("threads");
        try (Kinema rt = Kinema.open(backend)) {
            if (threads != null) {
                rt.setNumThreads(threads);
            }
            try (LoadedModels models = new LoadedModels(rt, err)) {
                // load every model and check every render before anything is written
                List<RenderSettings> settings = new ArrayList<>();
                for (Job job : jobs) {
                    Renderer renderer = models.renderer(job.modelPath);
                    RenderSettings s = job.settings.apply(renderer.model());
                    renderer.check(s);
                    settings.add(s);
                }
                OutputDirectory.prepare(outDir, line.flag("force"), "--out");
                renderAll(rt, jobs, settings, models, outDir, threads);
            }
        }
        return Main.OK;
    }

    private void renderAll(Kinema rt, List<Job> jobs, List<RenderSettings> settings, LoadedModels models, Path outDir,
                           Integer threads) {
        List<Renderer.Result> results = new ArrayList<>();
        List<Map<String, Object>> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long start = System.nanoTime();
        for (int i = 0; i < jobs.size(); i++) {
            Job job = jobs.get(i);
            Renderer renderer = models.renderer(job.modelPath);
            RenderSettings s = settings.get(i);
            String name = uniqueName(names, Path.of(job.modelPath).getFileName() + "-" + slug(s.prompt()) + "-s" + s.seed());
            String label = String.format("(%d/%d) %s", i + 1, jobs.size(), s.prompt());
            Renderer.Result r = renderer.render(s, new ProgressBar(err, label, ProgressBar.stderrIsTerminal()), null);
            Map<String, Object> files = RenderWriter.write(outDir, name, r);
            results.add(r);
            entries.add(entry(name, job.modelPath, renderer.model(), r, files));
        }
        String sheet = "contact_sheet.png";
        RenderWriter.contactSheet(outDir.resolve(sheet), results);
        RenderWriter.writeManifest(outDir, Manifest.document(Main.versionString(), rt.backend().id(), threads, sheet, entries));
        out.printf("rendered %d video%s on %s in %.1f s -> %s (manifest.json, contact_sheet.png)%n", results.size(),
                results.size() == 1 ? "" : "s", rt.backend().id(), (System.nanoTime() - start) / 1e9, outDir);
    }

    /** One render to do: a model path (as given) and settings completed from the model's defaults. */
    record Job(String modelPath, SettingsOverrides settings) {
    }

    private List<Job> jobs() {
        SettingsOverrides overrides = new SettingsOverrides(line);
        if (line.option("prompt") != null) {
            String model = line.option("model") == null ? DEFAULT_MODEL : line.option("model");
            return List.of(new Job(model, overrides.withPrompt(line.option("prompt"), 0)));
        }
        if (line.option("model") != null || line.option("negative") != null) {
            throw new UsageException("render: --model and --negative need --prompt (without --prompt, render renders "
                    + "the regression set)");
        }
        List<Job> jobs = new ArrayList<>();
        for (RegressionSet.Entry e : RegressionSet.ENTRIES) {
            jobs.add(new Job(e.model(), overrides.withPrompt(e.prompt(), e.seed())));
        }
        return jobs;
    }

    /**
     * A model path as given: relative to the working directory if it exists there, else relative to
     * the Kinema home (where the embedded models live), so renders work from any directory.
     */
    static Path resolveModel(String path) {
        Path p = Path.of(path);
        if (Files.exists(p) || p.isAbsolute()) {
            return p;
        }
        Path home = Path.of(System.getProperty("kinema.home", "."));
        Path inHome = home.resolve(p);
        if (Files.exists(inHome)) {
            return inHome;
        }
        throw new UsageException("render: model " + path + " not found (looked in the working directory and in "
                + home.toAbsolutePath() + ")");
    }

    private static Map<String, Object> entry(String name, String modelPath, TextToVideoModel model, Renderer.Result r,
                                             Map<String, Object> files) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        Map<String, Object> modelInfo = new LinkedHashMap<>();
        modelInfo.put("path", modelPath);
        modelInfo.put("sha256", model.sha256());
        modelInfo.put("architecture", model.denoiser().architecture());
        m.put("model", modelInfo);
        m.put("settings", Manifest.settings(r.settings()));
        m.put("files", files);
        m.put("frame_sha256", r.frameSha256());
        m.put("flicker_index", r.flickerIndex());
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("sample_seconds", r.seconds());
        timings.put("seconds_per_step", r.seconds() / r.settings().steps());
        m.put("timings", timings);
        return m;
    }

    /** "red square moving right" -> "red-square-moving-right" (letters and digits only). */
    static String slug(String prompt) {
        String s = prompt.strip().toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        return s.isEmpty() ? "unconditional" : s;
    }

    private static String uniqueName(Set<String> taken, String name) {
        String candidate = name;
        for (int k = 2; !taken.add(candidate); k++) {
            candidate = name + "-" + k;
        }
        return candidate;
    }

    /** The settings flags; each one given replaces the model's default. */
    static final class SettingsOverrides {
        private final CommandLine line;
        private final String prompt;
        private final long defaultSeed;

        SettingsOverrides(CommandLine line) {
            this(line, null, 0);
        }

        private SettingsOverrides(CommandLine line, String prompt, long defaultSeed) {
            this.line = line;
            this.prompt = prompt;
            this.defaultSeed = defaultSeed;
            // parse and range-check now, against placeholder model defaults, so a bad flag fails before
            // any model loads
            settings(prompt == null ? "" : prompt, 1, 1);
        }

        SettingsOverrides withPrompt(String p, long seed) {
            return new SettingsOverrides(line, p, seed);
        }

        RenderSettings apply(TextToVideoModel model) {
            return settings(prompt, model.frames(), model.size());
        }

        /** The settings with the model's frames and size as defaults; every flag given replaces its default. */
        private RenderSettings settings(String p, int frames, int size) {
            RenderSettings d = new RenderSettings(p, "", frames, size, RenderSettings.DEFAULT_STEPS,
                    RenderSettings.DEFAULT_SAMPLER, RenderSettings.DEFAULT_GUIDANCE, 0.0, 0);
            return new RenderSettings(p, line.option("negative") == null ? d.negative() : line.option("negative"),
                    orDefault(line.integer("frames"), d.frames()), orDefault(line.integer("size"), d.size()),
                    orDefault(line.integer("steps"), d.steps()), sampler() == null ? d.sampler() : sampler(),
                    number("guidance") == null ? d.guidance() : number("guidance"),
                    number("eta") == null ? d.eta() : number("eta"), seed() == null ? defaultSeed : seed());
        }

        private static int orDefault(Integer v, int d) {
            return v == null ? d : v;
        }

        private SamplerPlan.Sampler sampler() {
            String id = line.option("sampler");
            if (id == null) {
                return null;
            }
            for (SamplerPlan.Sampler s : SamplerPlan.Sampler.values()) {
                if (s.id().equals(id)) {
                    return s;
                }
            }
            throw new UsageException("render: --sampler expects one of ddim, ddpm, euler, euler_karras, got '" + id + "'");
        }

        private Double number(String name) {
            String v = line.option(name);
            if (v == null) {
                return null;
            }
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new UsageException("render: --" + name + " expects a number, got '" + v + "'");
            }
        }

        private Long seed() {
            String v = line.option("seed");
            if (v == null) {
                return null;
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new UsageException("render: --seed expects an integer, got '" + v + "'");
            }
        }
    }
}
