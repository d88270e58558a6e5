package dev.kinema.render;

import dev.kinema.InvalidArgumentException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The rule for directories renders write into: a missing or empty directory is created and marked
 * as Kinema's ({@value #MARKER}); a marked one is written again (its files replaced by the new
 * render's); any other non-empty directory, or a path that is a file, is refused unless the caller
 * was asked to overwrite (--force).
 */
public final class OutputDirectory {
    public static final String MARKER = ".kinema-render";

    private OutputDirectory() {
    }

    /** Throws unless dir may be written under the rule above; writes nothing. argument names the option. */
    public static void check(Path dir, boolean force, String argument) {
        try {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new InvalidArgumentException("render", argument, "a directory", dir + " is a file");
            }
            if (Files.isDirectory(dir) && !Files.exists(dir.resolve(MARKER)) && !isEmpty(dir) && !force) {
                throw new InvalidArgumentException("render", argument,
                        "a new or empty directory, or one an earlier render wrote (pass --force to write into it anyway)",
                        dir + " is not empty");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read output directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Makes dir ready for writing under the rule above (see {@link #check}). */
    public static void prepare(Path dir, boolean force, String argument) {
        check(dir, force, argument);
        try {
            Files.createDirectories(dir);
            Path marker = dir.resolve(MARKER);
            if (!Files.exists(marker)) {
                Files.writeString(marker, "written by kinema render; it may replace the files in this directory\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare output directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }
}
