package dev.kinema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ./kinema convert and ./kinema forward as a user runs them on a diffusers checkpoint: the written
 * output matches the PyTorch golden, files are not overwritten unasked, and bad requests exit 2.
 */
class ModelCommandsTest {
    @TempDir
    Path tmp;

    private static Path golden(String arch) throws URISyntaxException {
        return Path.of(ModelCommandsTest.class.getResource("/models/" + arch + "/config.json").toURI()).getParent();
    }

    private static double maxError(Path golden, Path produced) {
        try (Safetensors.Contents g = Safetensors.read(golden); Safetensors.Contents p = Safetensors.read(produced)) {
            Tensor ref = g.tensors().get("output"), y = p.tensors().get("output");
            float[] r = ref.toFloats(), v = y.toFloats();
            assertEquals(r.length, v.length);
            double worst = 0, maxRef = 0;
            for (int i = 0; i < r.length; i++) {
                worst = Math.max(worst, Math.abs(v[i] - r[i]));
                maxRef = Math.max(maxRef, Math.abs(r[i]));
            }
            return worst / Math.max(1, maxRef);
        }
    }

    @Test
    void convertThenForwardMatchesTheGolden() throws Exception {
        Path model = tmp.resolve("unet3d.kinema"), out = tmp.resolve("out.safetensors");
        Path io = golden("unet3d").resolve("io.safetensors");
        CliRun convert = CliRun.of("convert", "--model", golden("unet3d").toString(), "--out", model.toString());
        assertEquals(0, convert.exitCode(), convert.err());
        assertTrue(convert.out().contains("UNet3DConditionModel"), convert.out());
        CliRun forward = CliRun.of("forward", "--model", model.toString(), "--in", io.toString(), "--out", out.toString(),
                "--backend", "cpu");
        assertEquals(0, forward.exitCode(), forward.err());
        assertTrue(maxError(io, out) <= 2e-5, "forward output vs golden");

        CliRun again = CliRun.of("forward", "--model", model.toString(), "--in", io.toString(), "--out", out.toString());
        assertEquals(2, again.exitCode());
        assertTrue(again.err().contains("--force"), again.err());
        assertEquals(2, CliRun.of("convert", "--model", golden("unet3d").toString(), "--out", model.toString()).exitCode());
    }

    @Test
    void forwardRunsAnAnimateDiffUnetWithItsMotionAdapter() throws Exception {
        Path a = golden("animatediff"), out = tmp.resolve("ad.safetensors");
        CliRun run = CliRun.of("forward", "--model", a.resolve("unet2d_config.json").toString(),
                "--weights", a.resolve("unet2d.safetensors").toString(),
                "--motion-adapter", a.resolve("motion_adapter_config.json").toString(),
                "--motion-adapter-weights", a.resolve("motion_adapter.safetensors").toString(),
                "--in", a.resolve("io.safetensors").toString(), "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(maxError(a.resolve("io.safetensors"), out) <= 2e-5);
    }

    @Test
    void badRequestsExitTwoNamingTheProblem() throws Exception {
        CliRun missingModel = CliRun.of("forward", "--model", tmp.resolve("none").toString(), "--in", "x", "--out", "y");
        assertEquals(2, missingModel.exitCode());
        assertTrue(missingModel.err().contains("does not exist"), missingModel.err());
        Path io = tmp.resolve("io.safetensors");
        Files.copy(golden("unet3d").resolve("io.safetensors"), io);
        CliRun noInputs = CliRun.of("forward", "--model", golden("latte").toString(), "--in",
                golden("latte").resolve("config.json").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, noInputs.exitCode(), noInputs.err());
        CliRun wrongShape = CliRun.of("forward", "--model", golden("latte").toString(), "--in", io.toString(),
                "--out", tmp.resolve("o.safetensors").toString());
        assertEquals(2, wrongShape.exitCode(), wrongShape.err());
        assertTrue(wrongShape.err().contains("sample"), wrongShape.err());
    }
}
