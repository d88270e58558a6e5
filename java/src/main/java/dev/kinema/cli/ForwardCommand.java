package dev.kinema.cli;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.models.Denoiser;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kinema forward --model M --in IO.safetensors --out OUT.safetensors}: one denoiser forward on
 * diffusers' inputs (sample, timestep, encoder_hidden_states); writes output, in sample's layout.
 */
final class ForwardCommand {
    static final List<String> INPUTS = List.of("sample", "timestep", "encoder_hidden_states");

    private final CommandLine line;
    private final PrintStream out;

    ForwardCommand(List<String> args, PrintStream out) {
        this.line = new CommandLine("forward", args, Set.of("model", "weights", "motion-adapter", "motion-adapter-weights",
                "spatial-attention", "in", "out", "backend", "threads"), Set.of("force"));
        this.out = out;
    }

    int run() {
        line.noPositional();
        Path model = ModelOptions.model("forward", line);
        Path in = Path.of(line.required("in"));
        Path target = Path.of(line.required("out"));
        boolean force = line.flag("force");
        if (!force && Files.exists(target)) {
            throw new UsageException("forward: output " + target + " already exists (pass --force to replace it)");
        }
        Backend backend = Main.parseBackend("forward", line.option("backend") == null ? "auto" : line.option("backend"));
        Integer threads = line.integer("threads");
        try (Safetensors.Contents io = Safetensors.read(in)) {
            for (String name : INPUTS) {
                if (!io.tensors().containsKey(name)) {
                    throw new UsageException("forward: " + in + " has no tensor '" + name + "' (expected "
                            + String.join(", ", INPUTS) + ")");
                }
            }
            try (Kinema rt = Kinema.open(backend)) {
                if (threads != null) {
                    rt.setNumThreads(threads);
                }
                long load = System.nanoTime();
                try (Denoiser d = Denoiser.open(rt, model, ModelOptions.options("forward", line))) {
                    long run = System.nanoTime();
                    try (Tensor y = d.forward(io.tensors().get("sample"), io.tensors().get("timestep"),
                            io.tensors().get("encoder_hidden_states"))) {
                        long done = System.nanoTime();
                        Map<String, String> meta = new LinkedHashMap<>();
                        meta.put("architecture", d.architecture());
                        meta.put("backend", rt.backend().id());
                        Safetensors.write(target, Map.of("output", y), meta, force);
                        out.printf("%s on %s: load %.2f s, forward %.3f s -> %s %s%n", d.architecture(), rt.backend().id(),
                                (run - load) / 1e9, (done - run) / 1e9, target, java.util.Arrays.toString(y.shape()));
                    }
                }
            }
        }
        return 0;
    }
}
