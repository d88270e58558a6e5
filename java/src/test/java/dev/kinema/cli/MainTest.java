package dev.kinema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void demoPassesOnEveryAvailableBackend() {
        CliRun run = CliRun.of("demo");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        List<String> lines = run.outLines();
        assertTrue(lines.getLast().startsWith("demo: all "), lines.getLast());
        assertTrue(run.out().contains(" cpu "), run.out());
        for (String op : List.of("conv_spatial", "conv_temporal", "ddim_step")) {
            assertTrue(run.out().contains(op), op);
        }
        assertTrue(lines.stream().noneMatch(l -> l.contains("FAILED")), run.out());
    }

    @Test
    void demoOnOneBackend() {
        CliRun run = CliRun.of("demo", "--backend", "cpu");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().lines().noneMatch(l -> l.contains("cuda-emu ")), run.out());
    }

    @Test
    void demoRefusesAnUnknownBackend() {
        CliRun run = CliRun.of("demo", "--backend", "gpu9");
        assertEquals(2, run.exitCode());
        OpCommandTest.assertOneLineNaming(run, "gpu9");
    }

    @Test
    void backendsListsEveryBackend() {
        CliRun run = CliRun.of("backends");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("cpu       available"), run.out());
        assertTrue(run.out().contains("cuda-emu"), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("cuda ")), run.out());
    }

    @Test
    void versionAndHelp() {
        CliRun version = CliRun.of("version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("kinema "), version.out());
        CliRun help = CliRun.of("help");
        assertEquals(0, help.exitCode());
        for (String command : Usage.COMMANDS) {
            assertTrue(help.out().contains("kinema " + command), command);
        }
        CliRun helpOp = CliRun.of("help", "op");
        assertEquals(0, helpOp.exitCode());
        assertTrue(helpOp.out().contains("--force"), helpOp.out());
        assertEquals(2, CliRun.of("help", "fly").exitCode());
    }

    @Test
    void unknownCommandPrintsUsage() {
        CliRun run = CliRun.of("render-all");
        assertEquals(2, run.exitCode());
        assertTrue(run.errLines().getFirst().contains("unknown command 'render-all'"), run.err());
        assertTrue(run.err().contains("usage: kinema"), run.err());
        CliRun none = CliRun.of();
        assertEquals(2, none.exitCode());
        assertTrue(none.err().contains("usage: kinema"), none.err());
    }
}
