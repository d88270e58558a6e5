package dev.kinema.cli;

import dev.kinema.models.Denoiser;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model options convert and forward share: --model, --weights, --motion-adapter,
 * --motion-adapter-weights, --spatial-attention.
 */
final class ModelOptions {
    private ModelOptions() {
    }

    static Path model(String command, CommandLine line) {
        Path model = Path.of(line.required("model"));
        if (!Files.exists(model)) {
            throw new UsageException(command + ": --model " + model + " does not exist");
        }
        return model;
    }

    static Denoiser.Options options(String command, CommandLine line) {
        Denoiser.Options o = Denoiser.Options.defaults();
        if (line.option("weights") != null) {
            o = o.withWeights(Path.of(line.option("weights")));
        }
        if (line.option("spatial-attention") != null) {
            o = o.withSpatialAttention(line.option("spatial-attention"));
        }
        String adapter = line.option("motion-adapter");
        if (adapter == null && line.option("motion-adapter-weights") != null) {
            throw new UsageException(command + ": --motion-adapter-weights needs --motion-adapter");
        }
        if (adapter != null) {
            Path a = Path.of(adapter);
            Path config = Files.isDirectory(a) ? a.resolve("config.json") : a;
            if (!Files.isRegularFile(config)) {
                throw new UsageException(command + ": --motion-adapter " + a + ": expected a MotionAdapter folder "
                        + "(config.json + diffusion_pytorch_model.safetensors) or its config.json");
            }
            String weights = line.option("motion-adapter-weights");
            o = o.withMotionAdapter(config, weights == null ? null : Path.of(weights));
        }
        return o;
    }
}
