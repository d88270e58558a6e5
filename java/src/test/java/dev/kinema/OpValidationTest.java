package dev.kinema;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every typed op rejects bad tensors and attributes in Java, naming the op and the argument.
 * The cases use arguments the native layer would also reject, so an exception of any other type
 * (NativeCallException) would mean the Java check was missing.
 */
class OpValidationTest {
    private static Kinema cpu;
    private static Kinema other;
    private static Tensor x;           // [1,2,4,4,3]
    private static Tensor wSpatial;    // [5,3,1,3,3]
    private static Tensor wTemporal;   // [5,3,3,1,1]
    private static Tensor b;           // [5]
    private static Tensor residual;    // [1,2,4,4,5]
    private static Tensor closed;
    private static Tensor host;

    @BeforeAll
    static void open() {
        cpu = Kinema.open(Backend.CPU);
        other = Kinema.open(Backend.CPU);
        x = cpu.allocate(DType.F32, 1, 2, 4, 4, 3);
        wSpatial = cpu.allocate(DType.F32, 5, 3, 1, 3, 3);
        wTemporal = cpu.allocate(DType.F32, 5, 3, 3, 1, 1);
        b = cpu.allocate(DType.F32, 5);
        residual = cpu.allocate(DType.F32, 1, 2, 4, 4, 5);
        closed = cpu.allocate(DType.F32, 1, 2, 4, 4, 3);
        closed.close();
        host = Tensor.host(DType.F32, 1, 2, 4, 4, 3);
    }

    @AfterAll
    static void close() {
        host.close();
        cpu.close();
        other.close();
    }

    private static Tensor t(DType dtype, long... shape) {
        return cpu.allocate(dtype, shape);
    }

    private static Tensor t(long... shape) {
        return t(DType.F32, shape);
    }

    private record Case(String name, String op, String argument, Executable call) {
    }

    private static List<Case> convSpatialCases() {
        List<Case> cases = new ArrayList<>();
        String op = "conv_spatial";
        cases.add(new Case("x null", op, "x", () -> cpu.convSpatial(null, wSpatial, b, null, 1)));
        cases.add(new Case("x rank 4", op, "x", () -> cpu.convSpatial(t(2, 4, 4, 3), wSpatial, b, null, 1)));
        cases.add(new Case("x without height", op, "x", () -> cpu.convSpatial(t(1, 2, 0, 4, 3), wSpatial, b, null, 1)));
        cases.add(new Case("x closed", op, "x", () -> cpu.convSpatial(closed, wSpatial, b, null, 1)));
        cases.add(new Case("x on host", op, "x", () -> cpu.convSpatial(host, wSpatial, b, null, 1)));
        cases.add(new Case("x of another runtime", op, "x",
                () -> cpu.convSpatial(other.allocate(DType.F32, 1, 2, 4, 4, 3), wSpatial, b, null, 1)));
        cases.add(new Case("w null", op, "w", () -> cpu.convSpatial(x, null, b, null, 1)));
        cases.add(new Case("w rank 4", op, "w", () -> cpu.convSpatial(x, t(5, 3, 3, 3), b, null, 1)));
        cases.add(new Case("w Ci differs from x", op, "w", () -> cpu.convSpatial(x, t(5, 2, 1, 3, 3), b, null, 1)));
        cases.add(new Case("w kernel 2", op, "w", () -> cpu.convSpatial(x, t(5, 3, 1, 2, 2), b, null, 1)));
        cases.add(new Case("w not square", op, "w", () -> cpu.convSpatial(x, t(5, 3, 1, 3, 1), b, null, 1)));
        cases.add(new Case("w temporal", op, "w", () -> cpu.convSpatial(x, wTemporal, b, null, 1)));
        cases.add(new Case("w dtype", op, "w", () -> cpu.convSpatial(x, t(DType.F16, 5, 3, 1, 3, 3), b, null, 1)));
        cases.add(new Case("w of another runtime", op, "w",
                () -> cpu.convSpatial(x, other.allocate(DType.F32, 5, 3, 1, 3, 3), b, null, 1)));
        cases.add(new Case("b shape", op, "b", () -> cpu.convSpatial(x, wSpatial, t(4), null, 1)));
        cases.add(new Case("b dtype", op, "b", () -> cpu.convSpatial(x, wSpatial, t(DType.BF16, 5), null, 1)));
        cases.add(new Case("b closed", op, "b", () -> cpu.convSpatial(x, wSpatial, closed, null, 1)));
        cases.add(new Case("stride 3", op, "stride", () -> cpu.convSpatial(x, wSpatial, b, null, 3)));
        cases.add(new Case("stride 0", op, "stride", () -> cpu.convSpatial(x, wSpatial, b, null, 0)));
        cases.add(new Case("residual shape at stride 2", op, "residual", () -> cpu.convSpatial(x, wSpatial, b, residual, 2)));
        cases.add(new Case("residual dtype", op, "residual",
                () -> cpu.convSpatial(x, wSpatial, b, t(DType.F16, 1, 2, 4, 4, 5), 1)));
        cases.add(new Case("residual on host", op, "residual",
                () -> cpu.convSpatial(x, wSpatial, b, Tensor.host(DType.F32, 1, 2, 4, 4, 5), 1)));
        cases.add(new Case("y null", op, "y", () -> cpu.convSpatialInto(x, wSpatial, b, null, 1, null)));
        cases.add(new Case("y shape", op, "y", () -> cpu.convSpatialInto(x, wSpatial, b, null, 2, t(1, 2, 4, 4, 5))));
        cases.add(new Case("y dtype", op, "y", () -> cpu.convSpatialInto(x, wSpatial, b, null, 1, t(DType.F16, 1, 2, 4, 4, 5))));
        cases.add(new Case("y of another runtime", op, "y",
                () -> cpu.convSpatialInto(x, wSpatial, b, null, 1, other.allocate(DType.F32, 1, 2, 4, 4, 5))));
        cases.add(new Case("y is x", op, "y", () -> cpu.convSpatialInto(x, t(3, 3, 1, 3, 3), null, null, 1, x)));
        return cases;
    }

