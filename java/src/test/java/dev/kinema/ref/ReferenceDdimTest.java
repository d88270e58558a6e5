package dev.kinema.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kinema.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ddim_step against closed forms: a perfect model prediction lands exactly on the DDIM trajectory. */
class ReferenceDdimTest {
    private static final int N = 64;

    private static float[] random(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[N];
        for (int i = 0; i < N; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static Map<String, float[]> run(Map<String, float[]> inputs, Map<String, String> attrs) {
        Map<String, Tensor> tensors = new HashMap<>();
        inputs.forEach((k, v) -> tensors.put(k, Tensor.hostFromFloats(v, 2, v.length / 2)));
        Map<String, float[]> out = new HashMap<>();
        try {
            ReferenceOps.run("ddim_step", tensors, attrs).forEach((k, t) -> {
                out.put(k, t.toFloats());
                t.close();
            });
        } finally {
            tensors.values().forEach(Tensor::close);
        }
        return out;
    }

    private static Map<String, String> schedule(double at, double st, double as, double ss) {
        Map<String, String> a = new HashMap<>();
        a.put("alpha_t", Double.toString(at));
        a.put("sigma_t", Double.toString(st));
        a.put("alpha_s", Double.toString(as));
        a.put("sigma_s", Double.toString(ss));
        return a;
    }

    @ParameterizedTest
    @ValueSource(strings = {"eps", "v", "x0"})
    void exactPredictionFollowsTheDeterministicTrajectory(String prediction) {
        double at = Math.cos(0.7), st = Math.sin(0.7), as = Math.cos(0.3), ss = Math.sin(0.3);
        float[] x0 = random(1);
        float[] eps = random(2);
        float[] x = new float[N];
        float[] model = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) (at * x0[i] + st * eps[i]);
            model[i] = (float) switch (prediction) {
                case "eps" -> eps[i];
                case "v" -> at * eps[i] - st * x0[i];
                default -> x0[i];
            };
        }
        Map<String, String> attrs = schedule(at, st, as, ss);
        attrs.put("prediction", prediction);
        Map<String, float[]> out = run(Map.of("x", x, "out_c", model), attrs);
        for (int i = 0; i < N; i++) {
            // x and the model output are f32-rounded, so the trajectory holds to a few ulps of O(1) values
            assertEquals(x0[i], out.get("x0")[i], 2e-6, "x0 " + i);
            assertEquals(as * x0[i] + ss * eps[i], out.get("y")[i], 2e-6, "y " + i);
        }
    }

    @Test
    void guidanceMixesConditionalAndUnconditional() {
        float[] x = random(3);
        float[] c = random(4);
        float[] u = random(5);
        Map<String, String> attrs = schedule(0.6, 0.8, 0.8, 0.6);
        attrs.put("guidance", "1");
        float[] condOnly = run(Map.of("x", x, "out_c", c), attrs).get("y");
        assertArrayEquals(condOnly, run(Map.of("x", x, "out_c", c, "out_u", u), attrs).get("y"), "w = 1 ignores out_u");
        attrs.put("guidance", "0");
        float[] uncondOnly = run(Map.of("x", x, "out_c", u), schedule(0.6, 0.8, 0.8, 0.6)).get("y");
        assertArrayEquals(uncondOnly, run(Map.of("x", x, "out_c", c, "out_u", u), attrs).get("y"), "w = 0 is out_u alone");
        attrs.put("guidance", "3");
        float[] y = run(Map.of("x", x, "out_c", c, "out_u", u), attrs).get("y");
        for (int i = 0; i < N; i++) {
            double m = u[i] + 3.0 * (c[i] - u[i]);
            // eps: x0 = (x - 0.8 m) / 0.6, y = 0.8 x0 + 0.6 m
            double expected = 0.8 * (x[i] - 0.8 * m) / 0.6 + 0.6 * m;
            assertEquals(expected, y[i], 1e-6);
        }
    }

    @Test
    void etaOneWithNoiseUsesTheWorkedOutCoefficients() {
        // at=0.6, st=0.8, as=0.8, ss=0.6: (at ss / as)^2 = 0.2025, st^2 - 0.2025 = 0.4375,
        // sigma_eta^2 = (0.6/0.8)^2 * 0.4375 = 0.24609375, sqrt(ss^2 - sigma_eta^2) = sqrt(0.11390625) = 0.3375.
        double sigmaEta = Math.sqrt(0.24609375);
        float[] x = {0.5f, -1f};
        float[] m = {0.25f, 2f};
        float[] noise = {1f, -0.5f};
        Map<String, String> attrs = schedule(0.6, 0.8, 0.8, 0.6);
        attrs.put("eta", "1");
        Map<String, Tensor> in = new HashMap<>();
        in.put("x", Tensor.hostFromFloats(x, 2));
        in.put("out_c", Tensor.hostFromFloats(m, 2));
        in.put("noise", Tensor.hostFromFloats(noise, 2));
        float[] y = ReferenceOps.run("ddim_step", in, attrs).get("y").toFloats();
        in.values().forEach(Tensor::close);
        for (int i = 0; i < 2; i++) {
            double x0 = (x[i] - 0.8 * m[i]) / 0.6;
            assertEquals(0.8 * x0 + 0.3375 * m[i] + sigmaEta * noise[i], y[i], 1e-6);
        }
    }

    @Test
    void noiseIsIgnoredWhenEtaIsZero() {
        float[] x = random(6);
        float[] c = random(7);
        Map<String, String> attrs = schedule(0.6, 0.8, 0.8, 0.6);
        attrs.put("eta", "0");
        assertArrayEquals(run(Map.of("x", x, "out_c", c), attrs).get("y"),
                run(Map.of("x", x, "out_c", c, "noise", random(8)), attrs).get("y"));
    }

    @Test
    void clipX0ClampsAndRederivesEps() {
        float[] x = {0.5f, 0.5f, 0.5f, 0.5f};
        float[] m = {3f, -3f, 0.25f, -1f}; // x0 predictions; the first two are clipped to +-1
        Map<String, String> attrs = schedule(0.6, 0.8, 0.8, 0.6);
        attrs.put("prediction", "x0");
        attrs.put("clip_x0", "1");
        Map<String, float[]> out = run(Map.of("x", x, "out_c", m), attrs);
        float[] x0 = {1f, -1f, 0.25f, -1f};
        assertArrayEquals(x0, out.get("x0"));
        for (int i = 0; i < 4; i++) {
            double eps = (0.5 - 0.6 * x0[i]) / 0.8;
            assertEquals(0.8 * x0[i] + 0.6 * eps, out.get("y")[i], 1e-6);
        }
    }
}
