package dev.kinema.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.DType;
import dev.kinema.Tensor;
import dev.kinema.harness.Goldens;
import dev.kinema.io.Safetensors;
import dev.kinema.ref.Tolerance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OpCommandTest {
    @TempDir
    Path dir;

    private static Path golden(String name) {
        return Goldens.folder().resolve(name + ".safetensors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"conv_spatial__k3_s2_odd_bias_residual", "conv_temporal__t4_c16_co32_bias_residual",
            "ddim_step__v_eta_half_clip"})
    void runsAGoldenFileAndWritesTheGoldenOutputs(String name) {
        Path out = dir.resolve("out.safetensors");
        String op = name.substring(0, name.indexOf("__"));
        CliRun run = CliRun.of("op", op, "--in", golden(name).toString(), "--out", out.toString(), "--backend", "cpu",
                "--check");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        assertTrue(run.out().contains("y ["), run.out());
        try (Goldens.Golden g = Goldens.Golden.read(golden(name)); Safetensors.Contents got = Safetensors.read(out)) {
            assertEquals(g.expected().keySet(), got.tensors().keySet());
            for (Map.Entry<String, Tensor> e : g.expected().entrySet()) {
                Tensor t = got.tensors().get(e.getKey());
                assertEquals(DType.F32, t.dtype());
                assertArrayEquals(e.getValue().shape(), t.shape());
                Tolerance.Comparison c = Tolerance.compare(t.toFloats(), e.getValue().toFloats());
                assertTrue(c.passed(), e.getKey() + " " + c);
            }
            assertEquals(op, got.metadata().get("op"));
            assertEquals("cpu", got.metadata().get("backend"));
            g.attrs().forEach((k, v) -> assertEquals(v, got.metadata().get(k), k));
        }
    }

    @Test
    void commandLineAttributesOverrideTheFile() throws IOException {
        Path in = golden("conv_spatial__k3_s2_odd_bias_residual");
        Path out = dir.resolve("out.safetensors");
        // stride=1 changes y's shape, so the residual (made for stride 2) no longer fits: the override took effect
        CliRun run = CliRun.of("op", "conv_spatial", "--in", in.toString(), "--out", out.toString(), "--attr", "stride=1");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "residual");
        assertFalse(Files.exists(out));
    }

    @Test
    void checkFailsWhenTheExpectedValuesDisagree() throws IOException {
        Path in = dir.resolve("tampered.safetensors");
        try (Goldens.Golden g = Goldens.Golden.read(golden("conv_temporal__t1_ci3_co5_bias"))) {
            float[] y = g.expected().get("y").toFloats();
            y[3] += 0.01f;
            Map<String, Tensor> tensors = new LinkedHashMap<>(g.inputs());
            try (Tensor wrong = Tensor.hostFromFloats(y, g.expected().get("y").shape())) {
                tensors.put("y", wrong);
                Map<String, String> meta = new HashMap<>(g.attrs());
                meta.put("op", g.op());
                Safetensors.write(in, tensors, meta, false);
            }
        }
        CliRun run = CliRun.of("op", "conv_temporal", "--in", in.toString(), "--out", dir.resolve("o.safetensors").toString(),
                "--backend", "cpu", "--check");
        assertEquals(1, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("MISMATCH"), run.out());
    }

    @Test
    void existingOutputIsKeptWithoutForce() throws IOException {
        Path out = dir.resolve("exists.safetensors");
        Files.writeString(out, "mine");
        String in = golden("ddim_step__eps_defaults").toString();
        CliRun run = CliRun.of("op", "ddim_step", "--in", in, "--out", out.toString());
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "--force");
        assertEquals("mine", Files.readString(out));
        CliRun forced = CliRun.of("op", "ddim_step", "--in", in, "--out", out.toString(), "--force", "--backend", "cpu");
        assertEquals(0, forced.exitCode(), forced.err());
        try (Safetensors.Contents c = Safetensors.read(out)) {
            assertEquals(java.util.Set.of("y", "x0"), c.tensors().keySet());
        }
    }

    @Test
    void unknownOp() {
        CliRun run = CliRun.of("op", "conv_nope", "--in", golden("ddim_step__eps_defaults").toString(),
                "--out", dir.resolve("o.safetensors").toString(), "--backend", "cpu");
        assertEquals(2, run.exitCode());
        // the unknown name is caught before the file is read; the line lists the known ops
        assertOneLineNaming(run, "conv_nope");
        assertOneLineNaming(run, "ddim_step");
        Path plain = inputFile(Map.of("x", Tensor.hostFromFloats(new float[] {1}, 1)), Map.of());
        run = CliRun.of("op", "conv_nope", "--in", plain.toString(), "--out", dir.resolve("o.safetensors").toString(),
                "--backend", "cpu");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "conv_nope");
    }

    @Test
    void missingInput() {
        Path in = inputFile(Map.of("x", Tensor.host(DType.F32, 1, 1, 3, 3, 2)), Map.of());
        CliRun run = CliRun.of("op", "conv_spatial", "--in", in.toString(), "--out", dir.resolve("o.safetensors").toString(),
                "--backend", "cpu");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "'w'");
    }

    @Test
    void unknownInput() {
        Path in = inputFile(Map.of("x", Tensor.host(DType.F32, 1, 1, 3, 3, 2), "w", Tensor.host(DType.F32, 4, 2, 1, 3, 3),
                "bias", Tensor.host(DType.F32, 4)), Map.of());
        CliRun run = CliRun.of("op", "conv_spatial", "--in", in.toString(), "--out", dir.resolve("o.safetensors").toString(),
                "--backend", "cpu");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "bias");
    }

    @Test
    void wrongShape() {
        Path in = inputFile(Map.of("x", Tensor.host(DType.F32, 1, 1, 3, 3, 2), "w", Tensor.host(DType.F32, 4, 3, 1, 3, 3)),
                Map.of());
        CliRun run = CliRun.of("op", "conv_spatial", "--in", in.toString(), "--out", dir.resolve("o.safetensors").toString(),
                "--backend", "cpu");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "'w'");
    }

    @Test
    void badAttribute() {
        Path in = inputFile(Map.of("x", Tensor.host(DType.F32, 1, 1, 3, 3, 2), "w", Tensor.host(DType.F32, 4, 2, 1, 3, 3)),
                Map.of());
        CliRun run = CliRun.of("op", "conv_spatial", "--in", in.toString(), "--out", dir.resolve("o.safetensors").toString(),
                "--backend", "cpu", "--attr", "stride=3");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "stride");
        run = CliRun.of("op", "conv_spatial", "--in", in.toString(), "--out", dir.resolve("o.safetensors").toString(),
                "--backend", "cpu", "--attr", "dilation=2");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "dilation");
        run = CliRun.of("op", "conv_spatial", "--in", in.toString(), "--out", dir.resolve("o.safetensors").toString(),
                "--attr", "stride");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "key=value");
    }

    @Test
    void inputThatIsNotF32() {
        Path in = inputFile(Map.of("x", Tensor.host(DType.F16, 1, 1, 3, 3, 2), "w", Tensor.host(DType.F32, 4, 2, 1, 3, 3)),
                Map.of());
        CliRun run = CliRun.of("op", "conv_spatial", "--in", in.toString(), "--out", dir.resolve("o.safetensors").toString());
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "expected dtype F32, got F16");
    }

    @Test
    void unreadableFiles() throws IOException {
        Path missing = dir.resolve("missing.safetensors");
        CliRun run = CliRun.of("op", "conv_spatial", "--in", missing.toString(), "--out", dir.resolve("o.safetensors").toString());
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, missing.toString());
        Path garbage = dir.resolve("garbage.safetensors");
        Files.writeString(garbage, "this is not a safetensors file at all");
        run = CliRun.of("op", "conv_spatial", "--in", garbage.toString(), "--out", dir.resolve("o.safetensors").toString());
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "header length");
    }

    @Test
    void malformedCommandLines() {
        CliRun run = CliRun.of("op", "conv_spatial", "--out", "o.safetensors");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "missing --in");
        run = CliRun.of("op", "--in", "a", "--out", "b");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "op NAME");
        run = CliRun.of("op", "conv_spatial", "--in", "a", "--out", "b", "--speed", "fast");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "--speed");
        run = CliRun.of("op", "conv_spatial", "--in", "a", "--out", "b", "--backend", "tpu");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "tpu");
        run = CliRun.of("op", "conv_spatial", "--in");
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "needs a value");
        run = CliRun.of("op", "conv_spatial", "--in", "a", "--out", dir.resolve("no/such/folder/o.safetensors").toString());
        assertEquals(2, run.exitCode());
        assertOneLineNaming(run, "does not exist");
    }

    private Path inputFile(Map<String, Tensor> tensors, Map<String, String> metadata) {
        Path file = dir.resolve("in-" + System.nanoTime() + ".safetensors");
        try {
            Safetensors.write(file, tensors, metadata, false);
        } finally {
            tensors.values().forEach(Tensor::close);
        }
        return file;
    }

    static void assertOneLineNaming(CliRun run, String text) {
        assertEquals(1, run.errLines().size(), "stderr: " + run.err());
        assertTrue(run.err().contains(text), "stderr should name " + text + ": " + run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace");
    }
}