    private static List<Case> convTemporalCases() {
        List<Case> cases = new ArrayList<>();
        String op = "conv_temporal";
        cases.add(new Case("x rank 6", op, "x", () -> cpu.convTemporal(t(1, 1, 2, 4, 4, 3), wTemporal, b, null)));
        cases.add(new Case("x closed", op, "x", () -> cpu.convTemporal(closed, wTemporal, b, null)));
        cases.add(new Case("w spatial", op, "w", () -> cpu.convTemporal(x, wSpatial, b, null)));
        cases.add(new Case("w Ci differs", op, "w", () -> cpu.convTemporal(x, t(5, 4, 3, 1, 1), b, null)));
        cases.add(new Case("w dtype", op, "w", () -> cpu.convTemporal(x, t(DType.BF16, 5, 3, 3, 1, 1), b, null)));
        cases.add(new Case("b shape", op, "b", () -> cpu.convTemporal(x, wTemporal, t(5, 1), null)));
        cases.add(new Case("residual shape", op, "residual", () -> cpu.convTemporal(x, wTemporal, b, t(1, 2, 4, 4, 3))));
        cases.add(new Case("residual of another runtime", op, "residual",
                () -> cpu.convTemporal(x, wTemporal, b, other.allocate(DType.F32, 1, 2, 4, 4, 5))));
        cases.add(new Case("y shape", op, "y", () -> cpu.convTemporalInto(x, wTemporal, b, null, t(1, 2, 4, 4, 3))));
        cases.add(new Case("y is x", op, "y", () -> cpu.convTemporalInto(x, t(3, 3, 3, 1, 1), null, null, x)));
        cases.add(new Case("y closed", op, "y", () -> cpu.convTemporalInto(x, wTemporal, b, null, closedOf(1, 2, 4, 4, 5))));
        return cases;
    }

