package dev.kinema;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorTest {
    private static Kinema cpu;
    private static Kinema emu;

    @BeforeAll
    static void open() {
        cpu = Kinema.open(Backend.CPU);
        emu = Kinema.open(Backend.CUDA_EMU);
    }

    @AfterAll
    static void close() {
        cpu.close();
        emu.close();
    }

    @Test
    void hostTensorBasics() {
        try (Tensor t = Tensor.host(DType.F16, 2, 3, 4)) {
            assertTrue(t.isHost());
            assertNull(t.runtime());
            assertEquals(DType.F16, t.dtype());
            assertArrayEquals(new long[] {2, 3, 4}, t.shape());
            assertArrayEquals(new long[] {12, 4, 1}, t.strides());
            assertEquals(3, t.rank());
            assertEquals(24, t.numel());
            assertEquals(48, t.byteSize());
            assertArrayEquals(new float[24], t.toFloats());
            assertEquals(0, t.segment().address() % Tensor.HOST_ALIGNMENT);
        }
    }

    @Test
    void scalarAndEmptyTensors() {
        try (Tensor scalar = Tensor.hostFromFloats(new float[] {7}); Tensor empty = cpu.allocate(DType.F32, 0, 5)) {
            assertEquals(1, scalar.numel());
            assertArrayEquals(new long[0], scalar.strides());
            assertArrayEquals(new float[] {7}, scalar.toFloats());
            assertEquals(0, empty.byteSize());
            assertArrayEquals(new float[0], empty.toFloats());
        }
    }

    @Test
    void shapeAndDataAreValidated() {
        assertEquals("shape", assertThrows(InvalidArgumentException.class, () -> Tensor.host(DType.F32, 2, -1)).argument());
        assertEquals("shape", assertThrows(InvalidArgumentException.class, () -> Tensor.host(DType.F32, 1, 1, 1, 1, 1, 1, 1, 1, 1)).argument());
        assertEquals("shape", assertThrows(InvalidArgumentException.class, () -> cpu.allocate(DType.F32, Long.MAX_VALUE / 2, 4)).argument());
        assertEquals("dtype", assertThrows(InvalidArgumentException.class, () -> Tensor.host(null, 2)).argument());
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Tensor.hostFromFloats(new float[5], 2, 3));
        assertEquals("data", e.argument());
        assertEquals("Tensor.hostFromFloats: argument 'data': expected 6 floats for shape [2, 3], got 5 floats", e.getMessage());
        assertEquals("data", assertThrows(InvalidArgumentException.class, () -> cpu.fromFloats(null, 2)).argument());
    }

    @Test
    void deviceRoundTripsKeepValuesOnEveryBackend() {
        float[] values = TestTensors.random(1, 3, 5);
        for (Kinema runtime : new Kinema[] {cpu, emu}) {
            try (Tensor device = runtime.fromFloats(values, 3, 5); Tensor host = device.toHost()) {
                assertFalse(device.isHost());
                assertSame(runtime, device.runtime());
                assertArrayEquals(values, device.toFloats());
                assertArrayEquals(values, host.toFloats());
                assertEquals(0, device.segment().byteSize(), "device segments carry only the address");
            }
        }
    }

    @Test
    void allocateIsZeroFilled() {
        try (Tensor t = emu.allocate(DType.BF16, 4, 4)) {
            assertArrayEquals(new float[16], t.toFloats());
        }
    }

    @Test
    void halfPrecisionDeviceTensorsRoundToNearestEven() {
        float[] values = {1.0f, 1.0f + (float) Math.scalb(1.0, -11), 3.14159f, -65504f};
        try (Tensor f16 = cpu.fromFloats(DType.F16, values, 4)) {
            float[] back = f16.toFloats();
            assertEquals(1.0f, back[1]);                          // tie to even
            assertEquals(3.140625f, back[2]);                     // nearest f16 of pi-ish
            assertEquals(-65504f, back[3]);
        }
    }

    @Test
    void copyFromBetweenHostAndDevicesOfDifferentRuntimes() {
        float[] values = TestTensors.random(2, 2, 3);
        try (Tensor host = Tensor.hostFromFloats(values, 2, 3);
             Tensor onCpu = cpu.allocate(DType.F32, 2, 3);
             Tensor onEmu = emu.allocate(DType.F32, 2, 3);
             Tensor back = Tensor.host(DType.F32, 2, 3)) {
            onCpu.copyFrom(host);
            onEmu.copyFrom(onCpu);
            back.copyFrom(onEmu);
            assertArrayEquals(values, back.toFloats());
            try (Tensor other = emu.upload(onCpu)) {
                assertArrayEquals(values, other.toFloats());
            }
        }
    }

    @Test
    void copyFromChecksDtypeAndShape() {
        try (Tensor a = Tensor.host(DType.F32, 2, 3); Tensor b = Tensor.host(DType.F16, 2, 3); Tensor c = Tensor.host(DType.F32, 3, 2)) {
            InvalidArgumentException dtype = assertThrows(InvalidArgumentException.class, () -> a.copyFrom(b));
            assertEquals("Tensor.copyFrom: argument 'src': expected dtype f32, got f16", dtype.getMessage());
            assertEquals("src", assertThrows(InvalidArgumentException.class, () -> a.copyFrom(c)).argument());
            assertEquals("src", assertThrows(InvalidArgumentException.class, () -> a.copyFrom(null)).argument());
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseNamesTheTensor() {
        Tensor device = cpu.allocate(DType.F32, 2, 2);
        device.close();
        device.close();
        assertTrue(device.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, device::toFloats);
        assertEquals("Tensor f32[2, 2] on cpu is closed", e.getMessage());
        Tensor host = Tensor.host(DType.BF16, 3);
        host.close();
        host.close();
        assertEquals("Tensor bf16[3] on host is closed",
                assertThrows(IllegalStateException.class, host::segment).getMessage());
    }

    @Test
    void closingTheRuntimeClosesItsTensors() {
        Tensor survivor;
        Tensor freed;
        Tensor alreadyClosed;
        try (Kinema runtime = Kinema.open(Backend.CPU)) {
            freed = runtime.allocate(DType.F32, 8);
            alreadyClosed = runtime.allocate(DType.F32, 8);
            alreadyClosed.close();
            survivor = Tensor.host(DType.F32, 8);
        }
        assertTrue(freed.isClosed());
        assertTrue(alreadyClosed.isClosed());
        assertFalse(survivor.isClosed(), "host tensors belong to no runtime");
        freed.close();
        survivor.close();
    }
}
