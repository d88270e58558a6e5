package dev.kinema.reliability;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.KinemaException;
import dev.kinema.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Allocations the machine cannot hold (4 TiB on a 24 GiB host) fail with a typed error that states the
 * size, on the runtime and on the host, and the runtime goes on working.
 */
class AllocationFailureTest {
    static final long HUGE = 1L << 40;  // elements: 4 TiB of f32

    @Test
    void aRuntimeAllocationTooLargeForTheMachineIsATypedErrorAndTheRuntimeStaysUsable() {
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            KinemaException e = assertThrows(KinemaException.class, () -> rt.allocate(DType.F32, HUGE));
            System.out.println("runtime: " + e);
            assertTrue(e.getMessage().contains(String.valueOf(HUGE * 4)), e.getMessage());
            try (Tensor x = rt.fromFloats(new float[] {1, 2, 3}, 3); Tensor y = rt.add(x, x)) {
                assertArrayEquals(new float[] {2, 4, 6}, y.toFloats());
            }
        }
    }

    @Test
    void aHostTensorTooLargeForTheMachineIsATypedError() {
        KinemaException e = assertThrows(KinemaException.class, () -> Tensor.host(DType.F32, HUGE));
        System.out.println("host: " + e);
        assertTrue(e.getMessage().contains(String.valueOf(HUGE * 4)), e.getMessage());
    }
}
