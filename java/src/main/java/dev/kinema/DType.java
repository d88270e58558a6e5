package dev.kinema;

import dev.kinema.raw.kinema_h;

import java.util.Locale;

/** Element types. F16 and BF16 are storage types; ops accumulate in f32. */
public enum DType {
    F32(4, kinema_h.KN_DTYPE_F32()),
    F16(2, kinema_h.KN_DTYPE_F16()),
    BF16(2, kinema_h.KN_DTYPE_BF16());

    private final int byteSize;
    private final int code;

    DType(int byteSize, int code) {
        this.byteSize = byteSize;
        this.code = code;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The kn_dtype value of the C ABI. */
    public int code() {
        return code;
    }

    /** Lower-case name as used by OPS.md and the CLI: f32, f16, bf16. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses "f32", "f16", "bf16", and the safetensors spellings "F32", "F16", "BF16". */
    public static DType parse(String text) {
        if (text != null) {
            for (DType dtype : values()) {
                if (dtype.id().equals(text) || dtype.name().equals(text)) {
                    return dtype;
                }
            }
        }
        throw new InvalidArgumentException("DType.parse", "dtype", "one of f32, f16, bf16 (or F32, F16, BF16)",
                text == null ? "null" : "'" + text + "'");
    }
}
