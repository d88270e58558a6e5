package dev.kinema;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backend discovery and selection. Development and CI machines have no GPU; there cuda must
 * report itself unavailable, with a reason, and AUTO must pick cpu.
 */
class BackendTest {
    /** Independent of libkinema: without the NVIDIA control device no CUDA driver can work. */
    private static final boolean NO_GPU = !Files.exists(Path.of("/dev/nvidiactl"));

    @Test
    void probeReportsEveryConcreteBackend() {
        Map<Backend, String> probe = Kinema.probe();
        assertEquals(java.util.Set.of(Backend.CPU, Backend.CUDA, Backend.CUDA_EMU), probe.keySet());
        assertNull(probe.get(Backend.CPU), "cpu is always usable");
        assertNull(probe.get(Backend.CUDA_EMU), "cuda-emu is built by the project's CMake: " + probe.get(Backend.CUDA_EMU));
        String cuda = probe.get(Backend.CUDA);
        if (NO_GPU) {
            assertTrue(cuda != null && !cuda.isBlank(), "cuda must be unavailable without a GPU, with a reason: " + cuda);
        }
    }

    @Test
    void autoResolvesToCudaOnlyWhenUsable() {
        String saved = System.clearProperty(Kinema.BACKEND_PROPERTY);
        Backend expected = Kinema.probe().get(Backend.CUDA) == null ? Backend.CUDA : Backend.CPU;
        try (Kinema runtime = Kinema.open(Backend.AUTO)) {
            assertEquals(expected, runtime.backend());
            assertEquals(NO_GPU ? Backend.CPU : expected, runtime.backend());
            assertEquals(0, runtime.device());
        } finally {
            restore(saved);
        }
    }

    @Test
    void propertyOverridesAuto() {
        String saved = System.setProperty(Kinema.BACKEND_PROPERTY, "cuda-emu");
        try (Kinema runtime = Kinema.open(Backend.AUTO)) {
            assertEquals(Backend.CUDA_EMU, runtime.backend());
        } finally {
            restore(saved);
        }
        System.setProperty(Kinema.BACKEND_PROPERTY, "tpu");
        try {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Kinema.open(Backend.AUTO));
            assertEquals("-D" + Kinema.BACKEND_PROPERTY, e.argument());
            assertTrue(e.getMessage().contains("'tpu'"), e.getMessage());
        } finally {
            restore(saved);
        }
    }

    @Test
    void explicitBackendIgnoresTheProperty() {
        String saved = System.setProperty(Kinema.BACKEND_PROPERTY, "cuda-emu");
        try (Kinema runtime = Kinema.open(Backend.CPU)) {
            assertEquals(Backend.CPU, runtime.backend());
        } finally {
            restore(saved);
        }
    }

    @Test
    void openingAnUnavailableCudaGivesTheProbeReason() {
        String reason = Kinema.probe().get(Backend.CUDA);
        if (reason == null) {
            Kinema.open(Backend.CUDA).close();
            return;
        }
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Kinema.open(Backend.CUDA));
        assertEquals(reason, e.getMessage());
    }

    @Test
    void badOpenArguments() {
        assertEquals("backend", assertThrows(InvalidArgumentException.class, () -> Kinema.open(null)).argument());
        assertEquals("device", assertThrows(InvalidArgumentException.class, () -> Kinema.open(Backend.CPU, -1)).argument());
        InvalidArgumentException tooHigh = assertThrows(InvalidArgumentException.class, () -> Kinema.open(Backend.CPU, 1000));
        assertEquals("device", tooHigh.argument());
    }

    @Test
    void parsing() {
        assertEquals(Backend.CUDA_EMU, Backend.parse("cuda-emu"));
        assertEquals(Backend.AUTO, Backend.parse("auto"));
        assertEquals("cuda-emu", Backend.CUDA_EMU.id());
        assertEquals(DType.BF16, DType.parse("bf16"));
        assertEquals(DType.F16, DType.parse("F16"));
        assertEquals(Prediction.X0, Prediction.parse("x0"));
        assertEquals("dtype", assertThrows(InvalidArgumentException.class, () -> DType.parse("f64")).argument());
        assertEquals("backend", assertThrows(InvalidArgumentException.class, () -> Backend.parse("gpu")).argument());
        assertEquals("prediction", assertThrows(InvalidArgumentException.class, () -> Prediction.parse(null)).argument());
    }

    @Test
    void setNumThreadsValidates() {
        try (Kinema runtime = Kinema.open(Backend.CPU)) {
            runtime.setNumThreads(1);
            runtime.setNumThreads(0);
            assertEquals("threads", assertThrows(InvalidArgumentException.class, () -> runtime.setNumThreads(-2)).argument());
        }
    }

    @Test
    void closedRuntimeRefusesWork() {
        Kinema runtime = Kinema.open(Backend.CPU);
        runtime.close();
        runtime.close();
        assertTrue(runtime.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> runtime.allocate(DType.F32, 2));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    private static void restore(String saved) {
        if (saved == null) {
            System.clearProperty(Kinema.BACKEND_PROPERTY);
        } else {
            System.setProperty(Kinema.BACKEND_PROPERTY, saved);
        }
    }
}
