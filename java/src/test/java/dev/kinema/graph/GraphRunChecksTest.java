package dev.kinema.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.Tensor;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** run()'s checks of its tensors (before any native call), and what a run allocates on the Java heap. */
class GraphRunChecksTest {
    private static Kinema rt;
    private static GraphExecutor exec;

    @BeforeAll
    static void open() {
        rt = Kinema.open(Backend.CPU);
        GraphBuilder g = new GraphBuilder();
        Value x = g.input("x", DType.F32, 2, 8);
        Value z = g.input("z", DType.F32, 8);
        Value h = x;
        for (int i = 0; i < 16; i++) {
            h = g.op("n" + i, i % 2 == 0 ? "add" : "mul", Map.of("x", h, "z", z), Map.of());
        }
        g.output("y", h);
        g.output("x", x);
        exec = new GraphExecutor(g.build(), rt);
    }

    @AfterAll
    static void close() {
        exec.close();
        rt.close();
    }

    @Test
    void missingUnknownAndMismatchedTensorsAreNamed() {
        try (Tensor x = Tensor.host(DType.F32, 2, 8); Tensor z = Tensor.host(DType.F32, 8);
             Tensor bad = Tensor.host(DType.F32, 8, 2); Tensor half = Tensor.host(DType.F16, 2, 8)) {
            GraphException missing = assertThrows(GraphException.class, () -> exec.run(Map.of("x", x), Map.of()));
            assertEquals("z", missing.node());
            assertTrue(missing.getMessage().contains("f32[8]"), missing.getMessage());
            GraphException unknown = assertThrows(GraphException.class,
                    () -> exec.run(Map.of("x", x, "z", z, "w", z), Map.of()));
            assertEquals("w", unknown.argument());
            GraphException shape = assertThrows(GraphException.class, () -> exec.run(Map.of("x", bad, "z", z), Map.of()));
            assertTrue(shape.getMessage().contains("[2, 8]") && shape.getMessage().contains("[8, 2]"), shape.getMessage());
            GraphException dtype = assertThrows(GraphException.class, () -> exec.run(Map.of("x", half, "z", z), Map.of()));
            assertTrue(dtype.getMessage().contains("f16"), dtype.getMessage());
            GraphException output = assertThrows(GraphException.class,
                    () -> exec.run(Map.of("x", x, "z", z), Map.of("y", bad)));
            assertEquals("y", output.argument());
            assertEquals("q", assertThrows(GraphException.class,
                    () -> exec.run(Map.of("x", x, "z", z), Map.of("q", x))).argument());
            assertEquals("nope", assertThrows(GraphException.class, () -> exec.result("nope")).node());
            Map<String, Tensor> withNull = new HashMap<>();
            withNull.put("y", null);
            assertThrows(GraphException.class, () -> exec.run(Map.of("x", x, "z", z), withNull));
        }
    }

    @Test
    void aRunAllocatesAlmostNothingOnTheJavaHeap() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Tensor x = rt.allocate(DType.F32, 2, 8); Tensor z = rt.allocate(DType.F32, 8); Tensor y = rt.allocate(DType.F32, 2, 8)) {
            Map<String, Tensor> in = Map.of("x", x, "z", z);
            Map<String, Tensor> out = Map.of("y", y);
            for (int i = 0; i < 20_000; i++) {
                exec.run(in, out);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            int runs = 2_000;
            for (int i = 0; i < runs; i++) {
                exec.run(in, out);
            }
            long perRun = (threads.getCurrentThreadAllocatedBytes() - before) / runs;
            // 16 op calls and 3 copies per run; a per-call params struct or map would cost kilobytes.
            assertTrue(perRun < 256, perRun + " bytes allocated per run");
        }
    }

    @Test
    void closedExecutorRefusesToRun() {
        try (Kinema cpu = Kinema.open(Backend.CPU)) {
            GraphBuilder g = new GraphBuilder();
            g.output("y", g.op("s", "silu", Map.of("x", g.input("x", DType.F32, 4)), Map.of()));
            GraphExecutor e = new GraphExecutor(g.build(), cpu);
            e.close();
            e.close();
            assertThrows(IllegalStateException.class, () -> e.run(Map.of(), Map.of()));
        }
    }
}
