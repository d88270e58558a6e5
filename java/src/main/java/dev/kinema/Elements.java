package dev.kinema;

import dev.kinema.internal.HalfFloats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Encoding float values into, and decoding them from, tensor storage of each dtype. */
final class Elements {
    private Elements() {
    }

    static void encode(float[] values, MemorySegment storage, DType dtype) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(values, 0, storage, ValueLayout.JAVA_FLOAT, 0, values.length);
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    storage.setAtIndex(ValueLayout.JAVA_SHORT, i, HalfFloats.floatToF16(values[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    storage.setAtIndex(ValueLayout.JAVA_SHORT, i, HalfFloats.floatToBf16(values[i]));
                }
            }
        }
    }

    static float[] decode(MemorySegment storage, DType dtype, int count) {
        float[] values = new float[count];
        switch (dtype) {
            case F32 -> MemorySegment.copy(storage, ValueLayout.JAVA_FLOAT, 0, values, 0, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    values[i] = HalfFloats.f16ToFloat(storage.getAtIndex(ValueLayout.JAVA_SHORT, i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    values[i] = HalfFloats.bf16ToFloat(storage.getAtIndex(ValueLayout.JAVA_SHORT, i));
                }
            }
        }
        return values;
    }
}
