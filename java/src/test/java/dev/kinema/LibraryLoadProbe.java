package dev.kinema;

import dev.kinema.internal.NativeLibrary;
import dev.kinema.raw.kinema_h;

/**
 * Main class run in child JVMs by NativeLibraryTest: each child loads libkinema once, the way
 * its system properties say. Prints "loaded FILE abi N", or the NativeLibraryException message
 * and exits with status 3.
 */
public final class LibraryLoadProbe {
    private LibraryLoadProbe() {
    }

    public static void main(String[] args) {
        try {
            java.nio.file.Path file = NativeLibrary.load();
            System.out.println("loaded " + file + " abi " + kinema_h.kn_abi_version());
        } catch (NativeLibraryException e) {
            System.out.println("NativeLibraryException: " + e.getMessage());
            System.exit(3);
        }
    }
}
