package dev.kinema;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tensor.view / reshape: shared bytes, validated offsets and sizes, closing rules. */
class TensorViewTest {
    @Test
    void deviceViewsShareBytesAtAnOffset() {
        try (Kinema rt = Kinema.open(Backend.CPU); Tensor parent = rt.allocate(DType.F32, 256)) {
            Tensor second = parent.view(512, DType.F32, 2, 64);
            assertTrue(second.isView());
            assertEquals(rt, second.runtime());
            second.copyFrom(Tensor.hostFromFloats(new float[128], 2, 64));
            float[] ones = new float[128];
            java.util.Arrays.fill(ones, 1f);
            try (Tensor host = Tensor.hostFromFloats(ones, 2, 64)) {
                second.copyFrom(host);
            }
            float[] all = parent.toFloats();
            assertEquals(0f, all[127]);
            assertEquals(1f, all[128]);
            assertEquals(1f, all[255]);
            assertArrayEquals(new long[] {128}, second.reshape(128).shape());
        }
    }

    @Test
    void hostViewsAndReshape() {
        try (Tensor t = Tensor.hostFromFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)) {
            Tensor r = t.reshape(3, 2);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, r.toFloats());
            assertArrayEquals(new long[] {3, 2}, r.shape());
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> t.reshape(4, 2));
            assertEquals("shape", e.argument());
            assertTrue(e.getMessage().contains("6 elements"), e.getMessage());
        }
    }

    @Test
    void offsetsAndSizesAreChecked() {
        try (Tensor t = Tensor.host(DType.F32, 256)) {
            assertEquals("byteOffset", assertThrows(InvalidArgumentException.class, () -> t.view(4, DType.F32, 1)).argument());
            assertEquals("byteOffset", assertThrows(InvalidArgumentException.class, () -> t.view(-256, DType.F32, 1)).argument());
            InvalidArgumentException tooBig = assertThrows(InvalidArgumentException.class, () -> t.view(768, DType.F32, 65));
            assertTrue(tooBig.getMessage().contains("at most 256 bytes from offset 768"), tooBig.getMessage());
            assertThrows(InvalidArgumentException.class, () -> t.view(1280, DType.F32, 0));
            assertEquals(0, t.view(1024, DType.F32, 0).numel());
            assertEquals(DType.BF16, t.view(256, DType.BF16, 384).dtype());
        }
    }

    @Test
    void closingTheOwnerClosesItsViewsButNotTheOtherWayRound() {
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            Tensor parent = rt.allocate(DType.F32, 64);
            Tensor view = parent.view(0, DType.F32, 8, 8);
            Tensor viewOfView = view.view(0, DType.F32, 64);
            view.close();
            assertTrue(view.isClosed());
            assertFalse(parent.isClosed());
            assertFalse(viewOfView.isClosed(), "a view of a view depends on the owner only");
            assertEquals(64, viewOfView.toFloats().length);
            parent.close();
            assertTrue(viewOfView.isClosed());
            assertThrows(IllegalStateException.class, viewOfView::toFloats);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> rt.silu(viewOfView));
            assertEquals("x", e.argument());
        }
    }

    @Test
    void opsSeeViewsAsTensorsOfTheirRuntime() {
        try (Kinema rt = Kinema.open(Backend.CPU);
             Tensor x = rt.fromFloats(new float[] {1, 2, 3, 4}, 4);
             Tensor arena = rt.allocate(DType.F32, 256)) {
            Tensor y = arena.view(256, DType.F32, 2, 2);
            rt.elementwiseInto("add", x.reshape(2, 2), x.reshape(2, 2), 1, 1, y);
            assertArrayEquals(new float[] {2, 4, 6, 8}, y.toFloats());
            Tensor low = arena.view(0, DType.F32, 128);
            Tensor high = arena.view(256, DType.F32, 128);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> rt.elementwiseInto("silu", low, null, 1, 1, high));
            assertEquals("y", e.argument());
            assertTrue(e.getMessage().contains("partly overlapping 'x'"), e.getMessage());
        }
    }
}
