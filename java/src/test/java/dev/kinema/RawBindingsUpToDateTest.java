package dev.kinema;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The committed raw bindings are exactly what jextract/generate-raw.py makes of today's kinema.h. */
class RawBindingsUpToDateTest {
    @Test
    void generatorReportsNoDifference() throws Exception {
        Path header = Path.of(System.getProperty("kinema.test.header", "../native/include/kinema.h")).toAbsolutePath();
        Path root = header.getParent().getParent().getParent();
        Process process = new ProcessBuilder("python3", "jextract/generate-raw.py", "--check",
                "jextract/kinema.args", "native/include/kinema.h")
                .directory(root.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "generator timed out");
        assertEquals(0, process.exitValue(), "run jextract/regenerate.sh; the generator reports:\n" + output);
    }
}
