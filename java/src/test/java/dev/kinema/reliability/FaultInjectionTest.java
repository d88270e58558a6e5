package dev.kinema.reliability;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.NativeCallException;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.models.Denoiser;
import dev.kinema.raw.kinema_h;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures injected inside the native library (kn_debug_inject_fault): a device allocation failing
 * while a model's weights upload, and a kernel launch failing in the middle of a forward, on cpu and on
 * cuda-emu (whose executor captures the forward into a graph). Each ends in a NativeCallException that
 * says where (the allocation, or the graph node and op), and the same runtime then loads and runs the
 * model with outputs bit-identical to a run that never failed.
 */
class FaultInjectionTest {
    static final Path LATTE = Path.of("src", "test", "resources", "models", "latte");

    @AfterEach
    void disarm() {
        kinema_h.kn_debug_inject_fault(kinema_h.KN_FAULT_MALLOC(), 0);
        kinema_h.kn_debug_inject_fault(kinema_h.KN_FAULT_LAUNCH(), 0);
    }

    static float[] forward(Denoiser d) {
        try (Safetensors.Contents io = Safetensors.read(LATTE.resolve("io.safetensors"));
             Tensor y = d.forward(io.tensors().get("sample"), io.tensors().get("timestep"),
                     io.tensors().get("encoder_hidden_states"))) {
            return y.toFloats();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void anAllocationFailingWhileWeightsUploadLeavesTheRuntimeUsable(Backend backend) {
        try (Kinema rt = Kinema.open(backend)) {
            float[] clean;
            try (Denoiser d = Denoiser.open(rt, LATTE)) {
                clean = forward(d);
            }
            kinema_h.kn_debug_inject_fault(kinema_h.KN_FAULT_MALLOC(), 7);
            NativeCallException e = assertThrows(NativeCallException.class, () -> Denoiser.open(rt, LATTE));
            assertEquals("kn_malloc", e.function());
            assertEquals(kinema_h.KN_ERR_OUT_OF_MEMORY(), e.status());
            assertTrue(e.getMessage().contains("injected fault"), e.getMessage());
            try (Denoiser d = Denoiser.open(rt, LATTE)) {
                assertArrayEquals(clean, forward(d));
            }
        }
    }

    /**
     * The 12th launch of a model's first forward fails (on cuda-emu that forward is being captured into
     * a graph); on cuda-emu, later forwards replay the captured graph with one launch, and that launch
     * is failed too.
     */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"CPU", "CUDA_EMU"})
    void aLaunchFailingMidForwardNamesTheNodeAndTheNextForwardIsExact(Backend backend) {
        try (Kinema rt = Kinema.open(backend)) {
            float[] clean;
            try (Denoiser d = Denoiser.open(rt, LATTE)) {
                clean = forward(d);
            }
            try (Denoiser d = Denoiser.open(rt, LATTE)) {
                kinema_h.kn_debug_inject_fault(kinema_h.KN_FAULT_LAUNCH(), 12);
                NativeCallException e = assertThrows(NativeCallException.class, () -> forward(d));
                System.out.println(backend.id() + ": " + e.getMessage());
                assertEquals(kinema_h.KN_ERR_DEVICE(), e.status());
                assertTrue(e.getMessage().startsWith("graph node transformer_blocks.0.gate_msa (op linear, step 12 of "),
                        e.getMessage());
                assertTrue(e.getMessage().contains("injected fault"), e.getMessage());
                assertArrayEquals(clean, forward(d), "the forward after the failure");
                if (backend == Backend.CUDA_EMU) {
                    kinema_h.kn_debug_inject_fault(kinema_h.KN_FAULT_LAUNCH(), 1);
                    NativeCallException replay = assertThrows(NativeCallException.class, () -> forward(d));
                    System.out.println(backend.id() + " replay: " + replay.getMessage());
                    assertEquals("kn_graph_launch", replay.function());
                    assertTrue(replay.getMessage().startsWith("captured graph of "), replay.getMessage());
                }
                assertArrayEquals(clean, forward(d), "and the one after that");
            }
        }
    }
}
