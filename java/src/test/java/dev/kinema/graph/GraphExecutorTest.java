package dev.kinema.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.ref.Tolerance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Small graphs on every backend that runs here, against the same graph run op by op through ReferenceOps. */
class GraphExecutorTest {
    static List<Backend> backends() {
        List<Backend> usable = new ArrayList<>();
        Kinema.probe().forEach((b, reason) -> {
            if (reason == null) {
                usable.add(b);
            }
        });
        return usable;
    }

    static Tensor random(Random rng, float scale, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] data = new float[(int) n];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (rng.nextGaussian() * scale);
        }
        return Tensor.hostFromFloats(data, shape);
    }

    /**
     * group_norm(silu) -> conv_spatial -> linear with residual (around views) -> q/k/v projections ->
     * attention over heads -> linear(geglu); also the conv output as a second graph output.
     */
    static Graph block(Random rng, List<Tensor> weights) {
        long b = 1, t = 2, h = 4, w = 4, c = 16, heads = 2, d = 8;
        GraphBuilder g = new GraphBuilder();
        Value x = g.input("x", DType.F32, b, t, h, w, c);
        Value gamma = g.weight("gamma", keep(weights, random(rng, 1, c)));
        Value beta = g.weight("beta", keep(weights, random(rng, 1, c)));
        Value n = g.op("norm", "group_norm", Map.of("x", x, "gamma", gamma, "beta", beta),
                Map.of("groups", 4, "silu", true));
        Value conv = g.op("conv", "conv_spatial", Map.of("x", n, "w", g.weight("conv.w", keep(weights, random(rng, 0.2f, c, c, 1, 3, 3))),
                "b", g.weight("conv.b", keep(weights, random(rng, 0.1f, c)))), Map.of());
        g.output("h", conv);
        Value rows = g.view("rows", conv, b * t * h * w, c);
        Value xRows = g.view("x.rows", x, b * t * h * w, c);
        Value proj = g.op("proj", "linear", Map.of("x", rows, "w", g.weight("proj.w", keep(weights, random(rng, 0.25f, c, c))),
                "residual", xRows), Map.of());
        Map<String, Value> qkv = new LinkedHashMap<>();
        for (String name : List.of("q", "k", "v")) {
            Value p = g.op(name, "linear", Map.of("x", proj, "w", g.weight(name + ".w", keep(weights, random(rng, 0.25f, c, c)))),
                    Map.of());
            qkv.put(name, g.view(name + ".heads", p, b, t, h * w, heads, d));
        }
        Value att = g.op("attn", "attention", qkv, Map.of("kv_frames", "same"));
        Value attRows = g.view("attn.rows", att, b * t * h * w, c);
        Value ff = g.op("ff", "linear", Map.of("x", attRows, "w", g.weight("ff.w", keep(weights, random(rng, 0.25f, 2 * c, c))),
                "b", g.weight("ff.b", keep(weights, random(rng, 0.1f, 2 * c))), "residual", attRows), Map.of("act", "geglu"));
        g.output("y", g.view("y", ff, b, t, h, w, c));
        return g.build();
    }

    static Tensor keep(List<Tensor> list, Tensor t) {
        list.add(t);
        return t;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void blockMatchesReferenceOverRepeatedRuns(Backend backend) {
        Random rng = new Random(7);
        List<Tensor> weights = new ArrayList<>();
        Graph graph = block(rng, weights);
        try (Kinema rt = Kinema.open(backend); GraphExecutor exec = new GraphExecutor(graph, rt)) {
            assertTrue(exec.plan().peakBytes() >= exec.plan().lowerBoundBytes());
            for (int run = 0; run < 3; run++) {
                try (Tensor x = random(rng, 1, 1, 2, 4, 4, 16);
                     Tensor y = Tensor.host(DType.F32, 1, 2, 4, 4, 16);
                     Tensor h = rt.allocate(DType.F32, 1, 2, 4, 4, 16)) {
                    exec.run(Map.of("x", x), Map.of("y", y, "h", h));
                    Map<String, float[]> ref = ReferenceGraph.run(graph, Map.of("x", x));
                    assertClose(ref.get("y"), y.toFloats(), backend + " run " + run + " y");
                    assertClose(ref.get("h"), h.toFloats(), backend + " run " + run + " h");
                    assertClose(ref.get("y"), exec.result("y").toFloats(), backend + " result(y)");
                }
            }
        } finally {
            weights.forEach(Tensor::close);
        }
    }

    /** One node of every op family; inputs x [1,3,4,4,8], t [1], noise [1,3,8,8,8]; outputs y, x0, mul. */
    static Graph everyOpFamily(Random rng, List<Tensor> weights) {
        GraphBuilder g = new GraphBuilder();
        Value x = g.input("x", DType.F32, 1, 3, 4, 4, 8);
        Value tsteps = g.input("t", DType.F32, 1);
        Value emb = g.op("emb", "timestep_embedding", Map.of("t", tsteps), Map.of("dim", 8));
        Value temb = g.op("temb", "linear", Map.of("x", emb, "w", g.weight("temb.w", keep(weights, random(rng, 0.3f, 8, 8)))),
                Map.of("act", "silu"));
        Value added = g.op("add", "add", Map.of("x", x, "z", g.view("temb.v", temb, 8)), Map.of());
        Value tconv = g.op("tconv", "conv_temporal", Map.of("x", added, "w", g.weight("tconv.w", keep(weights, random(rng, 0.2f, 8, 8, 3, 1, 1)))),
                Map.of());
        Value tatt = g.op("tattn", "temporal_attention", Map.of("q", tconv, "k", added, "v", added), Map.of("heads", 2));
        Value blend = g.op("blend", "alpha_blend", Map.of("x_spatial", added, "x_temporal", tatt,
                "mix", g.weight("mix", keep(weights, Tensor.hostFromFloats(new float[] {0.3f}, 1)))), Map.of("mode", "learned"));
        Value ln = g.op("ln", "layer_norm", Map.of("x", blend), Map.of("eps", 1e-5));
        Value up = g.op("up", "upsample_nearest", Map.of("x", ln), Map.of());
        Value patches = g.op("patch", "patchify", Map.of("x", up), Map.of("p", 2));
        Value back = g.op("unpatch", "unpatchify", Map.of("x", g.op("gelu", "gelu", Map.of("x", patches), Map.of())),
                Map.of("p", 2, "H", 8, "W", 8));
        Value c3 = g.op("c3", "conv3d", Map.of("x", back, "w", g.weight("c3.w", keep(weights, random(rng, 0.1f, 8, 8, 3, 3, 3)))),
                Map.of());
        Value noise = g.input("noise", DType.F32, 1, 3, 8, 8, 8);
        Value mixed = g.op("mixed", "scale_add", Map.of("x", c3, "z", noise), Map.of("a", 0.5, "b", 0.25));
        Map<String, Value> ddim = g.opOutputs("ddim", "ddim_step", Map.of("x", noise, "out_c", mixed),
                Map.of("alpha_t", 0.8, "sigma_t", 0.6, "alpha_s", 0.9, "sigma_s", Math.sqrt(0.19), "prediction", "v"));
        g.output("y", ddim.get("y"));
        g.output("x0", ddim.get("x0"));
        g.output("mul", g.op("mul", "mul", Map.of("x", ddim.get("y"), "z", g.weight("scale", keep(weights, random(rng, 1, 8)))), Map.of()));
        return g.build();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void everyOpFamilyInOneGraph(Backend backend) {
        Random rng = new Random(11);
        List<Tensor> weights = new ArrayList<>();
        Graph graph = everyOpFamily(rng, weights);
        try (Kinema rt = Kinema.open(backend); GraphExecutor exec = new GraphExecutor(graph, rt);
             Tensor xs = random(rng, 1, 1, 3, 4, 4, 8); Tensor ts = Tensor.hostFromFloats(new float[] {500}, 1);
             Tensor ns = random(rng, 1, 1, 3, 8, 8, 8)) {
            Map<String, Tensor> inputs = Map.of("x", xs, "t", ts, "noise", ns);
            Map<String, Tensor> out = exec.run(inputs);
            try {
                Map<String, float[]> ref = ReferenceGraph.run(graph, inputs);
                for (String name : List.of("y", "x0", "mul")) {
                    assertClose(ref.get(name), out.get(name).toFloats(), backend + " " + name);
                }
            } finally {
                out.values().forEach(Tensor::close);
            }
        } finally {
            weights.forEach(Tensor::close);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void profileTimesEveryNodeAndGroupsFamilies(Backend backend) {
        Random rng = new Random(3);
        List<Tensor> weights = new ArrayList<>();
        Graph graph = block(rng, weights);
        try (Kinema rt = Kinema.open(backend); GraphExecutor exec = new GraphExecutor(graph, rt);
             Tensor x = random(rng, 1, 1, 2, 4, 4, 16); Tensor y = Tensor.host(DType.F32, 1, 2, 4, 4, 16)) {
            Profile profile = exec.profile(Map.of("x", x), Map.of("y", y));
            assertEquals(8, profile.entries().size(), profile.table());
            assertTrue(profile.nanosByFamily().containsKey("linear"), profile.table());
            assertTrue(profile.entries().stream().allMatch(e -> e.nanos() > 0 && e.bytes() > 0));
            assertTrue(profile.table().contains("| attn | attention |"), profile.table());
            assertClose(ReferenceGraph.run(graph, Map.of("x", x)).get("y"), y.toFloats(), "profiled y");
        } finally {
            weights.forEach(Tensor::close);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void weightsOnTheRuntimeAreUsedInPlace(Backend backend) {
        try (Kinema rt = Kinema.open(backend); Tensor w = rt.fromFloats(new float[] {1, 2, 3, 4}, 2, 2)) {
            GraphBuilder g = new GraphBuilder();
            Value x = g.input("x", DType.F32, 1, 2);
            g.output("y", g.op("lin", "linear", Map.of("x", x, "w", g.weight("w", w)), Map.of()));
            g.output("w", g.view("wv", g.build().weights().keySet().iterator().next(), 4));
            try (GraphExecutor exec = new GraphExecutor(g.build(), rt); Tensor in = Tensor.hostFromFloats(new float[] {1, 1}, 1, 2)) {
                Map<String, Tensor> out = exec.run(Map.of("x", in));
                assertArrayEquals(new float[] {3, 7}, out.get("y").toFloats());
                assertArrayEquals(new float[] {1, 2, 3, 4}, out.get("w").toFloats());
                out.values().forEach(Tensor::close);
            }
            assertFalse(w.isClosed(), "the executor must not close a weight it did not upload");
        }
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        Tolerance.Comparison c = Tolerance.compare(actual, expected);
        assertFalse(Double.isNaN(c.maxAbsError()), what);
        assertTrue(c.passed(), what + ": max|err| " + c.maxAbsError() + " > bound " + c.bound());
    }

    static Map<String, Tensor> map(Object... kv) {
        Map<String, Tensor> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Tensor) kv[i + 1]);
        }
        return m;
    }
}
