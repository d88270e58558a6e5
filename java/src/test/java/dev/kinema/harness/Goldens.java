package dev.kinema.harness;

import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The PyTorch golden files under test resources {@code goldens/OP__CASE.safetensors} (made by
 * tools/make-goldens.py): inputs, expected outputs y (and x0), and the op and attributes in metadata.
 */
public final class Goldens {
    public static final Set<String> OUTPUTS = Set.of("y", "x0");

    private Goldens() {}

    /** One golden file, read: the caller closes it. */
    public record Golden(String op, String caseName, Path file, Map<String, Tensor> inputs,
                         Map<String, Tensor> expected, Map<String, String> attrs) implements AutoCloseable {
        public static Golden read(Path file) {
            Safetensors.Contents c = Safetensors.read(file);
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            Map<String, Tensor> expected = new LinkedHashMap<>();
            c.tensors().forEach((name, t) -> (OUTPUTS.contains(name) ? expected : inputs).put(name, t));
            Map<String, String> attrs = new LinkedHashMap<>(c.metadata());
            String op = attrs.remove("op");
            String base = file.getFileName().toString().replace(".safetensors", "");
            return new Golden(op, base.substring(base.indexOf("__") + 2), file, inputs, expected, attrs);
        }

        @Override
        public void close() {
            inputs.values().forEach(Tensor::close);
            expected.values().forEach(Tensor::close);
        }
    }

    public static Path folder() {
        URL url = Goldens.class.getResource("/goldens");
        if (url == null) {
            throw new IllegalStateException("test resource folder goldens/ is missing: run tools/make-goldens.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every golden file, sorted by name. */
    public static List<Path> files() {
        try (Stream<Path> s = Files.list(folder())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The op a golden file is for, from its name OP__CASE.safetensors. */
    public static String opOf(Path file) {
        String name = file.getFileName().toString();
        return name.substring(0, name.indexOf("__"));
    }
}
