package dev.kinema.models;

import dev.kinema.graph.Graph;
import dev.kinema.graph.Node;
import dev.kinema.graph.Value;
import dev.kinema.modelfile.GraphSnapshot;
import dev.kinema.modelfile.ModelFileException;
import dev.kinema.modelfile.NodeRecord;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Between denoiser graphs and .kinema files: recognizing a file, recording a graph, comparing two. */
final class ModelFiles {
    private ModelFiles() {
    }

    /** A regular file whose FlatBuffer identifier (bytes 8..11 after the size prefix) is "KNMD". */
    static boolean isModelFile(Path path) {
        if (!Files.isRegularFile(path)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(12);
            return head.length == 12 && head[8] == 'K' && head[9] == 'N' && head[10] == 'M' && head[11] == 'D';
        } catch (IOException e) {
            return false;
        }
    }

    static GraphSnapshot snapshot(long[] sample, long[] context, Graph graph) {
        List<NodeRecord> nodes = new ArrayList<>();
        for (Node n : graph.nodes()) {
            Map<String, String> inputs = new LinkedHashMap<>();
            n.inputs().forEach((name, v) -> inputs.put(name, v.name()));
            Value y = n.y();
            nodes.add(new NodeRecord(n.name(), n.op(), inputs, n.attrs(), y.shape()));
        }
        return new GraphSnapshot(sample, context, nodes);
    }

    /** Throws naming the first node where the file's graph and the rebuilt one differ. */
    static void checkGraph(String source, GraphSnapshot stored, GraphSnapshot rebuilt) {
        List<NodeRecord> a = stored.nodes(), b = rebuilt.nodes();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            NodeRecord s = i < a.size() ? a.get(i) : null, r = i < b.size() ? b.get(i) : null;
            if (s == null || !s.equals(r)) {
                throw new ModelFileException(Path.of(source), "graph.nodes[" + i + "]",
                        (r == null ? "no node" : r.toString()) + " (what this library builds from the file's config at "
                                + Arrays.toString(stored.sampleShape()) + ")",
                        s == null ? "no node" : s.toString());
            }
        }
    }
}
