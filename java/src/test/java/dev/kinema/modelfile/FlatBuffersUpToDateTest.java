package dev.kinema.modelfile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed dev.kinema.modelfile.fb classes are exactly what tools/regenerate-flatbuffers makes of
 * java/src/main/flatbuffers/kinema_model.fbs with the flatc matching the flatbuffers-java runtime
 * (Debian: flatbuffers-compiler, installed by .ci/run).
 */
class FlatBuffersUpToDateTest {
    @TempDir
    Path tmp;

    @Test
    void generatedCodeMatchesTheSchema() throws Exception {
        Path root = Path.of(System.getProperty("kinema.test.header", "../native/include/kinema.h")).toAbsolutePath()
                .getParent().getParent().getParent();
        Process p = new ProcessBuilder("bash", "tools/regenerate-flatbuffers", tmp.toString())
                .directory(root.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "flatc timed out");
        assertEquals(0, p.exitValue(), "tools/regenerate-flatbuffers failed:\n" + output);
        Path committed = root.resolve("java/src/main/java/dev/kinema/modelfile/fb");
        Path fresh = tmp.resolve("dev/kinema/modelfile/fb");
        List<String> names;
        try (Stream<Path> files = Files.list(committed)) {
            names = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        try (Stream<Path> files = Files.list(fresh)) {
            assertEquals(names, files.map(f -> f.getFileName().toString()).sorted().toList(), "generated file set");
        }
        for (String name : names) {
            assertArrayEquals(Files.readAllBytes(fresh.resolve(name)), Files.readAllBytes(committed.resolve(name)),
                    name + " differs from flatc's output: run tools/regenerate-flatbuffers");
        }
    }
}
