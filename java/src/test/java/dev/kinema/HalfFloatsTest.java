package dev.kinema;

import dev.kinema.internal.HalfFloats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** f16 and bf16 conversions against bit patterns derived by hand from the formats' definitions. */
class HalfFloatsTest {
    private static short bits(int value) {
        return (short) value;
    }

    @Test
    void f16ExactValues() {
        assertEquals(bits(0x3C00), HalfFloats.floatToF16(1.0f));
        assertEquals(bits(0xC100), HalfFloats.floatToF16(-2.5f));   // -1.25 * 2^1
        assertEquals(bits(0x7BFF), HalfFloats.floatToF16(65504f));  // largest finite
        assertEquals(bits(0x8000), HalfFloats.floatToF16(-0.0f));
        assertEquals(65504f, HalfFloats.f16ToFloat(bits(0x7BFF)));
        assertEquals(-2.5f, HalfFloats.f16ToFloat(bits(0xC100)));
    }

    @Test
    void f16SubnormalsAndOverflow() {
        float smallest = (float) Math.scalb(1.0, -24);
        assertEquals(bits(0x0001), HalfFloats.floatToF16(smallest));
        assertEquals(smallest, HalfFloats.f16ToFloat(bits(0x0001)));
        assertEquals(bits(0x03FF), HalfFloats.floatToF16((float) (1023 * Math.scalb(1.0, -24)))); // largest subnormal
        assertEquals(bits(0x0000), HalfFloats.floatToF16((float) Math.scalb(1.0, -26)));           // below half the smallest
        assertEquals(bits(0x7C00), HalfFloats.floatToF16(65520f));   // halfway to 2^16 rounds up to infinity
        assertEquals(bits(0x7BFF), HalfFloats.floatToF16(65519f));
        assertEquals(bits(0xFC00), HalfFloats.floatToF16(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToFloat(bits(0x7C00)));
    }

    @Test
    void f16RoundsTiesToEven() {
        float ulp = (float) Math.scalb(1.0, -10);                 // spacing of f16 in [1, 2)
        assertEquals(bits(0x3C00), HalfFloats.floatToF16(1 + ulp / 2));        // tie, 1.0 is even
        assertEquals(bits(0x3C02), HalfFloats.floatToF16(1 + 3 * ulp / 2));    // tie, 0x3C02 is even
        assertEquals(bits(0x3C01), HalfFloats.floatToF16(1 + ulp / 2 + ulp / 16));
    }

    @Test
    void f16NaN() {
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.NaN))));
        assertEquals(0x7C00, HalfFloats.floatToF16(Float.NaN) & 0x7C00);
    }

    @Test
    void bf16ExactValues() {
        assertEquals(bits(0x3F80), HalfFloats.floatToBf16(1.0f));
        assertEquals(bits(0xC020), HalfFloats.floatToBf16(-2.5f));
        assertEquals(bits(0x477F), HalfFloats.floatToBf16(65280f));   // 255 * 2^8, exact
        assertEquals(bits(0x4780), HalfFloats.floatToBf16(65504f));   // rounds to 65536
        assertEquals(bits(0x8000), HalfFloats.floatToBf16(-0.0f));
        assertEquals(-2.5f, HalfFloats.bf16ToFloat(bits(0xC020)));
        assertEquals(65536f, HalfFloats.bf16ToFloat(bits(0x4780)));
    }

    @Test
    void bf16RoundsTiesToEven() {
        assertEquals(bits(0x3F80), HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808000)));  // tie down to even
        assertEquals(bits(0x3F82), HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F818000)));  // tie up to even
        assertEquals(bits(0x3F81), HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808001)));  // above the tie
        assertEquals(bits(0x3F80), HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F807FFF)));  // below the tie
    }

    @Test
    void bf16SubnormalsInfinitiesAndOverflow() {
        assertEquals(bits(0x0001), HalfFloats.floatToBf16(Float.intBitsToFloat(0x00010000)));
        assertEquals(bits(0x0002), HalfFloats.floatToBf16(Float.intBitsToFloat(0x00018000)));  // tie: 1 is odd, goes to 2
        assertEquals(bits(0x7F80), HalfFloats.floatToBf16(Float.POSITIVE_INFINITY));
        assertEquals(bits(0xFF80), HalfFloats.floatToBf16(Float.NEGATIVE_INFINITY));
        assertEquals(bits(0x7F80), HalfFloats.floatToBf16(Float.MAX_VALUE));  // above bf16's max: rounds to infinity
        assertEquals(bits(0x7F7F), HalfFloats.floatToBf16(Float.intBitsToFloat(0x7F7F7FFF)));
    }

    @Test
    void bf16KeepsNaNsNaN() {
        // A NaN whose payload sits in the low 16 bits would truncate or round to infinity.
        float lowPayloadNaN = Float.intBitsToFloat(0x7F800001);
        assertTrue(Float.isNaN(lowPayloadNaN));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(lowPayloadNaN))));
        float negativeNaN = Float.intBitsToFloat(0xFFFFFFFF);
        short converted = HalfFloats.floatToBf16(negativeNaN);
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(converted)));
        assertEquals(0x8000, converted & 0x8000, "sign kept");
    }

    @Test
    void hostTensorsStoreTheseBits() {
        float[] values = {1.0f, -2.5f, 65504f, Float.POSITIVE_INFINITY};
        try (Tensor f16 = Tensor.hostFromFloats(DType.F16, values, 4);
             Tensor bf16 = Tensor.hostFromFloats(DType.BF16, values, 4)) {
            assertEquals(bits(0x7BFF), f16.segment().getAtIndex(ValueLayout.JAVA_SHORT, 2));
            assertEquals(bits(0xC020), bf16.segment().getAtIndex(ValueLayout.JAVA_SHORT, 1));
            assertArrayEquals(values, f16.toFloats());
            assertArrayEquals(new float[] {1.0f, -2.5f, 65536f, Float.POSITIVE_INFINITY}, bf16.toFloats());
        }
    }
}
