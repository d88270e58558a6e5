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
 * add, mul, silu, gelu and scale_add refuse bad tensors and attributes in Java, naming the op and the
 * argument; typed calls, Kinema.run and in-place calls give the values OPS.md defines.
 */
class ElementwiseValidationTest {
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
        assertEquals(argument, e.argument(), e.getMessage());
    }

    @Test
    void rejectsBadArguments() {
        Tensor x = t(2, 3, 4);
        rejects("add", "x", () -> cpu.add(null, t(4)));
        rejects("add", "z", () -> cpu.add(x, null));
        rejects("add", "z", () -> cpu.add(x, t(3)));
        rejects("mul", "z", () -> cpu.mul(x, t(3, 3, 4)));
        rejects("mul", "z", () -> cpu.mul(x, t(1, 3, 1)));
        rejects("add", "z", () -> cpu.add(x, t(4, 1)));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> cpu.add(x, t(2, 3, 2)));
        assertTrue(e.getMessage().contains("broadcasts to x's shape [2, 3, 4]") && e.getMessage().contains("[2, 3, 2]"),
                e.getMessage());
        rejects("mul", "z", () -> cpu.mul(x, t(1, 2, 3, 4)));
        rejects("mul", "z", () -> cpu.mul(x, cpu.allocate(DType.F16, 4)));
        rejects("add", "z", () -> cpu.add(x, other.allocate(DType.F32, 4)));
        rejects("scale_add", "a", () -> cpu.scaleAdd(Double.NaN, x, 1, t(4)));
        rejects("scale_add", "b", () -> cpu.scaleAdd(1, x, Double.POSITIVE_INFINITY, t(4)));
        rejects("silu", "z", () -> cpu.elementwiseInto("silu", x, t(4), 1, 1, t(2, 3, 4)));
        rejects("gelu", "y", () -> cpu.elementwiseInto("gelu", x, null, 1, 1, t(2, 12)));
        rejects("gelu", "y", () -> cpu.elementwiseInto("gelu", x, null, 1, 1, null));
        rejects("elementwiseInto", "op", () -> cpu.elementwiseInto("sub", x, t(4), 1, 1, t(2, 3, 4)));
        Tensor z = t(2, 3, 4);
        rejects("add", "y", () -> cpu.elementwiseInto("add", x, z, 1, 1, z));
        rejects("add", "z", () -> cpu.run("add", Map.of("x", x), Map.of()));
        rejects("scale_add", "a", () -> cpu.run("scale_add", Map.of("x", x, "z", z), Map.of("a", "two")));
        rejects("silu", "z", () -> cpu.run("silu", Map.of("x", x, "z", z), Map.of()));
        rejects("gelu", "a", () -> cpu.run("gelu", Map.of("x", x), Map.of("a", "1")));
    }

    @Test
    void computesOpsMdValues() {
        float[] xv = {-3, -1, 0, 1, 2, 5};
        float[] zv = {0.5f, -2, 4};
        try (Tensor x = cpu.fromFloats(xv, 2, 3); Tensor z = cpu.fromFloats(zv, 3);
             Tensor add = cpu.add(x, z); Tensor mul = cpu.mul(x, z); Tensor sa = cpu.scaleAdd(2, x, -0.5, z);
             Tensor silu = cpu.silu(x); Tensor gelu = cpu.gelu(x)) {
            float[] a = add.toFloats(), m = mul.toFloats(), s = sa.toFloats(), si = silu.toFloats(), g = gelu.toFloats();
            for (int i = 0; i < 6; i++) {
                assertEquals(xv[i] + zv[i % 3], a[i], 0f);
                assertEquals(xv[i] * zv[i % 3], m[i], 0f);
                assertEquals(2 * xv[i] - 0.5 * zv[i % 3], s[i], 1e-6);
                assertEquals(xv[i] / (1 + Math.exp(-xv[i])), si[i], 1e-6);
            }
            // gelu at 0, 1, 2: 0, 0.8413447, 1.9544997 (x * Phi(x)).
            assertEquals(0f, g[2], 0f);
            assertEquals(0.8413447460685429, g[3], 1e-6);
            assertEquals(1.9544997361036416, g[4], 1e-6);
            assertEquals(-0.0040496584, g[0], 1e-6);
        }
    }

    @Test
    void broadcastsOverMiddleDims() {
        // x[2,2,3] + z[2,1,3]: y[b,t,c] = x[b,t,c] + z[b,0,c]; z[1,1,3] and z[2,1,1] likewise.
        float[] xv = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        float[] zv = {100, 200, 300, 400, 500, 600};
        try (Tensor x = cpu.fromFloats(xv, 2, 2, 3); Tensor z = cpu.fromFloats(zv, 2, 1, 3);
             Tensor shared = cpu.fromFloats(new float[] {1, 2, 3}, 1, 1, 3);
             Tensor perBatch = cpu.fromFloats(new float[] {-1, 10}, 2, 1, 1);
             Tensor add = cpu.add(x, z); Tensor mul = cpu.mul(x, shared); Tensor scaled = cpu.mul(x, perBatch)) {
            float[] a = add.toFloats(), m = mul.toFloats(), s = scaled.toFloats();
            for (int i = 0; i < 12; i++) {
                int b = i / 6, c = i % 3;
                assertEquals(xv[i] + zv[b * 3 + c], a[i], 0f);
                assertEquals(xv[i] * (c + 1), m[i], 0f);
                assertEquals(xv[i] * (b == 0 ? -1 : 10), s[i], 0f);
            }
            Map<String, Tensor> out = cpu.run("add", Map.of("x", x, "z", z), Map.of());
            try (Tensor y = out.get("y")) {
                assertArrayEquals(a, y.toFloats());
            }
        }
    }

    @Test
    void runsInPlaceAndByName() {
        float[] xv = {1, 2, 3, 4};
        try (Tensor x = cpu.fromFloats(xv, 2, 2); Tensor z = cpu.fromFloats(new float[] {10, 20}, 2)) {
            Map<String, Tensor> out = cpu.run("scale_add", Map.of("x", x, "z", z), Map.of("a", "3", "b", "0.5"));
            try (Tensor y = out.get("y")) {
                assertArrayEquals(new float[] {8, 16, 14, 22}, y.toFloats());
            }
            cpu.elementwiseInto("mul", x, z, 1, 1, x);
            assertArrayEquals(new float[] {10, 40, 30, 80}, x.toFloats());
        }
    }
}
