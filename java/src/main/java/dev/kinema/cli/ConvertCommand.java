package dev.kinema.cli;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.models.Denoiser;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code kinema convert --model M --out FILE.kinema}: a diffusers checkpoint to a .kinema model file. */
final class ConvertCommand {
    private final CommandLine line;
    private final PrintStream out;

    ConvertCommand(List<String> args, PrintStream out) {
        this.line = new CommandLine("convert", args,
                Set.of("model", "weights", "motion-adapter", "motion-adapter-weights", "spatial-attention", "out"),
                Set.of("force"));
        this.out = out;
    }

    int run() {
        line.noPositional();
        Path model = ModelOptions.model("convert", line);
        Path target = Path.of(line.required("out"));
        boolean force = line.flag("force");
        if (!force && Files.exists(target)) {
            throw new UsageException("convert: output " + target + " already exists (pass --force to replace it)");
        }
        long start = System.nanoTime();
        // The checkpoint is read and checked on the cpu backend: every weight goes through the same
        // loader a forward pass uses, so a file that converts also loads.
        try (Kinema rt = Kinema.open(Backend.CPU);
             Denoiser d = Denoiser.open(rt, model, ModelOptions.options("convert", line))) {
            d.save(target, force);
            out.printf("converted %s (%s, %.1f MB of weights) to %s in %.1f s%n", model, d.architecture(),
                    d.weightBytes() / 1e6, target, (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }
}
