package dev.kinema.render;

import dev.kinema.InvalidArgumentException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutputDirectoryTest {
    @Test
    void createsMarksAndReusesItsOwnDirectories(@TempDir Path root) throws Exception {
        Path out = root.resolve("a/b");
        OutputDirectory.prepare(out, false, "--out");
        assertTrue(Files.exists(out.resolve(OutputDirectory.MARKER)));
        Files.writeString(out.resolve("frame.png"), "x");
        assertDoesNotThrow(() -> OutputDirectory.prepare(out, false, "--out"));
    }

    @Test
    void refusesSomeoneElsesFilesUnlessForced(@TempDir Path root) throws Exception {
        Path mine = root.resolve("photos");
        Files.createDirectories(mine);
        Files.writeString(mine.resolve("holiday.png"), "precious");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> OutputDirectory.prepare(mine, false, "--out"));
        assertEquals("--out", e.argument());
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertThrows(InvalidArgumentException.class,
                () -> OutputDirectory.prepare(mine.resolve("holiday.png"), true, "--out"));
        OutputDirectory.prepare(mine, true, "--out");
        assertEquals("precious", Files.readString(mine.resolve("holiday.png")));
    }
}
