package dev.kinema.render;

import dev.kinema.io.Json;
import dev.kinema.io.JsonException;
import dev.kinema.sampling.SamplerPlan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * manifest.json of a render directory: what was rendered (model path and SHA-256, every setting,
 * backend) and what came out (files, per-frame SHA-256 of the float output, flicker index, timings).
 * `./kinema render --check DIR` re-renders from it, so it is validated field by field when read.
 *
 * <p>Format {@value #FORMAT}:
 * <pre>
 * { "format", "kinema_version", "backend", "threads" (null: the backend's default), "contact_sheet",
 *   "renders": [ { "name", "model": {"path", "sha256", "architecture"},
 *                  "settings": {"prompt", "negative", "frames", "size", "steps", "sampler", "guidance", "eta", "seed"},
 *                  "files": {"video", "gif", "mp4", "frames": [...]},
 *                  "frame_sha256": [...], "flicker_index", "timings": {"sample_seconds", "seconds_per_step"} } ] }
 * </pre>
 * "video" is the float output [3, F, H, W] as safetensors (tensor "video"): the golden a check compares with.
 */
public record Manifest(String backend, List<Entry> renders) {
    public static final String FORMAT = "kinema-render/1";
    public static final String FILE = "manifest.json";
    static final long MAX_BYTES = 4L << 20;

    /** One render of the manifest; file paths are relative to the manifest's directory. */
    public record Entry(String name, String modelPath, String modelSha256, String architecture, RenderSettings settings,
                        String video, List<String> frameSha256) {
    }

    /** The manifest document for results rendered in directory order; extra per-render fields come from each. */
    public static Map<String, Object> document(String version, String backend, Integer threads, String contactSheet,
                                               List<Map<String, Object>> renders) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", FORMAT);
        doc.put("kinema_version", version);
        doc.put("backend", backend);
        doc.put("threads", threads);
        doc.put("contact_sheet", contactSheet);
        doc.put("renders", renders);
        return doc;
    }

    /** The "settings" object of a render. */
    public static Map<String, Object> settings(RenderSettings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt", s.prompt());
        m.put("negative", s.negative());
        m.put("frames", s.frames());
        m.put("size", s.size());
        m.put("steps", s.steps());
        m.put("sampler", s.sampler().id());
        m.put("guidance", s.guidance());
        m.put("eta", s.eta());
        m.put("seed", s.seed());
        return m;
    }

    /** Reads and validates dir/manifest.json; every problem names the field. */
    public static Manifest read(Path dir) {
        Path file = dir.resolve(FILE);
        String source = file.toString();
        Object root;
        try {
            if (!Files.isRegularFile(file)) {
                throw new ManifestException(source, "(file)", "a render manifest", "no such file");
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new ManifestException(source, "(file)", "at most " + MAX_BYTES + " bytes", Files.size(file) + " bytes");
            }
            root = Json.parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (JsonException e) {
            throw new ManifestException(source, "(file)", "valid JSON", e.getMessage());
        }
        Fields doc = new Fields(source, "", root);
        String format = doc.string("format");
        if (!format.equals(FORMAT)) {
            throw new ManifestException(source, "format", FORMAT, format);
        }
        List<Object> list = doc.list("renders");
        if (list.isEmpty()) {
            throw new ManifestException(source, "renders", "at least one render", "none");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Fields r = new Fields(source, "renders[" + i + "].", list.get(i));
            Fields model = r.object("model");
            Fields s = r.object("settings");
            RenderSettings settings;
            try {
                settings = new RenderSettings(s.string("prompt"), s.string("negative"), s.integer("frames"),
                        s.integer("size"), s.integer("steps"), sampler(s), s.number("guidance"), s.number("eta"),
                        s.longInteger("seed"));
            } catch (dev.kinema.InvalidArgumentException e) {
                throw new ManifestException(source, "renders[" + i + "].settings." + e.argument(), "a valid setting",
                        e.getMessage());
            }
            Fields files = r.object("files");
            List<String> hashes = new ArrayList<>();
            for (Object h : r.list("frame_sha256")) {
                if (!(h instanceof String hex) || !hex.matches("[0-9a-f]{64}")) {
                    throw new ManifestException(source, r.prefix + "frame_sha256", "64 hex digits per frame", String.valueOf(h));
                }
                hashes.add(hex);
            }
            if (hashes.size() != settings.frames()) {
                throw new ManifestException(source, r.prefix + "frame_sha256", settings.frames() + " hashes",
                        String.valueOf(hashes.size()));
            }
            String video = files.string("video");
            Path resolved = dir.resolve(video).normalize();
            if (Path.of(video).isAbsolute() || !resolved.startsWith(dir.normalize())) {
                throw new ManifestException(source, r.prefix + "files.video", "a path inside the render directory", video);
            }
            entries.add(new Entry(r.string("name"), model.string("path"), model.string("sha256"),
                    model.string("architecture"), settings, video, List.copyOf(hashes)));
        }
        return new Manifest(doc.string("backend"), List.copyOf(entries));
    }

    private static SamplerPlan.Sampler sampler(Fields s) {
        String id = s.string("sampler");
        for (SamplerPlan.Sampler sampler : SamplerPlan.Sampler.values()) {
            if (sampler.id().equals(id)) {
                return sampler;
            }
        }
        throw new ManifestException(s.source, s.prefix + "sampler", "ddim, ddpm, euler or euler_karras", id);
    }

    /** Typed access to one JSON object's fields, naming "prefix.field" in errors. */
    private record Fields(String source, String prefix, Map<?, ?> map) {
        Fields(String source, String prefix, Object value) {
            this(source, prefix, asMap(source, prefix, value));
        }

        private static Map<?, ?> asMap(String source, String prefix, Object value) {
            if (!(value instanceof Map<?, ?> m)) {
                throw new ManifestException(source, prefix.isEmpty() ? "(root)" : prefix.substring(0, prefix.length() - 1),
                        "a JSON object", String.valueOf(value));
            }
            return m;
        }

        private Object get(String field) {
            if (!map.containsKey(field)) {
                throw new ManifestException(source, prefix + field, "present", "missing");
            }
            return map.get(field);
        }

        String string(String field) {
            if (!(get(field) instanceof String s)) {
                throw new ManifestException(source, prefix + field, "a string", String.valueOf(get(field)));
            }
            return s;
        }

        BigDecimal decimal(String field) {
            if (!(get(field) instanceof BigDecimal d)) {
                throw new ManifestException(source, prefix + field, "a number", String.valueOf(get(field)));
            }
            return d;
        }

        double number(String field) {
            return decimal(field).doubleValue();
        }

        int integer(String field) {
            try {
                return decimal(field).intValueExact();
            } catch (ArithmeticException e) {
                throw new ManifestException(source, prefix + field, "an integer", decimal(field).toString());
            }
        }

        long longInteger(String field) {
            try {
                return decimal(field).longValueExact();
            } catch (ArithmeticException e) {
                throw new ManifestException(source, prefix + field, "an integer", decimal(field).toString());
            }
        }

        @SuppressWarnings("unchecked")
        List<Object> list(String field) {
            if (!(get(field) instanceof List<?> l)) {
                throw new ManifestException(source, prefix + field, "a list", String.valueOf(get(field)));
            }
            return (List<Object>) l;
        }

        Fields object(String field) {
            return new Fields(source, prefix + field + ".", get(field));
        }
    }
}
