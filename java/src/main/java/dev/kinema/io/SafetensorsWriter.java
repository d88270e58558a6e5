package dev.kinema.io;

import dev.kinema.DType;
import dev.kinema.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/** The write half of {@link Safetensors}: validate, write a temporary file, publish it atomically. */
final class SafetensorsWriter {
    private SafetensorsWriter() {}

    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, boolean overwrite) {
        Path target = file.toAbsolutePath();
        Path folder = target.getParent();
        if (!Files.isDirectory(folder)) {
            throw new SafetensorsException(file, null, null, "folder " + folder + " does not exist");
        }
        if (Files.isDirectory(target)) {
            throw new SafetensorsException(file, null, null, "is a folder");
        }
        if (!overwrite && Files.exists(target)) {
            throw new SafetensorsException(file, null, null, "already exists (not overwritten unless asked)");
        }
        TreeMap<String, Tensor> sorted = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            checkTensor(file, e.getKey(), e.getValue());
            sorted.put(e.getKey(), e.getValue());
        }
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            metadata.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new SafetensorsException(file, null, SafetensorsHeader.METADATA_KEY, "null key or value");
                }
            });
            header.put(SafetensorsHeader.METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            Tensor t = e.getValue();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype().name());
            entry.put("shape", Arrays.stream(t.shape()).boxed().toList());
            entry.put("data_offsets", List.of(offset, offset + t.byteSize()));
            header.put(e.getKey(), entry);
            offset += t.byteSize();
        }
        byte[] json = paddedHeader(Json.write(header));
        Path temp = null;
        try {
            temp = createTemporary(folder, target.getFileName().toString());
            writeFile(temp, json, sorted, offset);
            publish(file, temp, target, overwrite);
        } catch (IOException e) {
            throw new SafetensorsException(file, null, null, "cannot write: " + e, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the temporary name is hidden and unique; a leftover harms nothing
                }
            }
        }
    }

    /**
     * A new hidden file beside the target. Not Files.createTempFile: its owner-only permissions
     * would carry over to the published file; this one gets the usual umask-derived ones.
     */
    private static Path createTemporary(Path folder, String name) throws IOException {
        while (true) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
            try {
                return Files.createFile(folder.resolve("." + name + "." + suffix + ".tmp"));
            } catch (FileAlreadyExistsException e) {
                // another writer picked the same name: draw again
            }
        }
    }

    private static void checkTensor(Path file, String name, Tensor t) {
        if (name == null || name.isEmpty() || name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new SafetensorsException(file, name, null, "invalid tensor name");
        }
        if (t == null) {
            throw new SafetensorsException(file, name, null, "tensor is null");
        }
        if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
            throw new SafetensorsException(file, name, "dtype", "cannot write dtype " + t.dtype());
        }
        if (t.rank() > SafetensorsHeader.MAX_RANK) {
            throw new SafetensorsException(file, name, "shape", "rank " + t.rank() + " exceeds " + SafetensorsHeader.MAX_RANK);
        }
        long[] shape = t.shape();
        long[] strides = t.strides();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] > 1 && strides[i] != expected) {
                throw new SafetensorsException(file, name, "strides", "expected a contiguous tensor, got strides "
                        + Arrays.toString(strides) + " for shape " + Arrays.toString(shape));
            }
            expected *= shape[i];
        }
    }

    /** Pads the JSON with spaces so the data area starts 8-byte aligned, as the reference writer does. */
    private static byte[] paddedHeader(String json) {
        byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
        int padded = (utf8.length + 7) & ~7;
        byte[] out = Arrays.copyOf(utf8, padded);
        Arrays.fill(out, utf8.length, padded, (byte) ' ');
        return out;
    }

    private static void writeFile(Path temp, byte[] json, Map<String, Tensor> tensors, long dataSize) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined()) {
            ByteBuffer head = ByteBuffer.allocate(Long.BYTES + json.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(json.length).put(json).flip();
            while (head.hasRemaining()) {
                channel.write(head);
            }
            if (dataSize > 0) {
                MemorySegment data = channel.map(FileChannel.MapMode.READ_WRITE, head.limit(), dataSize, arena);
                long offset = 0;
                for (Tensor t : tensors.values()) {
                    copyTensor(t, data, offset);
                    offset += t.byteSize();
                }
                data.force();
            }
            channel.force(true);
        }
    }

    private static void copyTensor(Tensor t, MemorySegment data, long offset) {
        List<Tensor> temporaries = new ArrayList<>(1);
        try {
            Tensor host = t;
            if (!t.isHost()) {
                host = t.toHost();
                temporaries.add(host);
            }
            SafetensorsFile.copyToFile(host.segment(), data, offset, host.numel(), host.dtype());
        } finally {
            temporaries.forEach(Tensor::close);
        }
    }

    /**
     * Moves the finished temporary file to the target. Without overwrite a hard link publishes it,
     * since link creation fails atomically on an existing name whereas rename silently replaces.
     */
    private static void publish(Path file, Path temp, Path target, boolean overwrite) throws IOException {
        if (overwrite) {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        try {
            Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
            throw new SafetensorsException(file, null, null, "already exists (not overwritten unless asked)", e);
        } catch (UnsupportedOperationException | IOException e) {
            // No hard links on this file system: fall back to check-then-move.
            if (Files.exists(target)) {
                throw new SafetensorsException(file, null, null, "already exists (not overwritten unless asked)");
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
