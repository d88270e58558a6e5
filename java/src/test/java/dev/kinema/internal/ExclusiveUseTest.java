package dev.kinema.internal;

import dev.kinema.ConcurrentUseException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExclusiveUseTest {
    @Test
    void aSecondThreadIsRefusedWhileTheFirstIsInside() throws Exception {
        ExclusiveUse use = new ExclusiveUse("Thing");
        CountDownLatch inside = new CountDownLatch(1), release = new CountDownLatch(1);
        Thread first = new Thread(() -> {
            try (ExclusiveUse.Held held = use.enter("work")) {
                inside.countDown();
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "first-caller");
        first.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        ConcurrentUseException e = assertThrows(ConcurrentUseException.class, () -> use.enter("other"));
        assertTrue(e.getMessage().startsWith("Thing.other: "), e.getMessage());
        assertTrue(e.getMessage().contains("\"first-caller\""), e.getMessage());
        assertTrue(use.inUse());
        release.countDown();
        first.join(10_000);
        assertFalse(use.inUse());
        try (ExclusiveUse.Held held = use.enter("after")) {
            assertTrue(use.inUse());
        }
    }

    @Test
    void theThreadInsideMayEnterAgain() {
        ExclusiveUse use = new ExclusiveUse("Thing");
        try (ExclusiveUse.Held outer = use.enter("outer")) {
            try (ExclusiveUse.Held inner = use.enter("inner")) {
                assertTrue(use.inUse());
            }
            assertTrue(use.inUse(), "leaving the inner call keeps the outer one");
        }
        assertFalse(use.inUse());
    }

    @Test
    void anotherThreadCannotLeave() throws Exception {
        ExclusiveUse use = new ExclusiveUse("Thing");
        ExclusiveUse.Held held = use.enter("work");
        Throwable fromOther = CompletableFuture.supplyAsync(() -> {
            try {
                held.close();
                return null;
            } catch (IllegalStateException e) {
                return e;
            }
        }).get(10, TimeUnit.SECONDS);
        assertEquals(IllegalStateException.class, fromOther.getClass());
        held.close();
        assertFalse(use.inUse());
    }
}
