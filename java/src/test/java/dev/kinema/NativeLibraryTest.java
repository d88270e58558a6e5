package dev.kinema;

import dev.kinema.internal.NativeLibrary;
import dev.kinema.raw.kinema_h;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loading libkinema. A JVM loads it once, so each scenario runs in a child JVM with its own
 * system properties and the test class path.
 */
class NativeLibraryTest {
    private static final Path BUILD_LIB = Path.of(System.getProperty("kinema.test.native.build.lib", "../build/native/lib"));

    record Result(int exitCode, String output) {
    }

    static Result child(String... properties) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(List.of(properties));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LibraryLoadProbe.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        return new Result(process.exitValue(), output);
    }

    @Test
    void overrideLoadsFromTheGivenFolder() throws Exception {
        Path folder = BUILD_LIB.toAbsolutePath().normalize();
        Result result = child("-D" + NativeLibrary.LIBRARY_PATH_PROPERTY + "=" + folder);
        assertEquals(0, result.exitCode(), result.output());
        assertEquals("loaded " + folder.resolve("libkinema.so") + " abi " + kinema_h.KN_ABI_VERSION(), result.output());
    }

    @Test
    void overrideNamingAMissingFolderFailsNamingIt(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("no-such-folder");
        Result result = child("-D" + NativeLibrary.LIBRARY_PATH_PROPERTY + "=" + missing);
        assertEquals(3, result.exitCode(), result.output());
        assertTrue(result.output().startsWith("NativeLibraryException: "), result.output());
        assertTrue(result.output().contains(missing.toString()) && result.output().contains("is not a folder"), result.output());
    }

    @Test
    void overrideNamingAFolderWithoutTheLibraryFailsNamingIt(@TempDir Path dir) throws Exception {
        Result result = child("-D" + NativeLibrary.LIBRARY_PATH_PROPERTY + "=" + dir);
        assertEquals(3, result.exitCode(), result.output());
        assertTrue(result.output().contains("holds no libkinema.so") && result.output().contains(dir.toString()),
                result.output());
    }

    @Test
    void aFileThatIsNoLibraryFailsWithTheDlopenError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("libkinema.so"), "not an ELF file");
        Result result = child("-D" + NativeLibrary.LIBRARY_PATH_PROPERTY + "=" + dir);
        assertEquals(3, result.exitCode(), result.output());
        assertTrue(result.output().contains("cannot load " + dir.resolve("libkinema.so")), result.output());
        // dlopen's own words, passed through
        assertTrue(result.output().contains("ELF") || result.output().contains("too short"), result.output());
    }

    @Test
    void withoutOverrideThePackagedLibrariesAreExtractedTogether() throws Exception {
        Result result = child();
        assertEquals(0, result.exitCode(), result.output());
        String prefix = "loaded ";
        assertTrue(result.output().startsWith(prefix), result.output());
        Path loaded = Path.of(result.output().substring(prefix.length(), result.output().lastIndexOf(" abi ")));
        Path folder = loaded.getParent();
        assertEquals("libkinema.so", loaded.getFileName().toString());
        assertTrue(folder.getFileName().toString().startsWith("kinema-native-"), folder.toString());
        // The child has exited: its shutdown hook removed the extracted folder.
        assertFalse(Files.exists(folder), folder + " still exists after the child JVM exited");
    }

    @Test
    void extractionRemovesAbandonedFoldersButNotOnesInUse() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path abandoned = Files.createTempDirectory(tmp, "kinema-native-0-");
        Path inUse = Files.createTempDirectory(tmp, "kinema-native-0-");
        Files.writeString(abandoned.resolve("libkinema.so"), "left by a crashed JVM");
        Files.createFile(abandoned.resolve(".in-use.lock"));
        try (FileChannel channel = FileChannel.open(inUse.resolve(".in-use.lock"),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            Result result = child();
            assertEquals(0, result.exitCode(), result.output());
            assertFalse(Files.exists(abandoned), abandoned + " should have been removed");
            assertTrue(Files.exists(inUse.resolve(".in-use.lock")), inUse + " is locked by this JVM and must stay");
        } finally {
            Files.deleteIfExists(inUse.resolve(".in-use.lock"));
            Files.deleteIfExists(inUse);
        }
    }

    @Test
    void packagedLibrariesMatchTheBuild() throws Exception {
        List<String> names = NativeLibrary.packagedLibraries();
        assertTrue(names.contains("libkinema.so"), names.toString());
        for (String name : names) {
            try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(NativeLibrary.RESOURCE_FOLDER + name)) {
                assertTrue(in != null, name);
                assertArrayEquals(Files.readAllBytes(BUILD_LIB.resolve(name)), in.readAllBytes(), name);
            }
        }
    }

    @Test
    void thisJvmLoadedTheLibraryAndItsAbiMatches() {
        Path file = NativeLibrary.load();
        assertTrue(Files.isRegularFile(file), file.toString());
        assertEquals(kinema_h.KN_ABI_VERSION(), dev.kinema.internal.CriticalHandles.abiVersion());
    }
}
