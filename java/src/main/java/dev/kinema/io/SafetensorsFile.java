package dev.kinema.io;

import dev.kinema.DType;
import dev.kinema.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An open safetensors file: the header validated, the file mapped read-only.
 *
 * <p>Tensors are handed out as host {@link Tensor} <em>copies</em> (off-heap to off-heap, never
 * through the Java heap), so a returned tensor stays valid after this file is closed and the
 * mapping cannot be unmapped under a live tensor. Load only the tensors you need with
 * {@link #load(String)}; the mapping itself costs no memory until read.
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final ValueLayout.OfInt FILE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort FILE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final SafetensorsHeader header;

    SafetensorsFile(Path file, Arena arena, MemorySegment data, SafetensorsHeader header) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.header = header;
    }

    public Path file() {
        return file;
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return header.tensors().keySet();
    }

    /** The header entry of a tensor. */
    public TensorInfo info(String name) {
        TensorInfo info = header.tensors().get(name);
        if (info == null) {
            throw new SafetensorsException(file, name, null, "no such tensor (the file holds " + names() + ")");
        }
        return info;
    }

    /** The {@code __metadata__} string map (empty when the file has none). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Copies one tensor into a new host tensor (the caller closes it). */
    public Tensor load(String name) {
        TensorInfo info = info(name);
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException(file + " is closed");
        }
        Tensor t = Tensor.host(info.dtype(), info.shape());
        copyToNative(data, info.begin(), t.segment(), info.numel(), info.dtype());
        return t;
    }

    /** Copies every tensor, in header order; on failure the tensors already made are closed. */
    public Map<String, Tensor> loadAll() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            for (String name : names()) {
                out.put(name, load(name));
            }
        } catch (RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
        return out;
    }

    /** Unmaps the file; tensors already loaded stay valid. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** Little-endian file bytes to native-order elements (a plain copy on little-endian hosts). */
    static void copyToNative(MemorySegment src, long srcOffset, MemorySegment dst, long count, DType dtype) {
        if (count == 0) {
            return;
        }
        if (dtype.byteSize() == 4) {
            MemorySegment.copy(src, FILE_INT, srcOffset, dst, ValueLayout.JAVA_INT_UNALIGNED, 0, count);
        } else {
            MemorySegment.copy(src, FILE_SHORT, srcOffset, dst, ValueLayout.JAVA_SHORT_UNALIGNED, 0, count);
        }
    }

    /** Native-order elements to little-endian file bytes. */
    static void copyToFile(MemorySegment src, MemorySegment dst, long dstOffset, long count, DType dtype) {
        if (count == 0) {
            return;
        }
        if (dtype.byteSize() == 4) {
            MemorySegment.copy(src, ValueLayout.JAVA_INT_UNALIGNED, 0, dst, FILE_INT, dstOffset, count);
        } else {
            MemorySegment.copy(src, ValueLayout.JAVA_SHORT_UNALIGNED, 0, dst, FILE_SHORT, dstOffset, count);
        }
    }
}