    private static List<Case> ddimCases() {
        List<Case> cases = new ArrayList<>();
        String op = "ddim_step";
        DdimParams p = DdimParams.of(0.6, 0.8, 0.8, 0.6);
        Tensor v = t(2, 3);
        Tensor c = t(2, 3);
        cases.add(new Case("x null", op, "x", () -> cpu.ddimStep(null, c, null, null, p)));
        cases.add(new Case("x on host", op, "x", () -> cpu.ddimStep(Tensor.host(DType.F32, 2, 3), c, null, null, p)));
        cases.add(new Case("out_c null", op, "out_c", () -> cpu.ddimStep(v, null, null, null, p)));
        cases.add(new Case("out_c shape", op, "out_c", () -> cpu.ddimStep(v, t(3, 2), null, null, p)));
        cases.add(new Case("out_c dtype", op, "out_c", () -> cpu.ddimStep(v, t(DType.F16, 2, 3), null, null, p)));
        cases.add(new Case("out_u shape", op, "out_u", () -> cpu.ddimStep(v, c, t(6), null, p)));
        cases.add(new Case("out_u of another runtime", op, "out_u",
                () -> cpu.ddimStep(v, c, other.allocate(DType.F32, 2, 3), null, p)));
        cases.add(new Case("noise dtype", op, "noise", () -> cpu.ddimStep(v, c, null, t(DType.BF16, 2, 3), p)));
        cases.add(new Case("noise closed", op, "noise", () -> cpu.ddimStep(v, c, null, closedOf(2, 3), p)));
        cases.add(new Case("params null", op, "params", () -> cpu.ddimStep(v, c, null, null, null)));
        cases.add(new Case("alpha_t NaN", op, "alpha_t", () -> cpu.ddimStep(v, c, null, null, DdimParams.of(Double.NaN, 0.8, 0.8, 0.6))));
        cases.add(new Case("eta without noise", op, "noise",
                () -> cpu.ddimStep(v, c, null, null, new DdimParams(0.6, 0.8, 0.8, 0.6, 1, Prediction.EPS, 1, 0))));
        cases.add(new Case("y shape", op, "y", () -> cpu.ddimStepInto(v, c, null, null, p, t(3, 2), null)));
        cases.add(new Case("y is out_c", op, "y", () -> cpu.ddimStepInto(v, c, null, null, p, c, null)));
        cases.add(new Case("x0 is x", op, "x0", () -> cpu.ddimStepInto(v, c, null, null, p, t(2, 3), v)));
        cases.add(new Case("x0 is y", op, "x0", () -> {
            Tensor y = t(2, 3);
            cpu.ddimStepInto(v, c, null, null, p, y, y);
        }));
        cases.add(new Case("x0 dtype", op, "x0", () -> cpu.ddimStepInto(v, c, null, null, p, t(2, 3), t(DType.F16, 2, 3))));
        return cases;
    }

    private static Tensor closedOf(long... shape) {
        Tensor tensor = t(shape);
        tensor.close();
        return tensor;
    }

    @TestFactory
    List<DynamicTest> everyBadArgumentIsNamed() {
        List<Case> cases = new ArrayList<>();
        cases.addAll(convSpatialCases());
        cases.addAll(convTemporalCases());
        cases.addAll(ddimCases());
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.op() + ": " + c.name(), () -> {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, c.call());
            assertEquals(c.op(), e.op(), e.getMessage());
            assertEquals(c.argument(), e.argument(), e.getMessage());
        })).toList();
    }

    @Test
    void messagesSayExpectedAndActual() {
        InvalidArgumentException stride = assertThrows(InvalidArgumentException.class, () -> cpu.convSpatial(x, wSpatial, b, null, 3));
        assertEquals("conv_spatial: argument 'stride': expected 1 or 2, got 3", stride.getMessage());
        InvalidArgumentException w = assertThrows(InvalidArgumentException.class, () -> cpu.convSpatial(x, t(5, 2, 1, 3, 3), b, null, 1));
        assertEquals("conv_spatial: argument 'w': expected shape [Co, 3, 1, k, k] with k in {1, 3} and Ci = x's last dimension, "
                + "got [5, 2, 1, 3, 3]", w.getMessage());
        InvalidArgumentException residualShape = assertThrows(InvalidArgumentException.class,
                () -> cpu.convSpatial(x, wSpatial, b, residual, 2));
        assertEquals("conv_spatial: argument 'residual': expected shape [1, 2, 2, 2, 5] [B,T,H',W',Co], got [1, 2, 4, 4, 5]",
                residualShape.getMessage());
    }

    @Test
    void inPlaceAliasesThatTheOpsAllowAreAccepted() {
        try (Tensor y = t(1, 2, 4, 4, 5); Tensor state = t(2, 3); Tensor out = t(2, 3)) {
            cpu.convSpatialInto(x, wSpatial, b, y, 1, y);
            cpu.convTemporalInto(x, wTemporal, b, y, y);
            cpu.ddimStepInto(state, out, null, null, DdimParams.of(0.6, 0.8, 0.8, 0.6), state, null);
        }
    }
}
