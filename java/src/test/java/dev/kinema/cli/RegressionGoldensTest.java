package dev.kinema.cli;

import dev.kinema.render.Manifest;
import dev.kinema.render.RegressionSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed goldens (regression/goldens, rendered on cpu by `./kinema render`) re-rendered on cpu
 * must pass `--check`: any change to a kernel, the graph, the sampler or the embedded models that moves
 * a pixel past the PSNR threshold fails here, with a diff sheet.
 */
class RegressionGoldensTest {
    static final Path GOLDENS = Path.of("..", "regression", "goldens");

    @Test
    void goldensDescribeTheRegressionSet() {
        Manifest m = Manifest.read(GOLDENS);
        assertEquals("cpu", m.backend());
        List<String> prompts = m.renders().stream().map(e -> e.modelPath() + ": " + e.settings().prompt() + " #"
                + e.settings().seed()).toList();
        List<String> expected = RegressionSet.ENTRIES.stream().map(e -> e.model() + ": " + e.prompt() + " #" + e.seed())
                .toList();
        assertEquals(expected, prompts);
    }

    @Test
    void goldensPassTheCheckOnCpu(@TempDir Path tmp) {
        CliRun run = CliRun.of("render", "--check", GOLDENS.toString(), "--backend", "cpu", "--out",
                tmp.resolve("check").toString());
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("check passed"), run.out());
    }
}
