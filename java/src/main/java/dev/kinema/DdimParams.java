package dev.kinema;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The attributes of ddim_step (OPS.md): one step from time t to the less noisy time s.
 *
 * @param alphaT     alpha at t (signal scale)
 * @param sigmaT     sigma at t (noise scale)
 * @param alphaS     alpha at s
 * @param sigmaS     sigma at s
 * @param guidance   classifier-free guidance weight w; used only when out_u is given
 * @param prediction what the model output means
 * @param eta        0 for deterministic DDIM, 1 for DDPM-like ancestral noise
 * @param clipX0     clamp x0 to [-clipX0, clipX0]; 0 = off
 */
public record DdimParams(double alphaT, double sigmaT, double alphaS, double sigmaS, double guidance,
                         Prediction prediction, double eta, double clipX0) {
    static final String OP = "ddim_step";
    private static final Set<String> ATTRIBUTES =
            Set.of("alpha_t", "sigma_t", "alpha_s", "sigma_s", "guidance", "prediction", "eta", "clip_x0");

    /** Deterministic (eta 0), unguided, eps-prediction step without clipping. */
    public static DdimParams of(double alphaT, double sigmaT, double alphaS, double sigmaS) {
        return new DdimParams(alphaT, sigmaT, alphaS, sigmaS, 1.0, Prediction.EPS, 0.0, 0.0);
    }

    /**
     * Parses OPS.md attribute names: alpha_t, sigma_t, alpha_s, sigma_s (required), guidance (1),
     * prediction eps|v|x0 (eps), eta (0), clip_x0 (0). Values are checked by {@link #validate()}.
     */
    public static DdimParams fromAttrs(Map<String, String> attrs) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : attrs.entrySet()) {
            if (entry.getKey() == null || !ATTRIBUTES.contains(entry.getKey())) {
                throw new InvalidArgumentException(OP, String.valueOf(entry.getKey()),
                        "an attribute of ddim_step (" + String.join(", ", sorted(ATTRIBUTES)) + ")",
                        "an unknown attribute");
            }
            values.put(entry.getKey(), entry.getValue());
        }
        String predictionText = values.getOrDefault("prediction", "eps");
        Prediction prediction;
        try {
            prediction = Prediction.parse(predictionText);
        } catch (InvalidArgumentException e) {
            throw new InvalidArgumentException(OP, "prediction", "one of eps, v, x0", quote(predictionText));
        }
        return new DdimParams(required(values, "alpha_t"), required(values, "sigma_t"),
                required(values, "alpha_s"), required(values, "sigma_s"),
                optional(values, "guidance", 1.0), prediction,
                optional(values, "eta", 0.0), optional(values, "clip_x0", 0.0));
    }

    /**
     * Checks the attributes against OPS.md: all finite, the alphas, sigmas, eta and clip_x0
     * non-negative, every divisor of the chosen formulas positive, and sigma_eta <= sigma_s.
     */
    public void validate() {
        finite("alpha_t", alphaT);
        finite("sigma_t", sigmaT);
        finite("alpha_s", alphaS);
        finite("sigma_s", sigmaS);
        finite("guidance", guidance);
        finite("eta", eta);
        finite("clip_x0", clipX0);
        if (prediction == null) {
            throw new InvalidArgumentException(OP, "prediction", "one of eps, v, x0", "null");
        }
        nonNegative("alpha_t", alphaT, ">= 0");
        nonNegative("sigma_t", sigmaT, ">= 0");
        nonNegative("alpha_s", alphaS, ">= 0");
        nonNegative("sigma_s", sigmaS, ">= 0");
        nonNegative("eta", eta, ">= 0");
        nonNegative("clip_x0", clipX0, ">= 0 (0 = off)");
        if (prediction == Prediction.EPS && alphaT == 0) {
            throw new InvalidArgumentException(OP, "alpha_t", "> 0 (eps prediction divides by alpha_t)", "0.0");
        }
        String sigmaDivisor = prediction == Prediction.X0 ? "x0 prediction"
                : clipX0 > 0 ? "clip_x0 > 0" : eta > 0 ? "eta > 0" : null;
        if (sigmaDivisor != null && sigmaT == 0) {
            throw new InvalidArgumentException(OP, "sigma_t", "> 0 (" + sigmaDivisor + " divides by sigma_t)", "0.0");
        }
        if (eta > 0) {
            if (alphaS == 0) {
                throw new InvalidArgumentException(OP, "alpha_s", "> 0 (eta > 0 divides by alpha_s)", "0.0");
            }
            double sigmaEta = sigmaEta();
            // The same rounding slack as libkinema's own check.
            if (sigmaS * sigmaS - sigmaEta * sigmaEta < -1e-12) {
                throw new InvalidArgumentException(OP, "eta", "sigma_eta <= sigma_s = " + sigmaS,
                        "sigma_eta = " + sigmaEta + " (eta = " + eta + ")");
            }
        }
    }

    /**
     * sigma_eta = eta * (sigma_s/sigma_t) * sqrt(sigma_t^2 - (alpha_t sigma_s / alpha_s)^2); 0 when eta is
     * 0, and 0 when the root's argument is not positive (as libkinema computes it).
     */
    public double sigmaEta() {
        if (eta == 0) {
            return 0;
        }
        double ratio = alphaT * sigmaS / alphaS;
        double variance = sigmaT * sigmaT - ratio * ratio;
        return variance > 0 ? eta * (sigmaS / sigmaT) * Math.sqrt(variance) : 0;
    }

    private static void nonNegative(String name, double value, String expected) {
        if (value < 0) {
            throw new InvalidArgumentException(OP, name, expected, Double.toString(value));
        }
    }

    private static void finite(String name, double value) {
        if (!Double.isFinite(value)) {
            throw new InvalidArgumentException(OP, name, "a finite number", Double.toString(value));
        }
    }

    private static double required(Map<String, String> values, String name) {
        if (!values.containsKey(name) || values.get(name) == null) {
            throw new InvalidArgumentException(OP, name, "a number (required attribute)", "nothing");
        }
        return number(name, values.get(name));
    }

    private static double optional(Map<String, String> values, String name, double fallback) {
        String text = values.get(name);
        return text == null ? fallback : number(name, text);
    }

    private static double number(String name, String text) {
        try {
            return Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(OP, name, "a number", quote(text));
        }
    }

    private static String quote(String text) {
        return text == null ? "null" : "'" + text + "'";
    }

    private static java.util.List<String> sorted(Set<String> names) {
        return names.stream().sorted().toList();
    }
}
