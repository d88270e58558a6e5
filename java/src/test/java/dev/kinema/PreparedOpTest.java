package dev.kinema;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kinema.prepare: checked once like Kinema.run, replayed on whatever the tensors hold. */
class PreparedOpTest {
    @Test
    void replaysOnNewValuesWithoutRechecking() {
        try (Kinema rt = Kinema.open(Backend.CPU);
             Tensor x = rt.fromFloats(new float[] {1, 2}, 1, 2);
             Tensor w = rt.fromFloats(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
             Tensor y = rt.allocate(DType.F32, 1, 3);
             PreparedOp op = rt.prepare("linear", Map.of("x", x, "w", w), Map.of("act", "none"), Map.of("y", y))) {
            assertArrayEquals(new float[] {0, 0, 0}, y.toFloats(), "prepare must not run the op");
            op.run();
            assertArrayEquals(new float[] {1, 2, 3}, y.toFloats());
            try (Tensor host = Tensor.hostFromFloats(new float[] {10, 20}, 1, 2)) {
                x.copyFrom(host);
            }
            op.run();
            assertArrayEquals(new float[] {10, 20, 30}, y.toFloats());
            assertEquals("linear", op.op());
        }
    }

    @Test
    void ddimStepPreparesBothOutputs() {
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU);
             Tensor x = rt.fromFloats(new float[] {1, -1}, 2);
             Tensor c = rt.fromFloats(new float[] {0.5f, 0.25f}, 2);
             Tensor y = rt.allocate(DType.F32, 2);
             Tensor x0 = rt.allocate(DType.F32, 2)) {
            Map<String, String> attrs = Map.of("alpha_t", "0.8", "sigma_t", "0.6", "alpha_s", "0.9", "sigma_s", "0.4358898943540674");
            try (PreparedOp op = rt.prepare("ddim_step", Map.of("x", x, "out_c", c), attrs, Map.of("y", y, "x0", x0))) {
                op.run();
            }
            Map<String, Tensor> direct = rt.run("ddim_step", Map.of("x", x, "out_c", c), attrs);
            assertArrayEquals(direct.get("y").toFloats(), y.toFloats());
            assertArrayEquals(direct.get("x0").toFloats(), x0.toFloats());
            direct.values().forEach(Tensor::close);
        }
    }

    @Test
    void badCallsAreRejectedAtPrepareTime() {
        try (Kinema rt = Kinema.open(Backend.CPU);
             Tensor x = rt.allocate(DType.F32, 4);
             Tensor y = rt.allocate(DType.F32, 5)) {
            InvalidArgumentException noY = assertThrows(InvalidArgumentException.class,
                    () -> rt.prepare("silu", Map.of("x", x), Map.of(), Map.of()));
            assertEquals("y", noY.argument());
            InvalidArgumentException shape = assertThrows(InvalidArgumentException.class,
                    () -> rt.prepare("silu", Map.of("x", x), Map.of(), Map.of("y", y)));
            assertTrue(shape.getMessage().contains("[4]") && shape.getMessage().contains("[5]"), shape.getMessage());
            assertEquals("x0", assertThrows(InvalidArgumentException.class,
                    () -> rt.prepare("silu", Map.of("x", x), Map.of(), Map.of("y", x, "x0", y))).argument());
            try (Tensor host = Tensor.host(DType.F32, 4)) {
                assertEquals("x", assertThrows(InvalidArgumentException.class,
                        () -> rt.prepare("silu", Map.of("x", host), Map.of(), Map.of("y", x))).argument());
            }
        }
    }

    @Test
    void closedTensorsStopTheReplay() {
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            Tensor x = rt.allocate(DType.F32, 4);
            Tensor y = rt.allocate(DType.F32, 4);
            PreparedOp op = rt.prepare("gelu", Map.of("x", x), null, Map.of("y", y));
            op.run();
            x.close();
            assertThrows(IllegalStateException.class, op::run);
            op.close();
            op.close();
            y.close();
        }
    }

    @Test
    void signaturesNameInputsAttributesAndOutputs() {
        OpSignature linear = Kinema.signature("linear");
        assertEquals(java.util.List.of("x", "w"), linear.requiredInputs());
        assertTrue(linear.hasInput("gate"));
        assertEquals(java.util.List.of("y", "x0"), Kinema.signature("ddim_step").outputs());
        assertEquals("op", assertThrows(InvalidArgumentException.class, () -> Kinema.signature("conv2d")).argument());
        for (String op : Kinema.opNames()) {
            assertEquals(op, Kinema.signature(op).op());
        }
    }
}
