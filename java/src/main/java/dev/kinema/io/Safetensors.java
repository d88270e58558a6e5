package dev.kinema.io;

import dev.kinema.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a UTF-8 JSON
 * header, then the raw little-endian tensor data. Kinema reads and writes F32, F16 and BF16.
 *
 * <p>Reading validates the whole header against the file size before any data is touched, and
 * returns copies (see {@link SafetensorsFile}). Writing goes to a temporary file in the target's
 * folder that is then moved into place atomically; an existing file is replaced only when asked.
 */
public final class Safetensors {
    /** Largest header accepted (the reference implementation uses the same cap). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ValueLayout.OfLong FILE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Safetensors() {}

    /** All tensors and the metadata of a file, as host copies the caller owns. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) implements AutoCloseable {
        /** Closes every tensor. */
        @Override
        public void close() {
            tensors.values().forEach(Tensor::close);
        }
    }

    /**
     * Validates the header and maps the file read-only; the caller closes the result.
     *
     * @throws SafetensorsException if the file cannot be read or its header is invalid
     */
    public static SafetensorsFile open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < Long.BYTES) {
                throw new SafetensorsException(file, null, "header length",
                        "file of " + size + " bytes is too short to hold the 8-byte header length");
            }
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLength = mapped.get(FILE_LONG, 0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new SafetensorsException(file, null, "header length", Long.toUnsignedString(headerLength)
                        + " bytes exceeds the cap of " + MAX_HEADER_BYTES);
            }
            if (headerLength > size - Long.BYTES) {
                throw new SafetensorsException(file, null, "header length", headerLength
                        + " bytes exceeds the " + (size - Long.BYTES) + " bytes after it (file truncated?)");
            }
            byte[] json = mapped.asSlice(Long.BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE);
            long dataStart = Long.BYTES + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(file, json, size - dataStart);
            return new SafetensorsFile(file, arena, mapped.asSlice(dataStart), header);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new SafetensorsException(file, null, null, "no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new SafetensorsException(file, null, null, "cannot read: " + e, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Reads every tensor (as host copies) and the metadata, then unmaps the file. */
    public static Contents read(Path file) {
        try (SafetensorsFile f = open(file)) {
            return new Contents(f.loadAll(), f.metadata());
        }
    }

    /**
     * Writes tensors (host or device; copied to host as needed) and string metadata to a file.
     * Tensors are stored in name order, contiguous, each as its own dtype.
     *
     * @param metadata  written as {@code __metadata__}; null or empty for none
     * @param overwrite replace an existing file; when false an existing file is an error
     * @throws SafetensorsException if the file exists (and overwrite is false) or cannot be written
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, boolean overwrite) {
        SafetensorsWriter.write(file, tensors, metadata == null ? Map.of() : metadata, overwrite);
    }
}
