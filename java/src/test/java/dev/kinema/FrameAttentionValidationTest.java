package dev.kinema;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** attention rejects bad tensors and attributes in Java, naming the op, the argument and both values. */
class FrameAttentionValidationTest {
    private static Kinema cpu;
    private static Tensor q;  // [1,3,4,2,8]
    private static Tensor k;  // [1,3,5,2,8]
    private static Tensor v;
    private static Tensor ctx;  // [1,6,2,8]

    @BeforeAll
    static void open() {
        cpu = Kinema.open(Backend.CPU);
        q = cpu.allocate(DType.F32, 1, 3, 4, 2, 8);
        k = cpu.allocate(DType.F32, 1, 3, 5, 2, 8);
        v = cpu.allocate(DType.F32, 1, 3, 5, 2, 8);
        ctx = cpu.allocate(DType.F32, 1, 6, 2, 8);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    private static void refused(String argument, String expectedPart, Executable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
        assertTrue(e.getMessage().contains("attention"), e.getMessage());
        assertTrue(e.getMessage().contains(argument), e.getMessage());
        assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
    }

    @Test
    void badTensorsAndAttributesAreRefused() {
        refused("q", "a tensor", () -> cpu.attention(null, k, v, KvFrames.SAME));
        refused("kv_frames", "one of same", () -> cpu.attention(q, k, v, null));
        try (Tensor rank4 = cpu.allocate(DType.F32, 3, 4, 2, 8)) {
            refused("q", "rank 5", () -> cpu.attention(rank4, k, v, KvFrames.SAME));
        }
        try (Tensor twoFrames = cpu.allocate(DType.F32, 1, 2, 5, 2, 8)) {
            refused("k", "Tk = T", () -> cpu.attention(q, twoFrames, twoFrames, KvFrames.SAME));
            refused("k", "Tk = T", () -> cpu.attention(q, twoFrames, twoFrames, KvFrames.SPARSE_CAUSAL));
        }
        try (Tensor otherHeads = cpu.allocate(DType.F32, 1, 3, 5, 1, 8)) {
            refused("k", "shape [1, Tk, Nk, 2, 8]", () -> cpu.attention(q, otherHeads, otherHeads, KvFrames.ALL));
        }
        try (Tensor noKeys = cpu.allocate(DType.F32, 1, 3, 0, 2, 8)) {
            refused("k", "Nk >= 1", () -> cpu.attention(q, noKeys, noKeys, KvFrames.FIRST));
        }
        refused("k", "rank 4", () -> cpu.attention(q, k, v, KvFrames.CONTEXT));
        refused("v", "shape", () -> cpu.attention(q, k, ctx, KvFrames.SAME));
        try (Tensor half = cpu.allocate(DType.F16, 1, 3, 5, 2, 8)) {
            refused("k", "dtype", () -> cpu.attention(q, half, v, KvFrames.SAME));
        }
        refused("scale", "finite", () -> cpu.attention(q, k, v, KvFrames.SAME, Double.POSITIVE_INFINITY));
        refused("y", "disjoint from 'q'", () -> cpu.attentionInto(q, k, v, KvFrames.SAME, 0.5, q));
        refused("kv_frames", "one of same", () -> cpu.run("attention", Map.of("q", q, "k", k, "v", v),
                Map.of("kv_frames", "previous")));
    }

    @Test
    void oneKeyGivesItsValueAndDefaultsApply() {
        // One key per frame: softmax is 1, so y is that value row whatever q and the scale.
        float[] qv = TestTensors.random(5, 1, 2, 3, 1, 4);
        float[] kv = TestTensors.random(6, 1, 1, 1, 4);
        float[] vv = {0.5f, -1.25f, 2f, 3.5f};
        try (Tensor tq = cpu.fromFloats(qv, 1, 2, 3, 1, 4);
             Tensor tk = cpu.fromFloats(kv, 1, 1, 1, 4);
             Tensor tv = cpu.fromFloats(vv, 1, 1, 1, 4);
             Tensor y = cpu.run("attention", Map.of("q", tq, "k", tk, "v", tv), Map.of("kv_frames", "context")).get("y");
             Tensor host = y.toHost()) {
            float[] want = new float[24];
            for (int i = 0; i < 24; i++) {
                want[i] = vv[i % 4];
            }
            assertArrayEquals(want, host.toFloats(), 1e-6f);
        }
    }
}
