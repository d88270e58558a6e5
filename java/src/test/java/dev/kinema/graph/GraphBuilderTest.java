package dev.kinema.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Activation;
import dev.kinema.DType;
import dev.kinema.Tensor;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Shape and dtype inference at build time, and the errors that name the node. */
class GraphBuilderTest {
    private final java.util.List<Tensor> tensors = new java.util.ArrayList<>();

    private Tensor host(long... shape) {
        Tensor t = Tensor.host(DType.F32, shape);
        tensors.add(t);
        return t;
    }

    @AfterEach
    void close() {
        tensors.forEach(Tensor::close);
    }

    @Test
    void infersShapesAsOpsMdDefinesThem() {
        GraphBuilder g = new GraphBuilder();
        Value x = g.input("x", DType.F32, 2, 3, 8, 8, 16);
        Value c = g.op("down", "conv_spatial", Map.of("x", x, "w", g.weight("w", host(32, 16, 1, 3, 3))), Map.of("stride", 2));
        assertArrayEquals(new long[] {2, 3, 4, 4, 32}, c.shape());
        Value rows = g.view("rows", c, 2 * 3 * 16, 32);
        Value geglu = g.op("ff", "linear", Map.of("x", rows, "w", g.weight("ff.w", host(128, 32))), Map.of("act", Activation.GEGLU));
        assertArrayEquals(new long[] {96, 64}, geglu.shape());
        Value p = g.op("patch", "patchify", Map.of("x", x), Map.of("p", 4));
        assertArrayEquals(new long[] {2, 3, 4, 256}, p.shape());
        Value u = g.op("unpatch", "unpatchify", Map.of("x", p), Map.of("p", 4, "H", 8, "W", 8));
        assertArrayEquals(new long[] {2, 3, 8, 8, 16}, u.shape());
        assertArrayEquals(new long[] {2, 3, 16, 16, 16}, g.op("up", "upsample_nearest", Map.of("x", x), Map.of()).shape());
        Value q = g.view("q", x, 2, 3, 64, 2, 8);
        Value ctx = g.input("ctx", DType.F32, 2, 7, 2, 8);
        assertArrayEquals(q.shape(), g.op("xattn", "attention", Map.of("q", q, "k", ctx, "v", ctx),
                Map.of("kv_frames", "context")).shape());
        Value t = g.input("t", DType.F32, 2);
        assertArrayEquals(new long[] {2, 320}, g.op("emb", "timestep_embedding", Map.of("t", t), Map.of("dim", 320)).shape());
        Value skip = g.input("skip", DType.F32, 2, 3, 8, 8, 5);
        assertArrayEquals(new long[] {2, 3, 8, 8, 21}, g.op("cat", "concat", Map.of("x", x, "z", skip), Map.of()).shape());
        Value temb = g.input("temb", DType.F32, 2, 1, 1, 1, 16);
        assertArrayEquals(x.shape(), g.op("temb.add", "add", Map.of("x", x, "z", temb), Map.of()).shape());
        assertEquals("z", assertThrows(GraphException.class, () -> g.op("bad.cat", "concat",
                Map.of("x", x, "z", g.input("skip2", DType.F32, 2, 3, 8, 4, 5)), Map.of())).argument());
        assertEquals("z", assertThrows(GraphException.class, () -> g.op("bad.add", "add",
                Map.of("x", x, "z", g.input("temb2", DType.F32, 1, 3, 1, 1, 16)), Map.of())).argument());
        Map<String, Value> ddim = g.opOutputs("ddim", "ddim_step", Map.of("x", x, "out_c", u),
                Map.of("alpha_t", 0.8, "sigma_t", 0.6, "alpha_s", 0.9, "sigma_s", 0.43589));
        assertArrayEquals(x.shape(), ddim.get("x0").shape());
        assertEquals("ddim:x0", ddim.get("x0").name());
        assertSame(x, q.base());
        assertSame(c, g.view("again", rows, 2, 3, 4, 4, 32).base(), "a view of a view points at the root");
        assertEquals(DType.F32, geglu.dtype());
    }

