package dev.kinema.cli;

import dev.kinema.Tensor;
import dev.kinema.io.Json;
import dev.kinema.io.Safetensors;
import dev.kinema.render.OutputDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ./kinema render end to end on the embedded shapes U-Net, with few steps to stay quick. */
class RenderCommandTest {
    static final String MODEL = Path.of("..", "models", "shapes-unet3d").toString();
    static final String PROMPT = "red square moving left";

    /** A 3-step render of PROMPT, seed 11, on cpu into out; extra options override those. */
    static CliRun render(Path out, String... extra) {
        Map<String, String> options = new java.util.LinkedHashMap<>(Map.of("--steps", "3", "--seed", "11",
                "--backend", "cpu"));
        List<String> args = new java.util.ArrayList<>(List.of("render", "--model", MODEL, "--prompt", PROMPT, "--out",
                out.toString()));
        for (int i = 0; i < extra.length; i++) {
            if (extra[i].equals("--force")) {
                args.add(extra[i]);
            } else {
                options.put(extra[i], extra[++i]);
            }
        }
        options.forEach((k, v) -> args.addAll(List.of(k, v)));
        return CliRun.of(args.toArray(String[]::new));
    }

    static void ok(CliRun run) {
        assertEquals(0, run.exitCode(), run.out() + run.err());
    }

