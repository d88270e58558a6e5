package dev.kinema.internal;

/** Scalar conversions between float and the 16-bit storage types. */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** IEEE binary16, round to nearest even; overflow gives infinity, NaN stays NaN. */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /**
     * bfloat16 (the upper half of a float), round to nearest even. A NaN keeps its sign and top
     * payload bits with the quiet bit set, so truncation can never turn it into an infinity.
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
