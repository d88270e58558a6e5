package dev.kinema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * group_norm and layer_norm refuse bad tensors and attributes in Java, naming the op and the argument
 * (every case is one the native layer also refuses, so any other exception type means a missing Java
 * check); in-place calls give the same values as out-of-place ones.
 */
class NormValidationTest {
    private static Kinema cpu;
    private static Kinema other;

    @BeforeAll
    static void open() {
        cpu = Kinema.open(Backend.CPU);
        other = Kinema.open(Backend.CPU);
    }

    @AfterAll
    static void close() {
        cpu.close();
        other.close();
    }

    private static Tensor t(long... shape) {
        return cpu.allocate(DType.F32, shape);
    }

    private static void rejects(String op, String argument, Executable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
        assertTrue(e.getMessage().contains(op), e.getMessage());
        assertTrue(e.getMessage().contains("'" + argument + "'") || e.getMessage().contains(argument), e.getMessage());
        assertEquals(argument, e.argument(), e.getMessage());
    }

    @Test
    void groupNormRejectsBadArguments() {
        Tensor x = t(1, 2, 3, 3, 8), gamma = t(8), beta = t(8);
        rejects("group_norm", "x", () -> cpu.groupNorm(null, gamma, beta, 4, 1e-5, false, false));
        rejects("group_norm", "x", () -> cpu.groupNorm(t(2, 3, 3, 8), gamma, beta, 4, 1e-5, false, false));
        rejects("group_norm", "gamma", () -> cpu.groupNorm(x, null, beta, 4, 1e-5, false, false));
        rejects("group_norm", "gamma", () -> cpu.groupNorm(x, t(4), beta, 4, 1e-5, false, false));
        rejects("group_norm", "beta", () -> cpu.groupNorm(x, gamma, cpu.allocate(DType.F16, 8), 4, 1e-5, false, false));
        rejects("group_norm", "beta", () -> cpu.groupNorm(x, gamma, other.allocate(DType.F32, 8), 4, 1e-5, false, false));
        rejects("group_norm", "groups", () -> cpu.groupNorm(x, gamma, beta, 3, 1e-5, false, false));
        rejects("group_norm", "groups", () -> cpu.groupNorm(x, gamma, beta, 0, 1e-5, false, false));
        rejects("group_norm", "eps", () -> cpu.groupNorm(x, gamma, beta, 4, 0, false, false));
        rejects("group_norm", "eps", () -> cpu.groupNorm(x, gamma, beta, 4, Double.NaN, false, false));
        rejects("group_norm", "y", () -> cpu.groupNormInto(x, gamma, beta, 4, 1e-5, false, false, t(1, 2, 3, 3, 4)));
        rejects("group_norm", "y", () -> cpu.groupNormInto(x, gamma, beta, 4, 1e-5, false, false, null));
    }

    @Test
    void layerNormRejectsBadArguments() {
        Tensor x = t(2, 3, 16);
        rejects("layer_norm", "x", () -> cpu.layerNorm(t(16), null, null, null, null, 1e-6));
        rejects("layer_norm", "gamma", () -> cpu.layerNorm(x, t(8), null, null, null, 1e-6));
        rejects("layer_norm", "beta", () -> cpu.layerNorm(x, null, t(1, 16), null, null, 1e-6));
        rejects("layer_norm", "shift", () -> cpu.layerNorm(x, null, null, t(1, 16), null, 1e-6));
        rejects("layer_norm", "scale", () -> cpu.layerNorm(x, null, null, null, t(2, 15), 1e-6));
        rejects("layer_norm", "scale", () -> cpu.layerNorm(x, null, null, null, cpu.allocate(DType.BF16, 2, 16), 1e-6));
        rejects("layer_norm", "eps", () -> cpu.layerNorm(x, null, null, null, null, -1));
        rejects("layer_norm", "eps", () -> cpu.layerNorm(x, null, null, null, null, Double.POSITIVE_INFINITY));
        rejects("layer_norm", "y", () -> cpu.layerNormInto(x, null, null, null, null, 1e-6, t(2, 48)));
        Tensor host = Tensor.host(DType.F32, 2, 3, 16);
        rejects("layer_norm", "y", () -> cpu.layerNormInto(x, null, null, null, null, 1e-6, host));
        host.close();
    }

    @Test
    void namedAttributesAreChecked() {
        try (Tensor x = Tensor.host(DType.F32, 1, 1, 2, 2, 4); Tensor g = Tensor.host(DType.F32, 4);
             Tensor b = Tensor.host(DType.F32, 4)) {
            Map<String, Tensor> in = Map.of("x", x, "gamma", g, "beta", b);
            rejects("group_norm", "groups", () -> cpu.run("group_norm", in, Map.of()));
            rejects("group_norm", "groups", () -> cpu.run("group_norm", in, Map.of("groups", "two")));
            rejects("group_norm", "silu", () -> cpu.run("group_norm", in, Map.of("groups", "2", "silu", "maybe")));
            rejects("layer_norm", "eps", () -> cpu.run("layer_norm", Map.of("x", x), Map.of("eps", "tiny")));
        }
    }

    @Test
    void inPlaceMatchesOutOfPlace() {
        float[] values = new float[2 * 3 * 2 * 2 * 8];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i * 0.37) * 3 + 5;
        }
        float[] gammaValues = {1, 2, 0.5f, -1, 1.5f, 1, 0.25f, 3};
        try (Tensor x = cpu.fromFloats(values, 2, 3, 2, 2, 8); Tensor gamma = cpu.fromFloats(gammaValues, 8);
             Tensor beta = cpu.fromFloats(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 8)) {
            float[] expected = cpu.groupNorm(x, gamma, beta, 2, 1e-5, true, true).toFloats();
            cpu.groupNormInto(x, gamma, beta, 2, 1e-5, true, true, x);
            assertArrayEquals(expected, x.toFloats());
        }
        try (Tensor x = cpu.fromFloats(values, 6, 4, 8); Tensor gamma = cpu.fromFloats(gammaValues, 8)) {
            float[] expected = cpu.layerNorm(x, gamma, null, null, null, 1e-6).toFloats();
            cpu.layerNormInto(x, gamma, null, null, null, 1e-6, x);
            assertArrayEquals(expected, x.toFloats());
        }
    }
}
