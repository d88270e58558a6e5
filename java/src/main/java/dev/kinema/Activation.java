package dev.kinema;

import dev.kinema.raw.kinema_h;

import java.util.Locale;

/** The activation of linear's epilogue (OPS.md): none, gelu (erf), gelu_tanh, silu, geglu. */
public enum Activation {
    NONE(kinema_h.KN_ACT_NONE()),
    GELU(kinema_h.KN_ACT_GELU()),
    GELU_TANH(kinema_h.KN_ACT_GELU_TANH()),
    SILU(kinema_h.KN_ACT_SILU()),
    /** a, g = h.chunk(2, -1); h = a * gelu(g): the output has half of w's rows. */
    GEGLU(kinema_h.KN_ACT_GEGLU());

    private final int code;

    Activation(int code) {
        this.code = code;
    }

    /** The kn_activation value of the C ABI. */
    int code() {
        return code;
    }

    /** "none", "gelu", "gelu_tanh", "silu", "geglu" as in OPS.md. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses an OPS.md activation name (case-insensitive). */
    public static Activation parse(String text) {
        if (text != null) {
            for (Activation act : values()) {
                if (act.id().equalsIgnoreCase(text.strip())) {
                    return act;
                }
            }
        }
        throw new InvalidArgumentException("Activation.parse", "act", "one of none, gelu, gelu_tanh, silu, geglu",
                text == null ? "null" : "'" + text + "'");
    }
}
