package dev.kinema.reliability;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.models.Denoiser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Open / run / close cycles leave nothing behind: the process's resident memory after many cycles is
 * what it was after the first ones (a leak of a kilobyte a cycle would show as ~9 MB over 9,000
 * cycles; the bound leaves room for the JVM's own heap and code-cache growth). The measured figures are
 * printed for the README's reliability table.
 */
class LeakCyclesTest {
    static final Path LATTE = Path.of("src", "test", "resources", "models", "latte");

    @Test
    void tenThousandRuntimeCyclesKeepResidentMemoryFlat() {
        int warmup = 1_000, cycles = 10_000;
        float[] values = new float[4096];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f;
        }
        long before = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            if (cycle == warmup) {
                before = settledRssKb();
            }
            try (Kinema rt = Kinema.open(Backend.CPU);
                 Tensor x = rt.fromFloats(values, 64, 64);
                 Tensor y = rt.add(x, x)) {
                if (cycle % 1000 == 0) {
                    assertEquals(2 * values[4095], y.toFloats()[4095]);
                }
            }
        }
        long after = settledRssKb();
        System.out.printf("runtime open/allocate/add/close: %d cycles, RSS %d MB after %d, %d MB after all%n",
                cycles, before / 1024, warmup, after / 1024);
        assertTrue(after - before < 12 * 1024, "RSS grew by " + (after - before) + " kB over " + (cycles - warmup)
                + " cycles");
    }

    @Test
    void denoiserSessionCyclesKeepResidentMemoryFlat() throws IOException {
        int warmup = 20, cycles = 200;
        long before = 0;
        float[] first = null;
        for (int cycle = 0; cycle < cycles; cycle++) {
            if (cycle == warmup) {
                before = settledRssKb();
            }
            try (Kinema rt = Kinema.open(Backend.CPU); Denoiser d = Denoiser.open(rt, LATTE);
                 dev.kinema.io.Safetensors.Contents io = dev.kinema.io.Safetensors.read(LATTE.resolve("io.safetensors"));
                 Tensor out = d.forward(io.tensors().get("sample"), io.tensors().get("timestep"),
                         io.tensors().get("encoder_hidden_states"))) {
                float[] y = out.toFloats();
                if (first == null) {
                    first = y;
                } else {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(first, y, "cycle " + cycle);
                }
            }
        }
        long after = settledRssKb();
        System.out.printf("denoiser open/forward/close (test Latte): %d cycles, RSS %d MB after %d, %d MB after all%n",
                cycles, before / 1024, warmup, after / 1024);
        assertTrue(after - before < 24 * 1024, "RSS grew by " + (after - before) + " kB over " + (cycles - warmup)
                + " cycles");
    }

    /** VmRSS after a collection, so that garbage awaiting collection does not count. */
    static long settledRssKb() {
        System.gc();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/self/status", e);
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }
}
