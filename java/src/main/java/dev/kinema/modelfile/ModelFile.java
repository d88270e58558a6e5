package dev.kinema.modelfile;

import dev.kinema.DType;
import dev.kinema.Tensor;
import dev.kinema.modelfile.fb.Attribute;
import dev.kinema.modelfile.fb.ConfigEntry;
import dev.kinema.modelfile.fb.GraphEntry;
import dev.kinema.modelfile.fb.Model;
import dev.kinema.modelfile.fb.NodeEntry;
import dev.kinema.modelfile.fb.TensorEntry;
import dev.kinema.modelfile.fb.TensorType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open .kinema file, mapped read-only. Everything is validated before it is used: the size prefix
 * and identifier, the format version, and every tensor entry (name unique, dtype, rank and dims,
 * size = numel x dtype size, offset 64-byte aligned, inside the file, after the header, no two
 * tensors sharing bytes). A malformed FlatBuffer that still slips through fails with a
 * ModelFileException naming the header, never with a crash.
 */
public final class ModelFile implements AutoCloseable {
    public static final int FORMAT_VERSION = 1;
    /** The header (configs, graph, tensor table) of any real model fits in this. */
    static final long MAX_HEADER_BYTES = 256L << 20;
    /** A FlatBuffer root offset and its 4-byte file identifier. */
    static final long MIN_HEADER_BYTES = 8;
    static final int MAX_RANK = 8;

    /** A tensor of the file: where its bytes are. */
    public record Entry(String name, DType dtype, long[] shape, long offset, long size) {
        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private final Path file;
    private final Arena arena;
    private final MemorySegment mapped;
    private final String architecture;
    private final Map<String, String> options;
    private final Map<String, String> configs;
    private final GraphSnapshot graph;
    private final Map<String, Entry> tensors;

    private ModelFile(Path file, Arena arena, MemorySegment mapped, Model model) {
        this.file = file;
        this.arena = arena;
        this.mapped = mapped;
        this.architecture = model.architecture();
        this.options = attributes(model.optionsLength(), i -> model.options(i));
        Map<String, String> c = new LinkedHashMap<>();
        for (int i = 0; i < model.configsLength(); i++) {
            ConfigEntry e = model.configs(i);
            c.put(e.role(), e.json());
        }
        this.configs = Collections.unmodifiableMap(c);
        this.graph = readGraph(model.graph());
        this.tensors = readTensors(model);
    }

    /** Maps and validates path; the caller closes the result. */
    public static ModelFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 16) {
                throw new ModelFileException(path, "size", "at least 16 bytes (a size-prefixed FlatBuffer)", size + " bytes");
            }
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerBytes = Integer.toUnsignedLong(mapped.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
            if (headerBytes < MIN_HEADER_BYTES || headerBytes > MAX_HEADER_BYTES || 4 + headerBytes > size) {
                throw new ModelFileException(path, "header size", MIN_HEADER_BYTES + ".." + Math.min(MAX_HEADER_BYTES, size - 4)
                        + " bytes (the file has " + size + ")", headerBytes + " bytes");
            }
            ByteBuffer header = mapped.asSlice(4, headerBytes).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            if (!Model.ModelBufferHasIdentifier(header)) {
                throw new ModelFileException(path, "identifier", "\"KNMD\" (a .kinema model file)", "something else");
            }
            Model model;
            try {
                model = Model.getRootAsModel(header);
                long version = model.formatVersion();
                if (version != FORMAT_VERSION) {
                    throw new ModelFileException(path, "format_version", String.valueOf(FORMAT_VERSION)
                            + (version > FORMAT_VERSION ? " (the file is newer than this library)" : ""), String.valueOf(version));
                }
                if (model.architecture() == null || model.architecture().isEmpty()) {
                    throw new ModelFileException(path, "architecture", "a diffusers class name", "none");
                }
                ModelFile f = new ModelFile(path, arena, mapped, model);
                f.checkTensors(4 + headerBytes, size);
                if (!f.configs.containsKey("model")) {
                    throw new ModelFileException(path, "configs", "a \"model\" config", "roles " + f.configs.keySet());
                }
                return f;
            } catch (ModelFileException e) {
                throw e;
            } catch (RuntimeException e) {  // a FlatBuffer offset pointing outside the header
                throw new ModelFileException(path, "header", "a well-formed FlatBuffer", e.toString());
            }
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot read model file " + path, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private void checkTensors(long dataStart, long fileSize) {
        List<Entry> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort((a, b) -> Long.compareUnsigned(a.offset, b.offset));
        long end = dataStart;
        for (Entry e : byOffset) {
            String field = "tensors[" + e.name + "]";
            if (e.offset % ModelFileWriter.ALIGNMENT != 0) {
                throw new ModelFileException(file, field + ".offset", "a multiple of " + ModelFileWriter.ALIGNMENT,
                        Long.toUnsignedString(e.offset));
            }
            if (Long.compareUnsigned(e.offset, end) < 0) {
                throw new ModelFileException(file, field + ".offset", "at or after byte " + end
                        + " (after the header and the previous tensor)", Long.toUnsignedString(e.offset));
            }
            if (Long.compareUnsigned(e.size, fileSize) > 0 || Long.compareUnsigned(e.offset, fileSize - e.size) > 0) {
                throw new ModelFileException(file, field, "bytes inside the file (" + fileSize + " bytes)",
                        "[" + Long.toUnsignedString(e.offset) + ", +" + Long.toUnsignedString(e.size) + ")");
            }
            end = e.offset + e.size;
        }
    }

