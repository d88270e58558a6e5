package dev.kinema;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DdimParamsTest {
    private static final Map<String, String> REQUIRED =
            Map.of("alpha_t", "0.6", "sigma_t", "0.8", "alpha_s", "0.8", "sigma_s", "0.6");

    private static Map<String, String> with(String key, String value) {
        Map<String, String> attrs = new HashMap<>(REQUIRED);
        attrs.put(key, value);
        return attrs;
    }

    private static String rejected(DdimParams p) {
        return assertThrows(InvalidArgumentException.class, p::validate).argument();
    }

    @Test
    void fromAttrsAppliesTheOpsDefaults() {
        DdimParams p = DdimParams.fromAttrs(REQUIRED);
        assertEquals(new DdimParams(0.6, 0.8, 0.8, 0.6, 1.0, Prediction.EPS, 0.0, 0.0), p);
        DdimParams v = DdimParams.fromAttrs(with("prediction", "v"));
        assertEquals(Prediction.V, v.prediction());
        assertEquals(7.5, DdimParams.fromAttrs(with("guidance", "7.5")).guidance());
    }

    @Test
    void fromAttrsRejectsUnknownMissingAndUnparsable() {
        InvalidArgumentException unknown = assertThrows(InvalidArgumentException.class,
                () -> DdimParams.fromAttrs(with("alpha", "1")));
        assertEquals("alpha", unknown.argument());
        assertEquals("ddim_step", unknown.op());
        Map<String, String> missing = new HashMap<>(REQUIRED);
        missing.remove("sigma_s");
        assertEquals("sigma_s", assertThrows(InvalidArgumentException.class, () -> DdimParams.fromAttrs(missing)).argument());
        InvalidArgumentException bad = assertThrows(InvalidArgumentException.class, () -> DdimParams.fromAttrs(with("eta", "lots")));
        assertEquals("ddim_step: argument 'eta': expected a number, got 'lots'", bad.getMessage());
        assertEquals("prediction", assertThrows(InvalidArgumentException.class,
                () -> DdimParams.fromAttrs(with("prediction", "sample"))).argument());
    }

    @Test
    void validateFollowsTheFormulas() {
        assertDoesNotThrow(() -> DdimParams.of(0.6, 0.8, 0.8, 0.6).validate());
        assertEquals("alpha_t", rejected(DdimParams.of(Double.NaN, 0.8, 0.8, 0.6)));
        assertEquals("sigma_s", rejected(DdimParams.of(0.6, 0.8, 0.8, Double.POSITIVE_INFINITY)));
        assertEquals("alpha_s", rejected(DdimParams.of(0.6, 0.8, -0.8, 0.6)));
        // eps divides by alpha_t; v does not
        assertEquals("alpha_t", rejected(DdimParams.of(0, 1, 0.8, 0.6)));
        assertDoesNotThrow(() -> new DdimParams(0, 1, 0.8, 0.6, 1, Prediction.V, 0, 0).validate());
        // x0 prediction, clipping and eta divide by sigma_t
        assertEquals("sigma_t", rejected(new DdimParams(1, 0, 1, 0, 1, Prediction.X0, 0, 0)));
        assertEquals("sigma_t", rejected(new DdimParams(1, 0, 1, 0, 1, Prediction.EPS, 0, 1.0)));
        assertEquals("sigma_t", rejected(new DdimParams(1, 0, 1, 0, 1, Prediction.EPS, 0.5, 0)));
        assertDoesNotThrow(() -> new DdimParams(1, 0, 1, 0, 1, Prediction.EPS, 0, 0).validate());
        assertEquals("eta", rejected(new DdimParams(0.6, 0.8, 0.8, 0.6, 1, Prediction.EPS, -0.1, 0)));
        assertEquals("clip_x0", rejected(new DdimParams(0.6, 0.8, 0.8, 0.6, 1, Prediction.EPS, 0, -1)));
        assertEquals("alpha_s", rejected(new DdimParams(0.6, 0.8, 0, 1, 1, Prediction.EPS, 0.5, 0)));
        assertEquals("prediction", rejected(new DdimParams(0.6, 0.8, 0.8, 0.6, 1, null, 0, 0)));
    }

    @Test
    void sigmaEtaMustNotExceedSigmaS() {
        // VP step t -> s: sigma_eta(eta=1) = (0.6/0.8) * sqrt(0.64 - (0.6*0.6/0.8)^2) = 0.75 * sqrt(0.4375)
        DdimParams ddpm = new DdimParams(0.6, 0.8, 0.8, 0.6, 1, Prediction.EPS, 1.0, 0);
        assertEquals(0.75 * Math.sqrt(0.4375), ddpm.sigmaEta(), 1e-15);
        assertDoesNotThrow(ddpm::validate);
        // eta = 2 gives sigma_eta = 0.992 > sigma_s = 0.6
        assertEquals("eta", rejected(new DdimParams(0.6, 0.8, 0.8, 0.6, 1, Prediction.EPS, 2.0, 0)));
    }
}
