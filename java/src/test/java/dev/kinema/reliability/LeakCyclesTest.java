package dev.kinema.reliability;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.models.Denoiser;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Open / run / close cycles leave nothing behind: after many cycles the native allocator holds what
 * it held after the first ones, and so does the Java heap after a collection. The bounds sit above
 * the noise of the JVM's own native allocations (a few MB between readings): 16 MB over 9,000 runtime
 * cycles catches a leak of 2 KB a cycle (one 64x64 f32 tensor is 16 KB); 24 MB over 180 denoiser
 * cycles catches 140 KB a cycle (less than the test model's weights or one forward's activations).
 * The resident set is printed beside them, not judged: it follows how much memory the JVM and malloc
 * keep committed, and levels off (about 225-255 MB here from 100 to 800 denoiser cycles).
 */
class LeakCyclesTest {
    @Test
    void tenThousandRuntimeCyclesKeepResidentMemoryFlat() {
        int warmup = 1_000, cycles = 10_000;
        float[] values = new float[4096];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f;
        }
        ProcessMemory before = null;
        for (int cycle = 0; cycle < cycles; cycle++) {
            if (cycle == warmup) {
                before = ProcessMemory.now();
            }
            try (Kinema rt = Kinema.open(Backend.CPU);
                 Tensor x = rt.fromFloats(values, 64, 64);
                 Tensor y = rt.add(x, x)) {
                if (cycle % 1000 == 0) {
                    assertEquals(2 * values[4095], y.toFloats()[4095]);
                }
            }
        }
        assertFlat("runtime open/allocate/add/close", before, warmup, cycles, 16_000_000);
    }

    @Test
    void denoiserSessionCyclesKeepResidentMemoryFlat() {
        int warmup = 20, cycles = 200;
        ProcessMemory before = null;
        float[] first = null;
        for (int cycle = 0; cycle < cycles; cycle++) {
            if (cycle == warmup) {
                before = ProcessMemory.now();
            }
            try (Kinema rt = Kinema.open(Backend.CPU); Denoiser d = Denoiser.open(rt, FaultInjectionTest.LATTE)) {
                float[] y = FaultInjectionTest.forward(d);  // the test Latte on its recorded inputs
                if (first == null) {
                    first = y;
                } else {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(first, y, "cycle " + cycle);
                }
            }
        }
        assertFlat("denoiser open/forward/close (test Latte)", before, warmup, cycles, 24_000_000);
    }

    /** Native bytes after `cycles` within `bound` of what they were after `warmup`; the Java heap within 8 MB. */
    static void assertFlat(String what, ProcessMemory before, int warmup, int cycles, long bound) {
        ProcessMemory after = ProcessMemory.now();
        System.out.printf("%s, %d cycles: after %d: %s; after all: %s%n", what, cycles, warmup, before.describe(),
                after.describe());
        assertTrue(after.nativeBytes() - before.nativeBytes() < bound, "native memory grew by "
                + (after.nativeBytes() - before.nativeBytes()) + " bytes over " + (cycles - warmup) + " cycles");
        assertTrue(after.javaHeapBytes() - before.javaHeapBytes() < 8_000_000, "the Java heap in use grew by "
                + (after.javaHeapBytes() - before.javaHeapBytes()) + " bytes over " + (cycles - warmup) + " cycles");
    }
}
