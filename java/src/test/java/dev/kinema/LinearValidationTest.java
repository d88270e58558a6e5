package dev.kinema;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** linear and conv3d refuse bad arguments in Java, naming op and argument, before any native call. */
class LinearValidationTest {
    private static Kinema cpu;
    private static Kinema other;
    private static Tensor x;   // [2,3,4]
    private static Tensor w;   // [6,4]
    private static Tensor b;   // [6]
    private static Tensor x5;  // [1,2,3,3,2]
    private static Tensor w5;  // [4,2,3,3,3]

    @BeforeAll
    static void open() {
        cpu = Kinema.open(Backend.CPU);
        other = Kinema.open(Backend.CPU);
        x = cpu.allocate(DType.F32, 2, 3, 4);
        w = cpu.allocate(DType.F32, 6, 4);
        b = cpu.allocate(DType.F32, 6);
        x5 = cpu.allocate(DType.F32, 1, 2, 3, 3, 2);
        w5 = cpu.allocate(DType.F32, 4, 2, 3, 3, 3);
    }

    @AfterAll
    static void close() {
        cpu.close();
        other.close();
    }

    private static Tensor t(long... shape) {
        return cpu.allocate(DType.F32, shape);
    }

    private record Case(String name, String op, String argument, Executable call) {
    }

    private static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        String op = "linear";
        c.add(new Case("x null", op, "x", () -> cpu.linear(null, w, b, null, null, Activation.NONE)));
        c.add(new Case("x rank 1", op, "x", () -> cpu.linear(t(4), w, b, null, null, Activation.NONE)));
        c.add(new Case("w rank 3", op, "w", () -> cpu.linear(x, t(6, 4, 1), b, null, null, Activation.NONE)));
        c.add(new Case("w K differs", op, "w", () -> cpu.linear(x, t(6, 5), b, null, null, Activation.NONE)));
        c.add(new Case("w dtype", op, "w",
                () -> cpu.linear(x, cpu.allocate(DType.F16, 6, 4), b, null, null, Activation.NONE)));
        c.add(new Case("w of another runtime", op, "w",
                () -> cpu.linear(x, other.allocate(DType.F32, 6, 4), b, null, null, Activation.NONE)));
        c.add(new Case("geglu odd N", op, "w", () -> cpu.linear(x, t(5, 4), null, null, null, Activation.GEGLU)));
        c.add(new Case("act null", op, "act", () -> cpu.linear(x, w, b, null, null, null)));
        c.add(new Case("b shape", op, "b", () -> cpu.linear(x, w, t(5), null, null, Activation.NONE)));
        c.add(new Case("gate batch", op, "gate", () -> cpu.linear(x, w, b, null, t(3, 6), Activation.NONE)));
        c.add(new Case("gate width for geglu", op, "gate", () -> cpu.linear(x, w, b, null, t(2, 6), Activation.GEGLU)));
        c.add(new Case("residual shape", op, "residual", () -> cpu.linear(x, w, b, t(2, 3, 5), null, Activation.NONE)));
        c.add(new Case("y null", op, "y", () -> cpu.linearInto(x, w, b, null, null, Activation.NONE, null)));
        c.add(new Case("y shape for geglu", op, "y",
                () -> cpu.linearInto(x, w, b, null, null, Activation.GEGLU, t(2, 3, 6))));
        c.add(new Case("y is x", op, "y", () -> cpu.linearInto(x, t(4, 4), null, null, null, Activation.NONE, x)));
        op = "conv3d";
        c.add(new Case("x rank 4", op, "x", () -> cpu.conv3d(t(2, 3, 3, 2), w5, null, null)));
        c.add(new Case("w even kt", op, "w", () -> cpu.conv3d(x5, t(4, 2, 2, 3, 3), null, null)));
        c.add(new Case("w Ci differs", op, "w", () -> cpu.conv3d(x5, t(4, 3, 3, 3, 3), null, null)));
        c.add(new Case("b shape", op, "b", () -> cpu.conv3d(x5, w5, t(3), null)));
        c.add(new Case("residual shape", op, "residual", () -> cpu.conv3d(x5, w5, null, t(1, 2, 3, 3, 3))));
        c.add(new Case("y shape", op, "y", () -> cpu.conv3dInto(x5, w5, null, null, t(1, 2, 3, 3, 2))));
        c.add(new Case("y is x", op, "y", () -> cpu.conv3dInto(x5, t(2, 2, 1, 1, 1), null, null, x5)));
        return c;
    }

    @Test
    void everyBadArgumentIsNamed() {
        for (Case c : cases()) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, c.call(), c.name());
            assertEquals(c.op(), e.op(), c.name());
            assertEquals(c.argument(), e.argument(), c.name() + ": " + e.getMessage());
        }
    }

    @Test
    void residualMayBeY() {
        try (Tensor xs = cpu.fromFloats(new float[] {1, 2}, 1, 1, 2);
             Tensor ws = cpu.fromFloats(new float[] {1, 1, 2, -1}, 2, 2);
             Tensor y = cpu.fromFloats(new float[] {10, 20}, 1, 1, 2)) {
            cpu.linearInto(xs, ws, null, y, null, Activation.NONE, y);
            assertArrayEquals(new float[] {13, 20}, y.toFloats());
        }
    }

    @Test
    void runParsesActAndRefusesUnknownOnes() {
        try (Tensor xs = cpu.fromFloats(new float[] {1, -1}, 1, 2);
             Tensor ws = cpu.fromFloats(new float[] {1, 0, 0, 1}, 2, 2)) {
            Map<String, Tensor> out = cpu.run("linear", Map.of("x", xs, "w", ws), Map.of("act", "geglu"));
            float[] y = out.get("y").toFloats();
            // a = 1, g = -1: 1 * gelu(-1) = -0.158655...
            assertEquals(-0.15865525f, y[0], 1e-6f);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> cpu.run("linear", Map.of("x", xs, "w", ws), Map.of("act", "relu")));
            assertEquals("act", e.argument());
            assertTrue(e.getMessage().contains("'relu'"), e.getMessage());
        } catch (RuntimeException e) {
            fail(e);
        }
    }
}
