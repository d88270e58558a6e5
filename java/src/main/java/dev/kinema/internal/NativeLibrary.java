package dev.kinema.internal;

import dev.kinema.NativeLibraryException;
import dev.kinema.raw.kinema_h;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.SymbolLookup;
import java.lang.reflect.Method;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Loads libkinema once per JVM. By default the shared objects packaged in the jar under
 * {@code native/linux-x86_64/} are extracted, all into one private temporary folder (libkinema
 * loads its backend plugins from beside itself), and removed at exit. {@code -Dkinema.library.path=DIR}
 * loads {@code DIR/libkinema.so} instead. Either way the library's ABI version and every symbol
 * the bindings need are checked before anything calls into it.
 */
public final class NativeLibrary {
    /** System property naming a folder that holds libkinema.so (and its plugins). */
    public static final String LIBRARY_PATH_PROPERTY = "kinema.library.path";
    public static final String LIBRARY_FILE = "libkinema.so";
    public static final String RESOURCE_FOLDER = "native/linux-x86_64/";
    /** Written by the build next to the libraries: one file name per line. */
    public static final String RESOURCE_LIST = "libraries.list";
    private static final String TEMP_PREFIX = "kinema-native-";
    private static final String LOCK_FILE = ".in-use.lock";

    private static Path loadedFile;
    /** Set when a library was mapped but is unusable; mapping cannot be undone, so this is final. */
    private static NativeLibraryException unusable;
    /** Held until exit; never read, only kept reachable. */
    @SuppressWarnings("unused")
    private static FileLock folderLock;

    private NativeLibrary() {
    }

