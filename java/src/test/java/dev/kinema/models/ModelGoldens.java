package dev.kinema.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole-model golden files of tools/model-goldens (diffusers-layout checkpoints of tiny seeded
 * models, inputs, and outputs computed in float64 by the plain-PyTorch mirrors) and the comparison
 * the model tests share.
 */
final class ModelGoldens {
    /**
     * Whole-model bound: max|y - ref| <= 2e-5 * max(1, max|ref|). The forward runs 100-300 f32 ops,
     * each well inside OPS.md's 1e-4; the tiny models land at 1e-6 to 2.2e-6 of max|ref| on cpu and
     * cuda-emu, so this keeps a 10x margin while a wrong epsilon, head split or frame order (all
     * 1e-3 or more) fails.
     */
    static final double RELATIVE_BOUND = 2e-5;

    private ModelGoldens() {
    }

    static Path folder(String arch) {
        try {
            return Path.of(ModelGoldens.class.getResource("/models/" + arch + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("golden model " + arch + " is not on the test class path", e);
        }
    }

    /** cpu and cuda-emu: the backends every machine runs. */
    static List<Backend> backends() {
        List<Backend> out = new ArrayList<>(List.of(Backend.CPU));
        if (Kinema.probe().get(Backend.CUDA_EMU) == null) {
            out.add(Backend.CUDA_EMU);
        }
        return out;
    }

    /** Asserts y within the model bound of ref (same shape) and returns the max error ratio. */
    static double assertClose(String what, Tensor ref, Tensor y) {
        assertArrayEquals(ref.shape(), y.shape(), what + ": shape");
        float[] r = ref.toFloats(), v = y.toFloats();
        double maxRef = 0, maxErr = 0;
        for (int i = 0; i < r.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(r[i]));
            double e = Math.abs((double) v[i] - r[i]);
            if (!(e <= maxErr)) {
                maxErr = e;  // NaN sticks
            }
        }
        double bound = RELATIVE_BOUND * Math.max(1, maxRef);
        assertTrue(maxErr <= bound, what + ": max|y - ref| = " + maxErr + " > " + bound + " (max|ref| " + maxRef + ")");
        return maxErr / bound;
    }
}
