package dev.kinema.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.ref.OpCase;
import dev.kinema.ref.RandomCases;
import dev.kinema.ref.ReferenceOps;
import dev.kinema.ref.Tolerance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op on every backend that can run here, against the float64 reference within the OPS.md
 * tolerance: the PyTorch golden cases, hand-picked edge cases and seeded random shapes. Each
 * (backend, case) pair is its own test.
 */
class OpHarnessTest {
    private static final int RANDOM_CASES_PER_OP = 8;

    /** The backends Kinema.probe() reports usable; never empty, since cpu always runs. */
    static List<Backend> backends() {
        List<Backend> usable = new ArrayList<>();
        Kinema.probe().forEach((b, reason) -> {
            if (reason == null) {
                usable.add(b);
            }
        });
        return usable;
    }

    /** Edge cases every backend must get right, named after what they exercise. */
    static List<Supplier<OpCase>> edgeCases() {
        return List.of(
                () -> RandomCases.linear(61, new long[] {3, 70, 33}, 130, "geglu", true, true, true),
                () -> RandomCases.linear(62, new long[] {2, 5, 4, 16}, 24, "gelu", true, true, false),
                () -> RandomCases.linear(63, new long[] {1, 0}, 6, "silu", true, false, true),
                () -> RandomCases.conv3d(71, new long[] {1, 3, 4, 5, 8}, 12, 3, 3, 3, true, true),
                () -> RandomCases.conv3d(72, new long[] {1, 4, 3, 6, 3}, 5, 5, 1, 3, false, true),
                () -> RandomCases.convSpatial(11, new long[] {1, 1, 7, 5, 3}, 5, 3, 1, true, false),
                () -> RandomCases.convSpatial(12, new long[] {2, 2, 9, 7, 16}, 24, 3, 2, true, true),
                () -> RandomCases.convSpatial(13, new long[] {1, 1, 1, 1, 8}, 8, 3, 2, false, true),
                () -> RandomCases.convSpatial(14, new long[] {1, 3, 4, 6, 64}, 32, 1, 1, true, true),
                () -> RandomCases.convSpatial(15, new long[] {1, 1, 5, 9, 32}, 16, 1, 2, false, false),
                () -> RandomCases.convTemporal(21, new long[] {1, 1, 3, 5, 3}, 5, true, false),
                () -> RandomCases.convTemporal(22, new long[] {2, 6, 3, 3, 16}, 32, true, true),
                () -> RandomCases.convTemporal(23, new long[] {1, 2, 1, 1, 64}, 64, false, true),
                () -> RandomCases.ddimStep(31, new long[] {1, 1, 5, 7, 4}, "eps", null, 0, 0, false, 0.9, 0.8),
                () -> RandomCases.ddimStep(32, new long[] {2, 3, 4, 4, 4}, "eps", 7.5, 0, 0, false, 0.5, 0.4),
                () -> RandomCases.ddimStep(33, new long[] {1, 2, 3, 3, 8}, "v", 4.0, 1.0, 0, true, 0.8, 0.5),
                () -> RandomCases.ddimStep(34, new long[] {1, 2, 3, 3, 8}, "x0", 2.0, 0.5, 1.0, true, 0.6, 0.2),
                () -> RandomCases.ddimStep(35, new long[] {777}, "v", null, 0, 0.5, true, 0.95, 0.05),
                () -> RandomCases.groupNorm(41, new long[] {2, 3, 5, 7, 40}, 8, false, true, 0),
                () -> RandomCases.groupNorm(42, new long[] {1, 4, 3, 5, 40}, 8, true, false, 0),
                () -> RandomCases.groupNorm(43, new long[] {1, 2, 6, 6, 24}, 24, false, false, 1000),
                () -> RandomCases.groupNorm(44, new long[] {2, 2, 4, 4, 96}, 32, true, true, 1000),
                () -> RandomCases.elementwise("add", 81, new long[] {2, 3, 4, 5, 67}, 1, 3),
                () -> RandomCases.elementwise("mul", 82, new long[] {1, 2, 3, 3, 320}, 0, 3),
                () -> RandomCases.elementwise("silu", 83, new long[] {1, 4, 9, 9, 37}, 0, 30),
                () -> RandomCases.elementwise("gelu", 84, new long[] {2, 1001}, 0, 8),
                () -> RandomCases.elementwise("scale_add", 85, new long[] {2, 4, 4, 4, 16}, 5, 3),
                () -> RandomCases.elementwise("add", 86, new long[] {0, 5}, 1, 1),
                () -> RandomCases.elementwise("add", 87, new long[] {2, 3, 4, 5, 32}, new long[] {2, 1, 1, 1, 32}, 3),
                () -> RandomCases.elementwise("mul", 88, new long[] {1, 3, 4, 5, 7}, new long[] {1, 1, 1, 1, 7}, 3),
                () -> RandomCases.elementwise("add", 89, new long[] {3, 2, 3, 3, 5}, new long[] {1, 1, 1, 1, 5}, 3),
                () -> RandomCases.elementwise("scale_add", 90, new long[] {2, 4, 3, 3, 16}, new long[] {2, 4, 1, 1, 16}, 3),
                () -> RandomCases.elementwise("mul", 101, new long[] {2, 3, 4, 5, 8}, new long[] {1, 1, 8}, 3),
                () -> RandomCases.concat(102, new long[] {2, 3, 4, 5}, 3, 5),
                () -> RandomCases.concat(103, new long[] {7}, 4, 9),
                () -> RandomCases.concat(104, new long[] {1, 2, 3, 3}, 32, 16),
                () -> RandomCases.concat(105, new long[] {3, 2}, 5, 3),
                () -> RandomCases.upsampleNearest(91, new long[] {2, 3, 5, 7, 3}),
                () -> RandomCases.upsampleNearest(92, new long[] {1, 1, 1, 1, 64}),
                () -> RandomCases.patchify(93, new long[] {2, 3, 6, 9, 5}, 3),
                () -> RandomCases.patchify(94, new long[] {1, 2, 4, 4, 2}, 4),
                () -> RandomCases.unpatchify(95, 2, 2, 4, 6, 3, 2),
                () -> RandomCases.unpatchify(96, 1, 1, 5, 7, 4, 1),
                () -> RandomCases.alphaBlend(97, new long[] {2, 3, 4, 5, 6}, "learned", -1.3),
                () -> RandomCases.alphaBlend(98, new long[] {37}, "fixed", 0.3),
                () -> RandomCases.timestepEmbedding(99, 5, 1000, 320, true, 0, 10000),
                () -> RandomCases.timestepEmbedding(100, 3, 1000, 2, false, 0, 10000),
                () -> RandomCases.layerNorm(51, new long[] {2, 9, 77}, true, true, true, true, 0),
                () -> RandomCases.layerNorm(52, new long[] {3, 2, 4, 1152}, true, false, false, true, 1000),
                () -> RandomCases.layerNorm(53, new long[] {1, 5}, false, false, false, false, 0),
                () -> RandomCases.temporalAttention(61, new long[] {1, 16, 3, 3, 320}, 8, 0, false, false, 16, 1.0),
                () -> RandomCases.temporalAttention(62, new long[] {1, 1, 2, 3, 80}, 2, 0, false, true, 1, 3.0),
                () -> RandomCases.temporalAttention(63, new long[] {2, 3, 2, 2, 128}, 2, 1, false, true, 3, 3.0),
                () -> RandomCases.temporalAttention(64, new long[] {1, 7, 2, 1, 128}, 1, 0, true, true, 11, 3.0),
                () -> RandomCases.temporalAttention(65, new long[] {1, 37, 1, 2, 48}, 2, 5, true, true, 40, 10.0),
                () -> RandomCases.frameAttention(71, new long[] {1, 2, 70, 2, 40}, new long[] {1, 2, 77, 2, 40}, "same", 3.0),
                () -> RandomCases.frameAttention(72, new long[] {1, 3, 17, 1, 64}, new long[] {1, 2, 33, 1, 64}, "first", 3.0),
                () -> RandomCases.frameAttention(73, new long[] {1, 3, 9, 1, 80}, new long[] {1, 3, 9, 1, 80}, "sparse_causal", 10.0),
                () -> RandomCases.frameAttention(74, new long[] {1, 2, 5, 1, 128}, new long[] {1, 3, 20, 1, 128}, "all", 3.0),
                () -> RandomCases.frameAttention(75, new long[] {2, 2, 8, 2, 40}, new long[] {2, 77, 2, 40}, "context", 3.0),
                () -> RandomCases.frameAttention(76, new long[] {1, 1, 3, 1, 7}, new long[] {1, 1, 1, 7}, "context", 3.0));
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Backend backend : backends()) {
            for (Path file : Goldens.files()) {
                String name = backend.id() + " golden " + file.getFileName();
                all.add(Arguments.of(Named.of(name, backend), Named.of("inputs", (Supplier<Source>) () -> Source.golden(file))));
            }
            for (Supplier<OpCase> edge : edgeCases()) {
                try (OpCase c = edge.get()) {
                    all.add(Arguments.of(Named.of(backend.id() + " edge " + c, backend),
                            Named.of("inputs", (Supplier<Source>) () -> new Source(edge.get(), Map.of()))));
                }
            }
            for (String op : ReferenceOps.OPS) {
                for (int i = 0; i < RANDOM_CASES_PER_OP; i++) {
                    long seed = 1000L * ReferenceOps.OPS.indexOf(op) + i;
                    try (OpCase c = RandomCases.draw(op, seed)) {
                        all.add(Arguments.of(Named.of(backend.id() + " random " + c, backend),
                                Named.of("inputs", (Supplier<Source>) () -> new Source(RandomCases.draw(op, seed), Map.of()))));
                    }
                }
            }
        }
        return all.stream();
    }

    /** A case and, for golden files, PyTorch's outputs. */
    record Source(OpCase opCase, Map<String, Tensor> expected) implements AutoCloseable {
        static Source golden(Path file) {
            Goldens.Golden g = Goldens.Golden.read(file);
            return new Source(new OpCase(g.op(), g.caseName(), g.inputs(), g.attrs()), g.expected());
        }

        @Override
        public void close() {
            opCase.close();
            expected.values().forEach(Tensor::close);
        }
    }

    @Test
    void cpuIsAlwaysAvailable() {
        assertTrue(backends().contains(Backend.CPU), "probe: " + Kinema.probe());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backendMatchesReference(Backend backend, Supplier<Source> source) {
        try (Source s = source.get(); Kinema rt = Kinema.open(backend)) {
            OpCase c = s.opCase();
            Map<String, float[]> reference = floats(ReferenceOps.run(c.op(), c.inputs(), c.attrs()));
            Map<String, Tensor> device = new LinkedHashMap<>();
            c.inputs().forEach((name, t) -> device.put(name, rt.upload(t)));
            Map<String, Tensor> outputs = rt.run(c.op(), device, c.attrs());
            assertEquals(reference.keySet(), outputs.keySet(), "output names");
            for (Map.Entry<String, float[]> e : reference.entrySet()) {
                Tensor out = outputs.get(e.getKey());
                float[] got = out.toFloats();
                assertEquals(e.getValue().length, got.length, e.getKey() + " size");
                check(e.getKey() + " vs reference", got, e.getValue());
                Tensor golden = s.expected().get(e.getKey());
                if (golden != null) {
                    assertArrayEquals(golden.shape(), out.shape(), e.getKey() + " shape");
                    check(e.getKey() + " vs PyTorch", got, golden.toFloats());
                }
            }
        }
    }

    private static void check(String what, float[] actual, float[] expected) {
        Tolerance.Comparison c = Tolerance.compare(actual, expected);
        assertFalse(Double.isNaN(c.maxAbsError()), what);
        assertTrue(c.passed(), what + ": max|err| " + c.maxAbsError() + " > bound " + c.bound());
    }

    /** The values of host tensors, which are closed. */
    private static Map<String, float[]> floats(Map<String, Tensor> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            out.put(name, t.toFloats());
            t.close();
        });
        return out;
    }
}
