package dev.kinema.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kinema.Backend;
import dev.kinema.CapturedGraph;
import dev.kinema.DType;
import dev.kinema.DeviceStream;
import dev.kinema.Kinema;
import dev.kinema.NativeCallException;
import dev.kinema.PreparedOp;
import dev.kinema.Tensor;
import dev.kinema.UnsupportedByBackendException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;

import org.junit.jupiter.api.Test;

/**
 * Graph capture on cuda-emu: an executor that captures its nodes on the first run and replays the
 * graph afterwards gives bit-identical outputs to one that makes a prepared call per node; the capture
 * path is really taken (the graph's recorded launches are counted); misuse is an error, and cpu refuses
 * capture.
 */
class GraphCaptureTest {
    static void assumeEmulator() {
        assumeTrue(Kinema.probe().get(Backend.CUDA_EMU) == null, "cuda-emu unavailable here");
    }

    /** Runs graph on a capturing and a node-by-node executor for several runs; outputs must be equal bits. */
    static void assertCaptureMatchesStepByStep(BiFunction<Random, List<Tensor>, Graph> build,
                                               BiFunction<Random, Integer, Map<String, Tensor>> inputs) {
        List<Tensor> weights = new ArrayList<>();
        Graph graph = build.apply(new Random(5), weights);
        long opNodes = graph.nodes().stream().filter(n -> !n.isView()).count();
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU);
             GraphExecutor captured = new GraphExecutor(graph, rt);
             GraphExecutor stepwise = new GraphExecutor(graph, rt, false)) {
            assertTrue(captured.capturesGraph());
            assertFalse(stepwise.capturesGraph());
            assertEquals(0, captured.capturedNodeCount(), "nothing is captured before the first run");
            long nodes = -1;
            for (int run = 0; run < 3; run++) {
                Map<String, Tensor> in = inputs.apply(new Random(100 + run), run);
                Map<String, Tensor> a = captured.run(in);
                Map<String, Tensor> b = stepwise.run(in);
                try {
                    for (String name : graph.outputs().keySet()) {
                        assertArrayEquals(b.get(name).toFloats(), a.get(name).toFloats(), "run " + run + " output " + name);
                    }
                } finally {
                    a.values().forEach(Tensor::close);
                    b.values().forEach(Tensor::close);
                    in.values().forEach(Tensor::close);
                }
                if (run == 0) {
                    nodes = captured.capturedNodeCount();
                }
                assertEquals(nodes, captured.capturedNodeCount(), "one capture, replayed");
            }
            assertTrue(nodes >= opNodes, "captured " + nodes + " launches for " + opNodes + " op nodes");
            assertEquals(0, stepwise.capturedNodeCount());
        } finally {
            weights.forEach(Tensor::close);
        }
    }

    @Test
    void blockGraphReplaysBitIdentically() {
        assumeEmulator();
        assertCaptureMatchesStepByStep(GraphExecutorTest::block,
                (rng, run) -> Map.of("x", GraphExecutorTest.random(rng, 1, 1, 2, 4, 4, 16)));
    }

    @Test
    void everyOpFamilyReplaysBitIdentically() {
        assumeEmulator();
        assertCaptureMatchesStepByStep(GraphExecutorTest::everyOpFamily, (rng, run) -> Map.of(
                "x", GraphExecutorTest.random(rng, 1, 1, 3, 4, 4, 8),
                "t", Tensor.hostFromFloats(new float[] {100 + 300 * run}, 1),
                "noise", GraphExecutorTest.random(rng, 1, 1, 3, 8, 8, 8)));
    }

    @Test
    void profileRunsNodeByNodeBesideACapturedGraph() {
        assumeEmulator();
        List<Tensor> weights = new ArrayList<>();
        Graph graph = GraphExecutorTest.block(new Random(3), weights);
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU); GraphExecutor exec = new GraphExecutor(graph, rt);
             Tensor x = GraphExecutorTest.random(new Random(4), 1, 1, 2, 4, 4, 16);
             Tensor y1 = Tensor.host(DType.F32, 1, 2, 4, 4, 16); Tensor y2 = Tensor.host(DType.F32, 1, 2, 4, 4, 16)) {
            Profile profile = exec.profile(Map.of("x", x), Map.of("y", y1));
            assertEquals(8, profile.entries().size(), profile.table());
            assertEquals(0, exec.capturedNodeCount(), "profile does not capture");
            exec.run(Map.of("x", x), Map.of("y", y2));
            assertTrue(exec.capturedNodeCount() > 0);
            assertArrayEquals(y1.toFloats(), y2.toFloats());
        } finally {
            weights.forEach(Tensor::close);
        }
    }

    @Test
    void replayRefusesAWeightClosedSinceTheCapture() {
        assumeEmulator();
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU)) {
            Tensor w = rt.fromFloats(new float[] {1, 2, 3, 4}, 2, 2);
            GraphBuilder g = new GraphBuilder();
            Value x = g.input("x", DType.F32, 1, 2);
            g.output("y", g.op("lin", "linear", Map.of("x", x, "w", g.weight("w", w)), Map.of()));
            try (GraphExecutor exec = new GraphExecutor(g.build(), rt);
                 Tensor in = Tensor.hostFromFloats(new float[] {1, 1}, 1, 2); Tensor y = Tensor.host(DType.F32, 1, 2)) {
                exec.run(Map.of("x", in), Map.of("y", y));
                exec.run(Map.of("x", in), Map.of("y", y));
                assertArrayEquals(new float[] {3, 7}, y.toFloats());
                w.close();
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> exec.run(Map.of("x", in), Map.of("y", y)));
                assertTrue(e.getMessage().contains("closed"), e.getMessage());
            }
        }
    }

    @Test
    void captureMisuseIsAnErrorWithAMessage() {
        assumeEmulator();
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU); DeviceStream s = rt.createStream();
             Tensor x = rt.fromFloats(new float[] {1, -2, 3}, 3); Tensor y = rt.allocate(DType.F32, 3)) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("x", x);
            try (PreparedOp silu = rt.prepare("silu", in, Map.of(), Map.of("y", y))) {
                NativeCallException notBegun = assertThrows(NativeCallException.class, s::endCapture);
                assertTrue(notBegun.getMessage().contains("not capturing"), notBegun.getMessage());
                s.beginCapture();
                assertTrue(s.isCapturing());
                NativeCallException nested = assertThrows(NativeCallException.class, s::beginCapture);
                assertTrue(nested.getMessage().contains("already capturing"), nested.getMessage());
                NativeCallException defaultStream = assertThrows(NativeCallException.class, silu::run);
                assertTrue(defaultStream.getMessage().contains("default stream"), defaultStream.getMessage());
                NativeCallException alloc = assertThrows(NativeCallException.class, () -> rt.allocate(DType.F32, 4));
                assertTrue(alloc.getMessage().contains("during a capture"), alloc.getMessage());
                silu.run(s);
                CapturedGraph graph = s.endCapture();
                assertFalse(s.isCapturing());
                assertEquals(1, graph.nodeCount(), graph.toString());
                assertArrayEquals(new float[] {0, 0, 0}, y.toFloats(), "captured work has not run");
                graph.launch(s);
                s.synchronize();
                float[] got = y.toFloats();
                assertEquals(1 / (1 + Math.exp(-1)), got[0], 1e-6);
                graph.close();
                assertThrows(IllegalStateException.class, () -> graph.launch(s));
            }
        }
    }

    @Test
    void graphsDieWithTheirRuntime() {
        assumeEmulator();
        Kinema rt = Kinema.open(Backend.CUDA_EMU);
        DeviceStream s = rt.createStream();
        s.beginCapture();
        CapturedGraph graph = s.endCapture();
        assertEquals(0, graph.nodeCount());
        rt.close();
        assertThrows(IllegalStateException.class, () -> graph.launch(s));
        graph.close();
        s.close();
    }

    @Test
    void cpuRefusesCaptureAndRunsPreparedCalls() {
        try (Kinema rt = Kinema.open(Backend.CPU); DeviceStream s = rt.createStream()) {
            assertFalse(rt.supportsGraphCapture());
            UnsupportedByBackendException e = assertThrows(UnsupportedByBackendException.class, s::beginCapture);
            assertTrue(e.getMessage().contains("does not capture graphs"), e.getMessage());
            List<Tensor> weights = new ArrayList<>();
            try (GraphExecutor exec = new GraphExecutor(GraphExecutorTest.block(new Random(1), weights), rt);
                 Tensor x = GraphExecutorTest.random(new Random(2), 1, 1, 2, 4, 4, 16)) {
                assertFalse(exec.capturesGraph());
                exec.run(Map.of("x", x)).values().forEach(Tensor::close);
                assertEquals(0, exec.capturedNodeCount());
            } finally {
                weights.forEach(Tensor::close);
            }
        }
    }
}