    /** Loads libkinema if not yet loaded; returns the file that was loaded. */
    public static synchronized Path load() {
        if (loadedFile != null) {
            return loadedFile;
        }
        if (unusable != null) {
            throw new NativeLibraryException(unusable.getMessage(), unusable);
        }
        String override = System.getProperty(LIBRARY_PATH_PROPERTY);
        Path file = override != null && !override.isBlank() ? fromOverride(override) : extractResources();
        try {
            System.load(file.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new NativeLibraryException("cannot load " + file + ": " + e.getMessage(), e);
        }
        try {
            checkSymbols(file);
            int version = CriticalHandles.abiVersion();
            if (version != kinema_h.KN_ABI_VERSION()) {
                throw new NativeLibraryException(file + " implements ABI version " + version
                        + " but this Kinema needs KN_ABI_VERSION " + kinema_h.KN_ABI_VERSION()
                        + " (rebuild libkinema from the same sources as the jar)");
            }
        } catch (NativeLibraryException e) {
            unusable = e;
            throw e;
        }
        loadedFile = file;
        return file;
    }

    private static Path fromOverride(String folder) {
        Path dir = Path.of(folder).toAbsolutePath();
        if (!Files.isDirectory(dir)) {
            throw new NativeLibraryException("-D" + LIBRARY_PATH_PROPERTY + "=" + folder
                    + " is not a folder (it must name the folder that holds " + LIBRARY_FILE + ")");
        }
        Path file = dir.resolve(LIBRARY_FILE);
        if (!Files.isRegularFile(file)) {
            throw new NativeLibraryException("-D" + LIBRARY_PATH_PROPERTY + "=" + folder
                    + " holds no " + LIBRARY_FILE + " (looked for " + file + ")");
        }
        return file;
    }

    private static Path extractResources() {
        String os = System.getProperty("os.name", "?");
        String arch = System.getProperty("os.arch", "?");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new NativeLibraryException("this jar packages libkinema for linux-x86_64 only, but the JVM runs on "
                    + os + "/" + arch + "; build libkinema for this platform and pass -D"
                    + LIBRARY_PATH_PROPERTY + "=DIR");
        }
        List<String> names = packagedLibraries();
        deleteStaleFolders();
        Path dir;
        try {
            dir = Files.createTempDirectory(TEMP_PREFIX + ProcessHandle.current().pid() + "-");
        } catch (IOException e) {
            throw new NativeLibraryException("cannot create a temporary folder to extract libkinema into: " + e, e);
        }
        holdFolderLock(dir);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "kinema-native-cleanup"));
        for (String name : names) {
            try (InputStream in = resource(name)) {
                if (in == null) {
                    throw new NativeLibraryException("resource " + RESOURCE_FOLDER + name
                            + " is listed in " + RESOURCE_LIST + " but absent from the jar");
                }
                Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new NativeLibraryException("cannot extract " + RESOURCE_FOLDER + name + " to " + dir + ": " + e, e);
            }
        }
        return dir.resolve(LIBRARY_FILE);
    }

    /** The file names of the packaged shared objects; libkinema.so among them. */
    public static List<String> packagedLibraries() {
        String text;
        try (InputStream in = resource(RESOURCE_LIST)) {
            if (in == null) {
                throw new NativeLibraryException("libkinema is not packaged: resource " + RESOURCE_FOLDER + RESOURCE_LIST
                        + " is absent from the class path (build the jar with `mvn package`, or pass -D"
                        + LIBRARY_PATH_PROPERTY + "=DIR naming the folder that holds " + LIBRARY_FILE + ")");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NativeLibraryException("cannot read " + RESOURCE_FOLDER + RESOURCE_LIST + ": " + e, e);
        }
        List<String> names = new ArrayList<>();
        for (String line : text.split("\n")) {
            String name = line.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (!name.matches("lib[A-Za-z0-9_+.-]*\\.so(\\.[0-9]+)*")) {
                throw new NativeLibraryException(RESOURCE_FOLDER + RESOURCE_LIST + " lists '" + name
                        + "', expected shared object file names (libX.so or libX.so.N)");
            }
            names.add(name);
        }
        if (!names.contains(LIBRARY_FILE)) {
            throw new NativeLibraryException("resource " + RESOURCE_FOLDER + LIBRARY_FILE + " is absent: "
                    + RESOURCE_FOLDER + RESOURCE_LIST + " lists only " + names);
        }
        return names;
    }

    private static InputStream resource(String name) {
        ClassLoader loader = NativeLibrary.class.getClassLoader();
        return loader.getResourceAsStream(RESOURCE_FOLDER + name);
    }

    /** Every kn_ function bound in kinema_h must resolve, or the first call would fail much later. */
    private static void checkSymbols(Path file) {
        SymbolLookup lookup = SymbolLookup.loaderLookup();
        List<String> missing = new ArrayList<>();
        for (String name : boundFunctions()) {
            if (lookup.find(name).isEmpty()) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new NativeLibraryException(file + " lacks the symbols " + missing
                    + " (it was built from another kinema.h than this jar)");
        }
    }

    /** Names of the C functions the raw layer binds, read from its {@code name$address()} accessors. */
    public static List<String> boundFunctions() {
        List<String> names = new ArrayList<>();
        for (Method method : kinema_h.class.getDeclaredMethods()) {
            String name = method.getName();
            if (name.endsWith("$address") && method.getParameterCount() == 0) {
                names.add(name.substring(0, name.length() - "$address".length()));
            }
        }
        names.sort(Comparator.naturalOrder());
        return names;
    }

    /**
     * Removes folders left by JVMs that died before their shutdown hook ran. A live JVM holds the
     * lock file of its folder until it exits (the OS releases it even on a crash), so a folder
     * whose lock can be taken is abandoned. PIDs cannot tell this: containers sharing /tmp reuse them.
     */
    private static void deleteStaleFolders() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(tmp, TEMP_PREFIX + "*")) {
            for (Path folder : folders) {
                Path lockFile = folder.resolve(LOCK_FILE);
                if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(lockFile)) {
                    continue;
                }
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                     FileLock lock = channel.tryLock()) {
                    if (lock != null) {
                        deleteTree(folder);
                    }
                } catch (IOException | OverlappingFileLockException ignored) {
                    // in use, or not ours to delete
                }
            }
        } catch (IOException | SecurityException ignored) {
            // best effort: a leftover folder is harmless
        }
    }

    /** Takes the lock that marks dir as in use for the life of this JVM. */
    private static void holdFolderLock(Path dir) {
        try {
            FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            folderLock = channel.lock();
        } catch (IOException e) {
            throw new NativeLibraryException("cannot create the lock file in " + dir + ": " + e, e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort at exit
                }
            });
        } catch (IOException ignored) {
            // already gone
        }
    }
}
