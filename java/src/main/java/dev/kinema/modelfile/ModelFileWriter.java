package dev.kinema.modelfile;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.kinema.DType;
import dev.kinema.Tensor;
import dev.kinema.modelfile.fb.Attribute;
import dev.kinema.modelfile.fb.ConfigEntry;
import dev.kinema.modelfile.fb.GraphEntry;
import dev.kinema.modelfile.fb.InputRef;
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
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a .kinema file (schema: java/src/main/flatbuffers/kinema_model.fbs): the size-prefixed
 * FlatBuffer, then each tensor at a 64-byte aligned offset, little-endian. The file is written to a
 * temporary name beside the target and moved into place, so a reader never sees half a file, and an
 * existing target is replaced only when asked.
 */
public final class ModelFileWriter {
    static final int ALIGNMENT = 64;

    private ModelFileWriter() {
    }

    /**
     * @param tensors host tensors by name, written in the map's order
     * @param overwrite replace an existing file at out
     */
    public static void write(Path out, String architecture, Map<String, String> options, Map<String, String> configs,
                             GraphSnapshot graph, Map<String, Tensor> tensors, boolean overwrite) {
        if (!overwrite && Files.exists(out)) {
            throw new UncheckedIOException(new FileAlreadyExistsException(out.toString(), null,
                    "refusing to overwrite an existing model file (pass overwrite / --force)"));
        }
        List<String> names = new ArrayList<>(tensors.keySet());
        long[] offsets = new long[names.size()];
        // Every field is forced into the buffer, so its size does not depend on the offsets' values:
        // one pass with zeros measures it, the second writes the real offsets.
        byte[] probe = buffer(architecture, options, configs, graph, tensors, names, offsets);
        long at = align(probe.length);
        for (int i = 0; i < names.size(); i++) {
            offsets[i] = at;
            at = align(at + tensors.get(names.get(i)).byteSize());
        }
        byte[] header = buffer(architecture, options, configs, graph, tensors, names, offsets);
        if (header.length != probe.length) {
            throw new IllegalStateException("model file header changed size between passes");
        }
        Path dir = out.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, ByteBuffer.wrap(header), 0);
                for (int i = 0; i < names.size(); i++) {
                    writeTensor(ch, tensors.get(names.get(i)), offsets[i]);
                }
                long end = names.isEmpty() ? header.length : offsets[names.size() - 1]
                        + tensors.get(names.get(names.size() - 1)).byteSize();
                ch.truncate(end);
                ch.force(true);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model file " + out, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temporary file is left behind; the target is untouched
                }
            }
        }
    }

    static long align(long v) {
        return (v + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static byte[] buffer(String architecture, Map<String, String> options, Map<String, String> configs,
                                 GraphSnapshot graph, Map<String, Tensor> tensors, List<String> names, long[] offsets) {
        FlatBufferBuilder b = new FlatBufferBuilder(1 << 16);
        b.forceDefaults(true);
        int[] tensorOffsets = new int[names.size()];
        for (int i = 0; i < names.size(); i++) {
            Tensor t = tensors.get(names.get(i));
            int name = b.createString(names.get(i));
            int shape = TensorEntry.createShapeVector(b, t.shape());
            tensorOffsets[i] = TensorEntry.createTensorEntry(b, name, tensorType(t.dtype()), shape, offsets[i], t.byteSize());
        }
        int tensorVector = Model.createTensorsVector(b, tensorOffsets);
        int configVector = Model.createConfigsVector(b, configs.entrySet().stream()
                .mapToInt(e -> ConfigEntry.createConfigEntry(b, b.createString(e.getKey()), b.createString(e.getValue())))
                .toArray());
        int optionVector = Model.createOptionsVector(b, attributes(b, options));
        int graphEntry = graph(b, graph);
        int arch = b.createString(architecture);
        int model = Model.createModel(b, ModelFile.FORMAT_VERSION, arch, optionVector, configVector, graphEntry, tensorVector);
        Model.finishSizePrefixedModelBuffer(b, model);
        return b.sizedByteArray();
    }

    private static int graph(FlatBufferBuilder b, GraphSnapshot g) {
        int[] nodes = new int[g.nodes().size()];
        for (int i = 0; i < nodes.length; i++) {
            NodeRecord n = g.nodes().get(i);
            int[] inputs = n.inputs().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .mapToInt(e -> InputRef.createInputRef(b, b.createString(e.getKey()), b.createString(e.getValue())))
                    .toArray();
            int inputVector = NodeEntry.createInputsVector(b, inputs);
            int attrVector = NodeEntry.createAttrsVector(b, attributes(b, new java.util.TreeMap<>(n.attrs())));
            int shape = NodeEntry.createShapeVector(b, n.shape());
            nodes[i] = NodeEntry.createNodeEntry(b, b.createString(n.name()), b.createString(n.op()), inputVector,
                    attrVector, shape);
        }
        int nodeVector = GraphEntry.createNodesVector(b, nodes);
        int sample = GraphEntry.createSampleShapeVector(b, g.sampleShape());
        int context = GraphEntry.createContextShapeVector(b, g.contextShape());
        return GraphEntry.createGraphEntry(b, sample, context, nodeVector);
    }

    private static int[] attributes(FlatBufferBuilder b, Map<String, String> attrs) {
        return attrs.entrySet().stream()
                .mapToInt(e -> Attribute.createAttribute(b, b.createString(e.getKey()), b.createString(e.getValue())))
                .toArray();
    }

    static byte tensorType(DType dtype) {
        return switch (dtype) {
            case F32 -> TensorType.F32;
            case F16 -> TensorType.F16;
            case BF16 -> TensorType.BF16;
        };
    }

    private static void writeTensor(FileChannel ch, Tensor t, long offset) throws IOException {
        if (t.byteSize() == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment le = arena.allocate(t.byteSize(), ALIGNMENT);
            if (!t.isHost()) {
                throw new IllegalArgumentException("model file tensors must be host tensors: " + t);
            }
            MemorySegment src = t.segment();
            if (t.dtype().byteSize() == 4) {
                MemorySegment.copy(src, ValueLayout.JAVA_INT_UNALIGNED, 0, le,
                        ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, t.numel());
            } else {
                MemorySegment.copy(src, ValueLayout.JAVA_SHORT_UNALIGNED, 0, le,
                        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, t.numel());
            }
            writeFully(ch, le.asByteBuffer(), offset);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long offset) throws IOException {
        long at = offset;
        while (buf.hasRemaining()) {
            at += ch.write(buf, at);
        }
    }
}
