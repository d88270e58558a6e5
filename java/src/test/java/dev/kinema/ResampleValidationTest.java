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
 * upsample_nearest, patchify, unpatchify, alpha_blend, timestep_embedding and concat refuse bad tensors and
 * attributes in Java, naming the op and the argument; typed calls, Kinema.run and in-place calls give
 * the values OPS.md defines.
 */
class ResampleValidationTest {
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

    private static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }

    private static void rejects(String op, String argument, Executable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
        assertTrue(e.getMessage().contains(op), e.getMessage());
        assertEquals(argument, e.argument(), e.getMessage());
    }

    @Test
    void rejectsBadArguments() {
        rejects("upsample_nearest", "x", () -> cpu.upsampleNearest(null));
        rejects("upsample_nearest", "x", () -> cpu.upsampleNearest(t(2, 3, 4, 5)));
        rejects("upsample_nearest", "x", () -> cpu.upsampleNearest(other.allocate(DType.F32, 1, 1, 2, 2, 1)));
        rejects("patchify", "p", () -> cpu.patchify(t(1, 1, 4, 6, 3), 0));
        rejects("patchify", "p", () -> cpu.patchify(t(1, 1, 4, 6, 3), 4));
        rejects("patchify", "x", () -> cpu.patchify(t(1, 4, 6, 3), 2));
        rejects("unpatchify", "x", () -> cpu.unpatchify(t(1, 1, 5, 12), 2, 4, 6));
        rejects("unpatchify", "x", () -> cpu.unpatchify(t(1, 1, 6, 10), 2, 4, 6));
        rejects("unpatchify", "p", () -> cpu.unpatchify(t(1, 1, 6, 12), 2, 4, 5));
        rejects("unpatchify", "H", () -> cpu.unpatchify(t(1, 1, 6, 12), 2, -4, 6));
        Tensor xs = t(2, 3);
        rejects("alpha_blend", "x_temporal", () -> cpu.alphaBlend(xs, t(3, 2), t(1), true));
        rejects("alpha_blend", "mix", () -> cpu.alphaBlend(xs, t(2, 3), t(2), true));
        rejects("alpha_blend", "mix", () -> cpu.alphaBlend(xs, t(2, 3), null, false));
        rejects("alpha_blend", "x_temporal", () -> cpu.alphaBlend(xs, cpu.allocate(DType.F16, 2, 3), t(1), true));
        rejects("alpha_blend", "y", () -> cpu.alphaBlendInto(xs, t(2, 3), t(1), true, t(6)));
        rejects("alpha_blend", "y", () -> cpu.alphaBlendInto(xs, t(2, 3), t(1), true, null));
        rejects("concat", "x", () -> cpu.concat(null, t(2, 3)));
        rejects("concat", "z", () -> cpu.concat(xs, t(3, 3)));
        rejects("concat", "z", () -> cpu.concat(xs, t(6)));
        rejects("concat", "z", () -> cpu.concat(xs, cpu.allocate(DType.F16, 2, 1)));
        rejects("concat", "x", () -> cpu.concat(t(), t()));
        rejects("concat", "y", () -> cpu.concatInto(xs, t(2, 2), t(2, 4)));
        rejects("concat", "y", () -> cpu.concatInto(xs, t(2, 2), null));
        Tensor shared = t(2, 5);
        rejects("concat", "y", () -> cpu.concatInto(xs, shared.view(0, DType.F32, 2, 2), shared));
        rejects("timestep_embedding", "dim", () -> cpu.timestepEmbedding(t(3), 7, false, 1, 10000));
        rejects("timestep_embedding", "dim", () -> cpu.timestepEmbedding(t(3), 0, false, 1, 10000));
        rejects("timestep_embedding", "downscale_freq_shift", () -> cpu.timestepEmbedding(t(3), 8, false, 4, 10000));
        rejects("timestep_embedding", "downscale_freq_shift", () -> cpu.timestepEmbedding(t(3), 8, false, Double.NaN, 10000));
        rejects("timestep_embedding", "max_period", () -> cpu.timestepEmbedding(t(3), 8, false, 1, 0));
        rejects("timestep_embedding", "t", () -> cpu.timestepEmbedding(t(3, 1), 8, false, 1, 10000));
        rejects("patchify", "p", () -> cpu.run("patchify", Map.of("x", t(1, 1, 4, 4, 1)), Map.of("p", "two")));
        rejects("patchify", "p", () -> cpu.run("patchify", Map.of("x", t(1, 1, 4, 4, 1)), Map.of()));
        rejects("unpatchify", "W", () -> cpu.run("unpatchify", Map.of("x", t(1, 1, 4, 4)), Map.of("p", "1", "H", "2")));
        rejects("alpha_blend", "mode", () -> cpu.run("alpha_blend",
                Map.of("x_spatial", t(2), "x_temporal", t(2), "mix", t(1)), Map.of("mode", "average")));
        rejects("timestep_embedding", "flip_sin_to_cos", () -> cpu.run("timestep_embedding",
                Map.of("t", t(2)), Map.of("dim", "4", "flip_sin_to_cos", "yes")));
    }

    @Test
    void concatGivesOpsValues() {
        float[] x = iota(2 * 3), z = {-1, -2, -3, -4};
        try (Tensor xt = cpu.fromFloats(x, 2, 3); Tensor zt = cpu.fromFloats(z, 2, 2); Tensor y = cpu.concat(xt, zt)) {
            assertArrayEquals(new long[] {2, 5}, y.shape());
            assertArrayEquals(new float[] {0, 1, 2, -1, -2, 3, 4, 5, -3, -4}, y.toFloats());
            try (Tensor named = cpu.run("concat", Map.of("x", xt, "z", zt), Map.of()).get("y")) {
                assertArrayEquals(y.toFloats(), named.toFloats());
            }
        }
    }

    @Test
    void upsampleAndPatchesGiveOpsValues() {
        float[] x = iota(2 * 3 * 2);
        try (Tensor xt = cpu.fromFloats(x, 1, 1, 2, 3, 2); Tensor y = cpu.upsampleNearest(xt)) {
            assertArrayEquals(new long[] {1, 1, 4, 6, 2}, y.shape());
            float[] v = y.toFloats();
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 6; j++) {
                    for (int c = 0; c < 2; c++) {
                        assertEquals(x[((i / 2) * 3 + j / 2) * 2 + c], v[(i * 6 + j) * 2 + c]);
                    }
                }
            }
        }
        float[] img = iota(4 * 6 * 3);
        try (Tensor xt = cpu.fromFloats(img, 1, 1, 4, 6, 3); Tensor tok = cpu.patchify(xt, 2);
             Tensor back = cpu.unpatchify(tok, 2, 4, 6)) {
            assertArrayEquals(new long[] {1, 1, 6, 12}, tok.shape());
            float[] v = tok.toFloats();
            // token 4 = (hp 1, wp 1); feature 8 = (ph 1, pw 0, c 2) <- x[h 3, w 2, c 2]
            assertEquals(img[(3 * 6 + 2) * 3 + 2], v[4 * 12 + 8]);
            assertEquals(img[6 * 3], v[6]);
            assertArrayEquals(new long[] {1, 1, 4, 6, 3}, back.shape());
            assertArrayEquals(img, back.toFloats());
        }
    }

    @Test
    void alphaBlendAndEmbeddingGiveOpsValues() {
        float[] s = {1, 2, 3, 4}, tm = {-1, 0, 10, 20};
        try (Tensor xs = cpu.fromFloats(s, 4); Tensor xt = cpu.fromFloats(tm, 4); Tensor mix = cpu.fromFloats(new float[] {0.25f}, 1);
             Tensor fixed = cpu.alphaBlend(xs, xt, mix, false)) {
            float[] v = fixed.toFloats();
            for (int i = 0; i < 4; i++) {
                assertEquals(0.25 * s[i] + 0.75 * tm[i], v[i], 1e-6);
            }
            cpu.alphaBlendInto(xs, xt, mix, true, xt);
            double a = 1 / (1 + Math.exp(-0.25));
            float[] in = xt.toFloats();
            for (int i = 0; i < 4; i++) {
                assertEquals(a * s[i] + (1 - a) * tm[i], in[i], 1e-5);
            }
        }
        try (Tensor t = cpu.fromFloats(new float[] {0, 10}, 2); Tensor y = cpu.timestepEmbedding(t, 8, true, 0, 10000)) {
            float[] v = y.toFloats();
            assertArrayEquals(new long[] {2, 8}, y.shape());
            assertEquals(1f, v[0]);
            assertEquals(0f, v[4]);
            // row 1, i = 1: freq = 10000^(-1/4) = 0.1, arg = 1; flipped: cos first
            assertEquals(Math.cos(1), v[8 + 1], 1e-6);
            assertEquals(Math.sin(1), v[8 + 5], 1e-6);
        }
        Map<String, Tensor> out = cpu.run("timestep_embedding", Map.of("t", Tensor.hostFromFloats(new float[] {3}, 1)),
                Map.of("dim", "4"));
        try (Tensor y = out.get("y")) {
            // defaults: no flip, shift 1, max_period 10000: half 2, freqs 1 and 1e-4.
            float[] v = y.toFloats();
            assertEquals(Math.sin(3), v[0], 1e-6);
            assertEquals(Math.sin(3e-4), v[1], 1e-6);
            assertEquals(Math.cos(3), v[2], 1e-6);
        }
    }
}
