package dev.kinema;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kinema.run: OPS.md names for ops, inputs and attributes. */
class NamedOpsTest {
    private static Kinema cpu;
    private static Tensor x;
    private static Tensor w;

    @BeforeAll
    static void open() {
        cpu = Kinema.open(Backend.CPU);
        x = Tensor.hostFromFloats(TestTensors.random(1, 1, 1, 5, 5, 2), 1, 1, 5, 5, 2);
        w = Tensor.hostFromFloats(TestTensors.random(2, 3, 2, 1, 3, 3), 3, 2, 1, 3, 3);
    }

    @AfterAll
    static void close() {
        x.close();
        w.close();
        cpu.close();
    }

    private static InvalidArgumentException rejected(String op, Map<String, Tensor> inputs, Map<String, String> attrs) {
        return assertThrows(InvalidArgumentException.class, () -> cpu.run(op, inputs, attrs));
    }

    @Test
    void convSpatialFromHostInputsWithStride() {
        Map<String, Tensor> out = cpu.run("conv_spatial", Map.of("x", x, "w", w), Map.of("stride", "2"));
        assertEquals(java.util.Set.of("y"), out.keySet());
        Tensor y = out.get("y");
        assertSame(cpu, y.runtime());
        assertArrayEquals(new long[] {1, 1, 3, 3, 3}, y.shape());
        double[] expected = NaiveOps.convSpatial(x.toFloats(), x.shape(), w.toFloats(), w.shape(), null, null, 2);
        TestTensors.assertClose(expected, y.toFloats(), 1e-4, "run conv_spatial");
        y.close();
    }

    @Test
    void inputsOfThisRuntimeAreUsedAndUploadsAreFreed() {
        try (Tensor onDevice = cpu.upload(x)) {
            Map<String, Tensor> out = cpu.run("conv_spatial", Map.of("x", onDevice, "w", w), Map.of());
            assertArrayEquals(new long[] {1, 1, 5, 5, 3}, out.get("y").shape());
            assertFalse(onDevice.isClosed(), "the caller's device tensor stays open");
            out.get("y").close();
        }
    }

    @Test
    void ddimStepReturnsYAndX0() {
        Tensor state = Tensor.hostFromFloats(new float[] {0.5f, -1f}, 2);
        Tensor model = Tensor.hostFromFloats(new float[] {0.25f, 0.75f}, 2);
        Map<String, String> attrs = Map.of("alpha_t", "0.6", "sigma_t", "0.8", "alpha_s", "0.8", "sigma_s", "0.6",
                "prediction", "eps");
        Map<String, Tensor> out = cpu.run("ddim_step", Map.of("x", state, "out_c", model), attrs);
        assertEquals(java.util.List.of("y", "x0"), java.util.List.copyOf(out.keySet()));
        double[][] expected = NaiveOps.ddimStep(state.toFloats(), model.toFloats(), null, null, DdimParams.fromAttrs(attrs));
        TestTensors.assertClose(expected[0], out.get("y").toFloats(), 1e-4, "y");
        TestTensors.assertClose(expected[1], out.get("x0").toFloats(), 1e-4, "x0");
        // x0 = (0.5 - 0.8*0.25)/0.6 = 0.5 exactly
        assertEquals(0.5f, out.get("x0").toFloats()[0], 1e-6f);
        out.values().forEach(Tensor::close);
        state.close();
        model.close();
    }

    @Test
    void badNamesAndValuesAreRejected() {
        InvalidArgumentException op = rejected("conv3x3", Map.of("x", x), Map.of());
        assertEquals("op", op.argument());
        assertTrue(op.getMessage().contains("conv_spatial, conv_temporal, ddim_step"), op.getMessage());
        assertEquals("weight", rejected("conv_spatial", Map.of("x", x, "weight", w), Map.of()).argument());
        assertEquals("w", rejected("conv_spatial", Map.of("x", x), Map.of()).argument());
        assertEquals("padding", rejected("conv_spatial", Map.of("x", x, "w", w), Map.of("padding", "1")).argument());
        InvalidArgumentException stride = rejected("conv_spatial", Map.of("x", x, "w", w), Map.of("stride", "two"));
        assertEquals("conv_spatial: argument 'stride': expected an integer, got 'two'", stride.getMessage());
        assertEquals("stride", rejected("conv_spatial", Map.of("x", x, "w", w), Map.of("stride", "4")).argument());
        assertEquals("stride", rejected("conv_temporal", Map.of("x", x, "w", w), Map.of("stride", "1")).argument());
        assertEquals("sigma_s", rejected("ddim_step", Map.of("x", x, "out_c", x),
                Map.of("alpha_t", "1", "sigma_t", "1", "alpha_s", "1")).argument());
        Map<String, Tensor> withNull = new HashMap<>();
        withNull.put("x", x);
        withNull.put("w", null);
        assertEquals("w", rejected("conv_temporal", withNull, Map.of()).argument());
        Tensor closedHost = Tensor.host(DType.F32, 2);
        closedHost.close();
        assertEquals("x", rejected("ddim_step", Map.of("x", closedHost, "out_c", x),
                Map.of("alpha_t", "1", "sigma_t", "1", "alpha_s", "1", "sigma_s", "0")).argument());
    }

    @Test
    void anotherRuntimesTensorIsRejected() {
        try (Kinema other = Kinema.open(Backend.CPU); Tensor foreign = other.upload(w)) {
            assertEquals("w", rejected("conv_spatial", Map.of("x", x, "w", foreign), Map.of()).argument());
        }
    }
}
