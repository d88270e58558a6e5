package dev.kinema.fuzz;

import dev.kinema.KinemaException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a parser may do with hostile input: succeed, or throw a typed Kinema exception with a message.
 * Anything else (a NullPointerException, an index out of bounds, an OutOfMemoryError from a size
 * read off the input, a StackOverflowError) escapes to the fuzzer, which reports it with the input.
 */
final class Outcomes {
    /**
     * How long each fuzz test fuzzes with JAZZER_FUZZ=1 (without it, each runs its seed inputs only);
     * .ci/run runs every fuzz test this long.
     */
    static final String FUZZ_DURATION = "30s";

    private Outcomes() {
    }

    /** The bytes decoded as UTF-8 (malformed sequences become U+FFFD). */
    static String utf8(byte[] bytes) {
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    static void typedOrSuccess(Runnable parse) {
        try {
            parse.run();
        } catch (KinemaException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("a " + e.getClass().getSimpleName() + " without a message", e);
            }
        }
    }

    /** A scratch directory for one fuzz test's files, made once per JVM. */
    static Path scratch(String name) {
        try {
            Path dir = Files.createTempDirectory("kinema-fuzz-" + name);
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
