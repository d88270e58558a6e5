package dev.kinema;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** temporal_attention rejects bad tensors and attributes in Java, naming the op, the argument and both values. */
class TemporalAttentionValidationTest {
    private static Kinema cpu;
    private static Tensor q;     // [1,3,2,2,8]
    private static Tensor k;
    private static Tensor v;
    private static Tensor bias;  // [2, 2*3-1]

    @BeforeAll
    static void open() {
        cpu = Kinema.open(Backend.CPU);
        q = cpu.allocate(DType.F32, 1, 3, 2, 2, 8);
        k = cpu.allocate(DType.F32, 1, 3, 2, 2, 8);
        v = cpu.allocate(DType.F32, 1, 3, 2, 2, 8);
        bias = cpu.allocate(DType.F32, 2, 5);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    private static void refused(String argument, String expectedPart, Executable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
        assertTrue(e.getMessage().contains("temporal_attention"), e.getMessage());
        assertTrue(e.getMessage().contains("'" + argument + "'") || e.getMessage().contains(argument), e.getMessage());
        assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
    }

    @Test
    void badTensorsAreRefused() {
        refused("q", "a tensor", () -> cpu.temporalAttention(null, k, v, null, 2, 0, false, 3));
        try (Tensor rank4 = cpu.allocate(DType.F32, 3, 2, 2, 8)) {
            refused("q", "rank 5", () -> cpu.temporalAttention(rank4, k, v, null, 2, 0, false, 3));
        }
        try (Tensor shorter = cpu.allocate(DType.F32, 1, 2, 2, 2, 8)) {
            refused("k", "shape [1, 3, 2, 2, 8]", () -> cpu.temporalAttention(q, shorter, v, null, 2, 0, false, 3));
            refused("v", "shape [1, 3, 2, 2, 8]", () -> cpu.temporalAttention(q, k, shorter, null, 2, 0, false, 3));
        }
        try (Tensor half = cpu.allocate(DType.F16, 1, 3, 2, 2, 8)) {
            refused("k", "dtype", () -> cpu.temporalAttention(q, half, v, null, 2, 0, false, 3));
        }
        try (Tensor wrongBias = cpu.allocate(DType.F32, 2, 7)) {
            refused("rel_bias", "[2, 5]", () -> cpu.temporalAttention(q, k, v, wrongBias, 2, 0, false, 3));
        }
    }

    @Test
    void badAttributesAreRefused() {
        refused("heads", "dividing the channel count 8", () -> cpu.temporalAttention(q, k, v, null, 3, 0, false, 3));
        refused("heads", ">= 1", () -> cpu.temporalAttention(q, k, v, null, 0, 0, false, 3));
        refused("window", ">= 0", () -> cpu.temporalAttention(q, k, v, null, 2, -1, false, 3));
        refused("Tmax", "T (3) <= Tmax", () -> cpu.temporalAttention(q, k, v, null, 2, 0, false, 2));
        refused("scale", "finite", () -> cpu.temporalAttention(q, k, v, null, 2, Double.POSITIVE_INFINITY, 0, false, 3));
    }

    @Test
    void outputMayNotOverlapInputs() {
        refused("y", "disjoint from 'q'", () -> cpu.temporalAttentionInto(q, k, v, null, 2, 0.5, 0, false, 3, q));
        refused("y", "disjoint from 'v'", () -> cpu.temporalAttentionInto(q, k, v, null, 2, 0.5, 0, false, 3, v));
        try (Tensor small = cpu.allocate(DType.F32, 1, 3, 2, 2, 4)) {
            refused("y", "shape", () -> cpu.temporalAttentionInto(q, k, v, null, 2, 0.5, 0, false, 3, small));
        }
    }

    @Test
    void namedRunDefaultsAndRequirements() {
        refused("heads", "required", () -> cpu.run("temporal_attention", Map.of("q", q, "k", k, "v", v), Map.of()));
        refused("Tmax", "required when rel_bias", () -> cpu.run("temporal_attention",
                Map.of("q", q, "k", k, "v", v, "rel_bias", bias), Map.of("heads", "2")));
        refused("causal", "0, 1, true or false", () -> cpu.run("temporal_attention",
                Map.of("q", q, "k", k, "v", v), Map.of("heads", "2", "causal", "maybe")));
        // T = 1 attends only to itself: y == v exactly, whatever q, k and the scale.
        float[] values = new float[16];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f - 2f;
        }
        try (Tensor one = cpu.fromFloats(values, 1, 1, 2, 1, 8);
             Tensor y = cpu.run("temporal_attention", Map.of("q", one, "k", one, "v", one), Map.of("heads", "4")).get("y");
             Tensor hostY = y.toHost()) {
            assertArrayEquals(values, hostY.toFloats());
            assertEquals(5, y.rank());
        }
    }
}
