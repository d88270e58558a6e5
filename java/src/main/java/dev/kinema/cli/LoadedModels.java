package dev.kinema.cli;

import dev.kinema.Kinema;
import dev.kinema.render.Renderer;
import dev.kinema.render.TextToVideoModel;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** The pipeline folders one render or check command uses, each opened once (by path as given), with its Renderer. */
final class LoadedModels implements AutoCloseable {
    private final Kinema runtime;
    private final PrintStream err;
    private final Map<String, Renderer> renderers = new LinkedHashMap<>();

    LoadedModels(Kinema runtime, PrintStream err) {
        this.runtime = runtime;
        this.err = err;
    }

    /** The renderer of the model at path (resolved by {@link RenderCommand#resolveModel}), opening it on first use. */
    Renderer renderer(String path) {
        Renderer r = renderers.get(path);
        if (r == null) {
            long start = System.nanoTime();
            TextToVideoModel model = TextToVideoModel.open(runtime, RenderCommand.resolveModel(path));
            r = new Renderer(model);
            renderers.put(path, r);
            err.printf("loaded %s (%s) in %.2f s%n", path, model.denoiser().architecture(), (System.nanoTime() - start) / 1e9);
        }
        return r;
    }

    @Override
    public void close() {
        renderers.values().forEach(r -> r.model().close());
    }
}