    static Map<?, ?> onlyRender(Path dir) throws Exception {
        Map<?, ?> manifest = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("manifest.json")));
        List<?> renders = (List<?>) manifest.get("renders");
        assertEquals(1, renders.size());
        return (Map<?, ?>) renders.get(0);
    }

    @Test
    void writesFramesVideosSheetAndAManifestThatDescribesTheOutput(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("r");
        CliRun run = render(out);
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("3/3"), "progress on stderr: " + run.err());
        Map<?, ?> r = onlyRender(out);
        Map<?, ?> files = (Map<?, ?>) r.get("files");
        for (Object f : (List<?>) files.get("frames")) {
            assertTrue(Files.size(out.resolve((String) f)) > 0, f.toString());
        }
        assertEquals(8, ((List<?>) files.get("frames")).size());
        for (String key : List.of("gif", "mp4", "video")) {
            assertTrue(Files.size(out.resolve((String) files.get(key))) > 0, key);
        }
        assertTrue(Files.size(out.resolve("contact_sheet.png")) > 0);
        assertTrue(Files.exists(out.resolve(OutputDirectory.MARKER)));
        Map<?, ?> settings = (Map<?, ?>) r.get("settings");
        assertEquals(PROMPT, settings.get("prompt"));
        assertEquals(3, ((Number) settings.get("steps")).intValue());

        // per-frame SHA-256 and flicker index, recomputed here from the float output
        float[] v;
        long[] shape;
        try (Safetensors.Contents c = Safetensors.read(out.resolve((String) files.get("video")))) {
            Tensor video = c.tensors().get("video");
            shape = video.shape();
            v = video.toFloats();
        }
        assertEquals(List.of(3L, 8L, 32L, 32L), java.util.Arrays.stream(shape).boxed().toList());
        int frames = 8, plane = 32 * 32;
        List<?> hashes = (List<?>) r.get("frame_sha256");
        double flicker = 0;
        for (int f = 0; f < frames; f++) {
            ByteBuffer bytes = ByteBuffer.allocate(3 * plane * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < plane; i++) {
                    bytes.putFloat(v[(c * frames + f) * plane + i]);
                    if (f > 0) {
                        flicker += Math.abs(v[(c * frames + f) * plane + i] - v[(c * frames + f - 1) * plane + i]);
                    }
                }
            }
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
            assertEquals(sha, hashes.get(f), "frame " + f);
        }
        assertEquals(flicker / (3.0 * (frames - 1) * plane), ((Number) r.get("flicker_index")).doubleValue(), 1e-6);
    }

    @Test
    void rendersAreBitIdenticalAcrossRunsAndThreadCounts(@TempDir Path tmp) throws Exception {
        ok(render(tmp.resolve("a"), "--threads", "1"));
        ok(render(tmp.resolve("b"), "--threads", "2"));
        assertEquals(onlyRender(tmp.resolve("a")).get("frame_sha256"), onlyRender(tmp.resolve("b")).get("frame_sha256"));
        ok(render(tmp.resolve("c"), "--seed", "12"));
        assertFalse(onlyRender(tmp.resolve("a")).get("frame_sha256").equals(onlyRender(tmp.resolve("c")).get("frame_sha256")));
    }

    @Test
    void checkPassesOnAFreshRenderAndFailsOnAPerturbedGolden(@TempDir Path tmp) throws Exception {
        Path golden = tmp.resolve("golden");
        ok(render(golden));
        CliRun pass = CliRun.of("render", "--check", golden.toString(), "--out", tmp.resolve("check").toString());
        assertEquals(0, pass.exitCode(), pass.out() + pass.err());
        assertTrue(pass.out().contains("bit-identical"), pass.out());
        assertFalse(Files.exists(tmp.resolve("check/diff_sheet.png")));

        // perturb frame 5 of the golden: the check must fail and show the difference
        Path video = golden.resolve((String) ((Map<?, ?>) onlyRender(golden).get("files")).get("video"));
        float[] v;
        long[] shape;
        try (Safetensors.Contents c = Safetensors.read(video)) {
            shape = c.tensors().get("video").shape();
            v = c.tensors().get("video").toFloats();
        }
        for (int i = 0; i < 32 * 32; i++) {
            v[5 * 32 * 32 + i] += 0.2f;  // channel 0 of frame 5
        }
        try (Tensor t = Tensor.hostFromFloats(v, shape)) {
            Safetensors.write(video, Map.of("video", t), null, true);
        }
        CliRun fail = CliRun.of("render", "--check", golden.toString(), "--out", tmp.resolve("check").toString());
        assertEquals(1, fail.exitCode(), fail.out() + fail.err());
        assertTrue(fail.out().contains("FAIL"), fail.out());
        assertTrue(Files.size(tmp.resolve("check/diff_sheet.png")) > 0);
    }

    @Test
    void cudaEmuRendersAgreeWithCpuWithinTheCheckThreshold(@TempDir Path tmp) {
        Path golden = tmp.resolve("cpu");
        ok(render(golden, "--steps", "2"));
        CliRun emu = CliRun.of("render", "--check", golden.toString(), "--backend", "cuda-emu", "--out",
                tmp.resolve("check").toString());
        assertEquals(0, emu.exitCode(), emu.out() + emu.err());
        assertTrue(emu.out().contains("PASS"), emu.out());
    }

    @Test
    void badRequestsFailWithOneLineBeforeWriting(@TempDir Path tmp) throws Exception {
        CliRun unknown = CliRun.of("render", "--model", MODEL, "--prompt", "red dodecahedron moving left", "--out",
                tmp.resolve("u").toString());
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("dodecahedron") && unknown.err().contains("square circle triangle"),
                unknown.err());

        Path mine = tmp.resolve("mine");
        Files.createDirectories(mine);
        Files.writeString(mine.resolve("notes.txt"), "keep");
        CliRun refused = render(mine);
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().contains("--force"), refused.err());
        assertEquals("keep", Files.readString(mine.resolve("notes.txt")));
        ok(render(mine, "--force"));
        assertEquals("keep", Files.readString(mine.resolve("notes.txt")));

        assertEquals(2, CliRun.of("render", "--sampler", "heun").exitCode());
        assertEquals(2, CliRun.of("render", "--check", tmp.resolve("nothing").toString()).exitCode());
        assertEquals(2, CliRun.of("render", "--check", mine.toString(), "--prompt", "red").exitCode());
    }
}
