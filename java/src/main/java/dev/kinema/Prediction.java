package dev.kinema;

import dev.kinema.raw.kinema_h;

import java.util.Locale;

/** What a denoiser predicts: the noise (eps), the velocity (v) or the clean sample (x0). */
public enum Prediction {
    EPS(kinema_h.KN_PREDICTION_EPS()),
    V(kinema_h.KN_PREDICTION_V()),
    X0(kinema_h.KN_PREDICTION_X0());

    private final int code;

    Prediction(int code) {
        this.code = code;
    }

    /** The kn_prediction value of the C ABI. */
    int code() {
        return code;
    }

    /** "eps", "v", "x0" as in OPS.md. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses "eps", "v" or "x0" (case-insensitive). */
    public static Prediction parse(String text) {
        if (text != null) {
            for (Prediction prediction : values()) {
                if (prediction.id().equalsIgnoreCase(text)) {
                    return prediction;
                }
            }
        }
        throw new InvalidArgumentException("Prediction.parse", "prediction", "one of eps, v, x0",
                text == null ? "null" : "'" + text + "'");
    }
}
