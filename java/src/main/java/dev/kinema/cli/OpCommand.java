package dev.kinema.cli;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.ref.Tolerance;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code kinema op NAME --in IN --out OUT ...}: one op from a safetensors file to another. */
final class OpCommand {
    /** Tensor names an op writes; in an input file they hold expected values, not inputs. */
    static final Set<String> OUTPUT_NAMES = Set.of("y", "x0");
    /** The metadata key naming the op a file was made for; never an attribute. */
    static final String OP_KEY = "op";

    private final CommandLine line;
    private final PrintStream out;

    OpCommand(List<String> args, PrintStream out) {
        this.line = new CommandLine("op", args, Set.of("in", "out", "attr", "backend", "threads"), Set.of("force", "check"));
        this.out = out;
    }

    int run() {
        String op = line.onlyPositional("op NAME");
        if (!Kinema.opNames().contains(op)) {
            throw new UsageException("op: unknown op '" + op + "', expected one of " + String.join(", ", Kinema.opNames()));
        }
        Path in = Path.of(line.required("in"));
        Path outFile = Path.of(line.required("out"));
        Backend backend = Main.parseBackend("op", line.option("backend") == null ? "auto" : line.option("backend"));
        Integer threads = line.integer("threads");
        boolean force = line.flag("force");
        if (!force && Files.exists(outFile)) {
            throw new UsageException("op: output " + outFile + " already exists (pass --force to replace it)");
        }
        Path outFolder = outFile.toAbsolutePath().getParent();
        if (!Files.isDirectory(outFolder)) {
            throw new UsageException("op: folder " + outFolder + " of the output does not exist");
        }
        try (Safetensors.Contents contents = Safetensors.read(in)) {
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            Map<String, Tensor> expected = new LinkedHashMap<>();
            contents.tensors().forEach((name, t) -> (OUTPUT_NAMES.contains(name) ? expected : inputs).put(name, t));
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                if (e.getValue().dtype() != DType.F32) {
                    throw new UsageException("op: input '" + e.getKey() + "' in " + in + ": expected dtype F32, got "
                            + e.getValue().dtype());
                }
            }
            Map<String, String> attrs = attributes(op, in, contents.metadata());
            if (line.flag("check") && expected.isEmpty()) {
                throw new UsageException("op: --check needs expected outputs (y, x0) in " + in + ", it has none");
            }
            Map<String, float[]> results = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            try (Kinema rt = Kinema.open(backend)) {
                if (threads != null) {
                    rt.setNumThreads(threads);
                }
                Map<String, Tensor> device = new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                    device.put(e.getKey(), rt.upload(e.getValue()));
                }
                for (Map.Entry<String, Tensor> e : rt.run(op, device, attrs).entrySet()) {
                    results.put(e.getKey(), e.getValue().toFloats());
                    shapes.put(e.getKey(), e.getValue().shape());
                }
                backend = rt.backend();
            }
            write(outFile, op, backend, attrs, results, shapes, force);
            return report(expected, results, shapes, outFile);
        }
    }

    /** The file's metadata (minus "op") overlaid with --attr. */
    private Map<String, String> attributes(String op, Path in, Map<String, String> metadata) {
        String madeFor = metadata.get(OP_KEY);
        if (madeFor != null && !madeFor.equals(op)) {
            throw new UsageException("op: " + in + " holds inputs of op '" + madeFor + "', not '" + op + "'");
        }
        Map<String, String> attrs = new LinkedHashMap<>(metadata);
        attrs.remove(OP_KEY);
        attrs.putAll(line.attrs());
        return attrs;
    }

    private static void write(Path file, String op, Backend backend, Map<String, String> attrs,
                              Map<String, float[]> results, Map<String, long[]> shapes, boolean force) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try {
            results.forEach((name, values) -> tensors.put(name, Tensor.hostFromFloats(values, shapes.get(name))));
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put(OP_KEY, op);
            metadata.put("backend", backend.id());
            metadata.putAll(attrs);
            Safetensors.write(file, tensors, metadata, force);
        } finally {
            tensors.values().forEach(Tensor::close);
        }
    }

    /** Prints one line per output; with --check, exit 1 when an expected value is not matched. */
    private int report(Map<String, Tensor> expected, Map<String, float[]> results, Map<String, long[]> shapes, Path file) {
        boolean allPassed = true;
        for (Map.Entry<String, float[]> e : results.entrySet()) {
            String name = e.getKey();
            StringBuilder msg = new StringBuilder(name + " " + Arrays.toString(shapes.get(name)) + " -> " + file);
            Tensor want = expected.get(name);
            if (want != null) {
                if (!Arrays.equals(want.shape(), shapes.get(name))) {
                    msg.append("; expected shape ").append(Arrays.toString(want.shape())).append(": MISMATCH");
                    allPassed = false;
                } else {
                    Tolerance.Comparison c = Tolerance.compare(e.getValue(), want.toFloats());
                    msg.append(String.format("; max|%s - expected| = %.3e (bound %.1e) %s", name, c.maxAbsError(),
                            c.bound(), c.passed() ? "ok" : "MISMATCH"));
                    allPassed &= c.passed();
                }
            }
            out.println(msg);
        }
        for (String name : expected.keySet()) {
            if (!results.containsKey(name)) {
                out.println(name + ": expected in the input file, but the op has no such output: MISMATCH");
                allPassed = false;
            }
        }
        return line.flag("check") && !allPassed ? Main.CHECK_FAILED : Main.OK;
    }
}