    private Map<String, Entry> readTensors(Model model) {
        Map<String, Entry> out = new LinkedHashMap<>();
        for (int i = 0; i < model.tensorsLength(); i++) {
            TensorEntry t = model.tensors(i);
            String name = t.name();
            String field = "tensors[" + i + "]";
            if (name == null || name.isEmpty() || out.containsKey(name)) {
                throw new ModelFileException(file, field + ".name", "a unique non-empty name", String.valueOf(name));
            }
            DType dtype = switch (t.dtype()) {
                case TensorType.F32 -> DType.F32;
                case TensorType.F16 -> DType.F16;
                case TensorType.BF16 -> DType.BF16;
                default -> throw new ModelFileException(file, field + ".dtype", "F32, F16 or BF16", String.valueOf(t.dtype()));
            };
            if (t.shapeLength() > MAX_RANK) {
                throw new ModelFileException(file, field + ".shape", "rank <= " + MAX_RANK, "rank " + t.shapeLength());
            }
            long[] shape = new long[t.shapeLength()];
            long numel = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = t.shape(d);
                if (shape[d] < 0) {
                    throw new ModelFileException(file, field + ".shape", "dims >= 0", Arrays.toString(shape));
                }
                numel = Math.multiplyHigh(numel, shape[d]) != 0 || numel * shape[d] < 0 ? -1 : numel * shape[d];
                if (numel < 0) {
                    throw new ModelFileException(file, field + ".shape", "fewer than 2^63 elements", "more");
                }
            }
            long bytes = numel * dtype.byteSize();
            if (bytes / dtype.byteSize() != numel || t.size() != bytes) {
                throw new ModelFileException(file, field + ".size", bytes + " bytes (" + numel + " x " + dtype.id() + ")",
                        Long.toUnsignedString(t.size()));
            }
            out.put(name, new Entry(name, dtype, shape, t.offset(), t.size()));
        }
        return Collections.unmodifiableMap(out);
    }

    private GraphSnapshot readGraph(GraphEntry g) {
        if (g == null) {
            throw new ModelFileException(file, "graph", "the graph at a reference shape", "none");
        }
        List<NodeRecord> nodes = new ArrayList<>();
        for (int i = 0; i < g.nodesLength(); i++) {
            NodeEntry n = g.nodes(i);
            Map<String, String> inputs = new LinkedHashMap<>();
            for (int j = 0; j < n.inputsLength(); j++) {
                inputs.put(n.inputs(j).name(), n.inputs(j).value());
            }
            long[] shape = new long[rank(n.shapeLength(), "graph.nodes[" + i + "].shape")];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = n.shape(d);
            }
            nodes.add(new NodeRecord(n.name(), n.op(), inputs, attributes(n.attrsLength(), j -> n.attrs(j)), shape));
        }
        long[] sample = new long[rank(g.sampleShapeLength(), "graph.sample_shape")];
        long[] context = new long[rank(g.contextShapeLength(), "graph.context_shape")];
        for (int d = 0; d < sample.length; d++) {
            sample[d] = g.sampleShape(d);
        }
        for (int d = 0; d < context.length; d++) {
            context[d] = g.contextShape(d);
        }
        return new GraphSnapshot(sample, context, nodes);
    }

    /** A shape's length from the header, checked before an array is sized by it. */
    private int rank(int length, String field) {
        if (length < 0 || length > MAX_RANK) {
            throw new ModelFileException(file, field, "rank 0.." + MAX_RANK, "rank " + length);
        }
        return length;
    }

    private static Map<String, String> attributes(int count, java.util.function.IntFunction<Attribute> at) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            Attribute a = at.apply(i);
            out.put(a.name(), a.value());
        }
        return Collections.unmodifiableMap(out);
    }

    public Path file() {
        return file;
    }

    /** The diffusers class the file holds, e.g. UNet3DConditionModel. */
    public String architecture() {
        return architecture;
    }

    /** Load-time options baked into the file (spatial_attention). */
    public Map<String, String> options() {
        return options;
    }

    /** The configs the model was built from, by role ("model", "motion_adapter"), verbatim JSON. */
    public Map<String, String> configs() {
        return configs;
    }

    public GraphSnapshot graph() {
        return graph;
    }

    public Map<String, Entry> tensors() {
        return tensors;
    }

    /** Copies tensor name into a new host tensor (the caller closes it). */
    public Tensor load(String name) {
        Entry e = tensors.get(name);
        if (e == null) {
            throw new IllegalArgumentException(file + " has no tensor " + name);
        }
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException(file + " is closed");
        }
        Tensor t = Tensor.host(e.dtype(), e.shape());
        long count = t.numel();
        if (count > 0) {
            if (e.dtype().byteSize() == 4) {
                MemorySegment.copy(mapped, ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), e.offset(),
                        t.segment(), ValueLayout.JAVA_INT_UNALIGNED, 0, count);
            } else {
                MemorySegment.copy(mapped, ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), e.offset(),
                        t.segment(), ValueLayout.JAVA_SHORT_UNALIGNED, 0, count);
            }
        }
        return t;
    }

    /** Unmaps the file; tensors already loaded stay valid. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
