package dev.kinema.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.DType;
import dev.kinema.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Random DAGs and chains: live tensors never share bytes, every tensor fits, and the arena is near the lower bound. */
class MemoryPlannerTest {
    /**
     * A random DAG of linear nodes: each reads an earlier value and, half the time, adds an earlier value
     * as residual; a fifth of the values are graph outputs too. A chain: each node reads the one before,
     * and only the last value is an output.
     */
    static Graph randomDag(Random rng, int nodes, boolean chain, List<Tensor> weights) {
        GraphBuilder g = new GraphBuilder();
        long rows = 1 + rng.nextInt(chain ? 512 : 64);
        List<Value> values = new ArrayList<>();
        values.add(g.input("x", DType.F32, rows, 1 + rng.nextInt(300)));
        for (int i = 0; i < nodes; i++) {
            Value x = chain ? values.get(values.size() - 1) : values.get(rng.nextInt(values.size()));
            Value residual = !chain && rng.nextBoolean() ? values.get(rng.nextInt(values.size())) : null;
            long n = residual != null ? residual.dim(1) : 1 + rng.nextInt(300);
            Tensor w = Tensor.host(DType.F32, n, x.dim(1));
            weights.add(w);
            Value wv = g.weight("w" + i, w);
            Value y = residual == null ? g.op("n" + i, "linear", Map.of("x", x, "w", wv), Map.of())
                    : g.op("n" + i, "linear", Map.of("x", x, "w", wv, "residual", residual), Map.of());
            if (rng.nextInt(4) == 0) {
                y = g.view("v" + i, y, y.numel());
                y = g.view("r" + i, y, rows, n);
            }
            values.add(y);
            if (!chain && rng.nextInt(5) == 0) {
                g.output("o" + i, y);
            }
        }
        g.output("out", values.get(values.size() - 1));
        return g.build();
    }

    static void checkPlan(Graph graph, MemoryPlan plan) {
        List<MemoryPlan.Slot> slots = new ArrayList<>(plan.slots().values());
        for (MemoryPlan.Slot s : slots) {
            assertTrue(s.offset() >= 0 && s.offset() % MemoryPlan.ALIGNMENT == 0, "aligned " + s);
            assertTrue(s.size() >= s.value().byteSize(), "size " + s);
            assertTrue(s.offset() + s.size() <= plan.peakBytes(), "fits " + s);
            assertTrue(s.first() <= s.last(), "lifetime " + s);
        }
        for (int i = 0; i < slots.size(); i++) {
            for (int j = i + 1; j < slots.size(); j++) {
                MemoryPlan.Slot a = slots.get(i);
                MemoryPlan.Slot b = slots.get(j);
                assertFalse(a.overlapsInTime(b) && a.overlapsInSpace(b), a + " and " + b + " are live together and overlap");
            }
        }
        assertTrue(plan.peakBytes() >= plan.lowerBoundBytes(), plan.toString());
        for (Node node : graph.nodes()) {
            for (Value in : node.inputs().values()) {
                MemoryPlan.Slot s = plan.slot(in);
                if (s != null) {
                    assertTrue(s.first() <= node.index() && node.index() <= s.last(), in + " live at " + node);
                }
            }
            for (Value out : node.outputs().values()) {
                MemoryPlan.Slot s = plan.slot(out);
                assertTrue(s != null && s.first() <= node.index() && node.index() <= s.last(), out + " live at " + node);
            }
        }
        int lastStep = Math.max(0, graph.nodes().size() - 1);
        graph.outputs().values().forEach(v -> assertEquals(lastStep, plan.slot(v).last(), "output " + v));
    }

    @Test
    void randomDagsNeverOverlapLiveTensors() {
        Random rng = new Random(20240601);
        for (int trial = 0; trial < 200; trial++) {
            List<Tensor> weights = new ArrayList<>();
            try {
                Graph graph = randomDag(rng, 1 + rng.nextInt(40), false, weights);
                checkPlan(graph, MemoryPlanner.plan(graph));
            } finally {
                weights.forEach(Tensor::close);
            }
        }
    }

    @Test
    void chainsStayWithinTenPercentOfTheLowerBound() {
        Random rng = new Random(99);
        for (int trial = 0; trial < 200; trial++) {
            List<Tensor> weights = new ArrayList<>();
            try {
                Graph graph = randomDag(rng, 1 + rng.nextInt(60), true, weights);
                MemoryPlan plan = MemoryPlanner.plan(graph);
                checkPlan(graph, plan);
                assertTrue(plan.peakBytes() <= 1.1 * plan.lowerBoundBytes(), "trial " + trial + ": " + plan);
            } finally {
                weights.forEach(Tensor::close);
            }
        }
    }

    @Test
    void randomIntervalsDirectly() {
        Random rng = new Random(5);
        for (int trial = 0; trial < 500; trial++) {
            int n = 1 + rng.nextInt(60);
            int steps = 1 + rng.nextInt(30);
            long[] sizes = new long[n];
            int[] first = new int[n];
            int[] last = new int[n];
            for (int i = 0; i < n; i++) {
                sizes[i] = MemoryPlanner.align(1 + rng.nextInt(1 << (1 + rng.nextInt(20))));
                first[i] = rng.nextInt(steps);
                last[i] = first[i] + rng.nextInt(steps - first[i]);
            }
            long[] offsets = MemoryPlanner.assign(sizes, first, last);
            long peak = 0;
            for (int i = 0; i < n; i++) {
                peak = Math.max(peak, offsets[i] + sizes[i]);
                for (int j = i + 1; j < n; j++) {
                    boolean time = first[i] <= last[j] && first[j] <= last[i];
                    boolean space = offsets[i] < offsets[j] + sizes[j] && offsets[j] < offsets[i] + sizes[i];
                    assertFalse(time && space, "trial " + trial + ": " + i + " and " + j);
                }
            }
            assertTrue(peak >= MemoryPlanner.lowerBound(sizes, first, last));
        }
    }

    @Test
    void viewsShareTheirRootsSlotAndExtendItsLife() {
        GraphBuilder g = new GraphBuilder();
        Value x = g.input("x", DType.F32, 4, 64);
        Value a = g.op("a", "silu", Map.of("x", x), Map.of());
        Value av = g.view("av", a, 256);
        Value b = g.op("b", "gelu", Map.of("x", x), Map.of());
        Value c = g.op("c", "gelu", Map.of("x", b), Map.of());
        Value d = g.op("d", "add", Map.of("x", g.view("cv", c, 256), "z", av), Map.of());
        g.output("d", d);
        Graph graph = g.build();
        MemoryPlan plan = MemoryPlanner.plan(graph);
        assertEquals(plan.slot(a), plan.slot(av));
        assertEquals(5, plan.slot(a).last(), "a is read through its view by d (step 5)");
        assertEquals(5, plan.slots().size(), "x, a, b, c and d own bytes; views do not");
    }
}
