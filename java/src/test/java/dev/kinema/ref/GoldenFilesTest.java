package dev.kinema.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Tensor;
import dev.kinema.harness.Goldens;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The float64 reference reproduces every PyTorch golden file (the f32 rounding of float64 results). */
class GoldenFilesTest {
    static List<Path> goldens() {
        return Goldens.files();
    }

    @Test
    void everyOpHasSeveralGoldenCases() {
        Map<String, Long> perOp = goldens().stream().collect(Collectors.groupingBy(Goldens::opOf, Collectors.counting()));
        for (String op : ReferenceOps.OPS) {
            assertTrue(perOp.getOrDefault(op, 0L) >= 4, op + " has " + perOp.get(op) + " golden files");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void referenceMatchesPyTorch(Path file) {
        try (Goldens.Golden g = Goldens.Golden.read(file)) {
            assertEquals(Goldens.opOf(file), g.op(), "metadata op");
            Map<String, Tensor> got = ReferenceOps.run(g.op(), g.inputs(), g.attrs());
            try {
                assertEquals(g.expected().keySet(), got.keySet());
                for (Map.Entry<String, Tensor> e : g.expected().entrySet()) {
                    Tensor actual = got.get(e.getKey());
                    assertArrayEquals(e.getValue().shape(), actual.shape(), e.getKey());
                    Tolerance.Comparison c = Tolerance.compare(actual.toFloats(), e.getValue().toFloats(), 1e-5);
                    assertTrue(c.passed(), e.getKey() + ": max|ref - torch| = " + c.maxAbsError() + " > " + c.bound());
                }
            } finally {
                got.values().forEach(Tensor::close);
            }
        }
    }
}