    @Test
    void shapeMismatchNamesNodeInputAndBothShapes() {
        GraphBuilder g = new GraphBuilder();
        Value x = g.input("x", DType.F32, 4, 64);
        GraphException e = assertThrows(GraphException.class,
                () -> g.op("proj", "linear", Map.of("x", x, "w", g.weight("w", host(32, 48))), Map.of()));
        assertEquals("proj", e.node());
        assertEquals("linear", e.op());
        assertEquals("w", e.argument());
        assertTrue(e.getMessage().startsWith("node 'proj' (linear): argument 'w'"), e.getMessage());
        assertTrue(e.getMessage().contains("[N, 64]") && e.getMessage().contains("[32, 48]"), e.getMessage());

        Value y = g.input("y", DType.F32, 4, 32);
        GraphException residual = assertThrows(GraphException.class, () -> g.op("res", "linear",
                Map.of("x", x, "w", g.weight("w2", host(16, 64)), "residual", y), Map.of()));
        assertEquals("residual", residual.argument());
        assertTrue(residual.getMessage().contains("[4, 16]") && residual.getMessage().contains("[4, 32]"), residual.getMessage());

        GraphException view = assertThrows(GraphException.class, () -> g.view("bad.view", x, 3, 64));
        assertEquals("bad.view", view.node());
        assertTrue(view.getMessage().contains("256 elements") && view.getMessage().contains("[3, 64]"), view.getMessage());
    }

    @Test
    void unknownOpInputAttributeAndMissingInput() {
        GraphBuilder g = new GraphBuilder();
        Value x = g.input("x", DType.F32, 1, 2, 4, 4, 8);
        GraphException op = assertThrows(GraphException.class, () -> g.op("n", "conv2d", Map.of("x", x), Map.of()));
        assertEquals("op", op.argument());
        assertTrue(op.getMessage().contains("'conv2d'") && op.getMessage().contains("conv_spatial"), op.getMessage());
        assertEquals("gamma", assertThrows(GraphException.class,
                () -> g.op("n", "group_norm", Map.of("x", x), Map.of("groups", 2))).argument());
        assertEquals("bias", assertThrows(GraphException.class,
                () -> g.op("n", "silu", Map.of("x", x, "bias", x), Map.of())).argument());
        assertEquals("groups", assertThrows(GraphException.class,
                () -> g.op("n", "group_norm", Map.of("x", x, "gamma", g.weight("g", host(8)), "beta", g.weight("b", host(8))),
                        Map.of("groups", 3))).argument());
        assertEquals("strid", assertThrows(GraphException.class,
                () -> g.op("n", "silu", Map.of("x", x), Map.of("strid", 1))).argument());
        assertEquals("alpha_t", assertThrows(GraphException.class,
                () -> g.op("n", "ddim_step", Map.of("x", x, "out_c", x), Map.of())).argument());
        assertEquals("x", assertThrows(GraphException.class,
                () -> g.op("n", "silu", Map.of("x", new GraphBuilder().input("x", DType.F32, 1)), Map.of())).argument());
        g.op("n", "silu", Map.of("x", x), Map.of());
        assertEquals("name", assertThrows(GraphException.class,
                () -> g.op("n", "gelu", Map.of("x", x), Map.of())).argument(), "node names are unique");
        assertEquals("name", assertThrows(GraphException.class, () -> g.input("x", DType.F32, 1)).argument());
    }

    @Test
    void dtypesMustAgree() {
        GraphBuilder g = new GraphBuilder();
        Value x = g.input("x", DType.F32, 2, 8);
        Value z = g.input("z", DType.BF16, 8);
        GraphException e = assertThrows(GraphException.class, () -> g.op("sum", "add", Map.of("x", x, "z", z), Map.of()));
        assertEquals("z", e.argument());
        assertTrue(e.getMessage().contains("dtype f32") && e.getMessage().contains("bf16"), e.getMessage());
        Value h = g.input("h", DType.BF16, 2, 8);
        assertEquals(DType.BF16, g.op("s", "silu", Map.of("x", h), Map.of()).dtype());
    }

    @Test
    void graphListsItsParts() {
        GraphBuilder g = new GraphBuilder();
        Value x = g.input("x", DType.F32, 2, 8);
        Value s = g.op("act", "silu", Map.of("x", x), Map.of());
        g.output("out", s);
        assertThrows(GraphException.class, () -> g.output("out", x));
        Graph graph = g.build();
        assertEquals(1, graph.nodes().size());
        assertSame(s, graph.outputs().get("out"));
        assertTrue(graph.toString().contains("act = silu(x=x)"), graph.toString());
    }
}
