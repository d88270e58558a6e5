package dev.kinema.bench.peers;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.graph.GraphExecutor;
import dev.kinema.models.Denoiser;
import dev.kinema.models.Layouts;
import dev.kinema.render.RenderSettings;
import dev.kinema.render.Renderer;
import dev.kinema.render.TextToVideoModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Kinema's worker in the peer comparison: the cpu backend with the given threads. A step is one run of
 * the denoiser's graph executor on inputs prepared once (channels-last, what the sampler feeds it; the
 * output stays in the graph), which is what every sampling step does. A render is
 * {@link Renderer#render} of the workload's regression prompt with the model's defaults (25 DDIM
 * steps, guidance 4), without writing files; its reply lists the Java heap bytes and the malloc calls
 * (when counted) of the sampling thread in each sampling step, from the progress callback.
 *
 * <pre>
 *   java -cp benchmarks.jar dev.kinema.bench.peers.KinemaWorker ROOT MODELS WORKLOAD THREADS
 * </pre>
 */
public final class KinemaWorker implements WorkerLoop.Model {
    /** The seed of Denoiser.fromConfig's weights when no exported reference weights exist. */
    private static final long FALLBACK_WEIGHT_SEED = 20260101L;

    private final TextToVideoModel textToVideo;
    private final Denoiser denoiser;
    private final PeerWorkload workload;
    private final GraphExecutor executor;
    private final Map<String, Tensor> inputs;

    private KinemaWorker(Kinema runtime, Path root, Path models, PeerWorkload workload) {
        this.workload = workload;
        if (workload.embedded()) {
            textToVideo = TextToVideoModel.open(runtime, root.resolve(workload.source()));
            denoiser = textToVideo.denoiser();
        } else {
            textToVideo = null;
            denoiser = openReference(runtime, root, models, workload);
        }
        executor = denoiser.graphExecutor(workload.sample(), workload.context());
        try (Tensor sampleNcthw = Tensor.hostFromFloats(workload.standardSample(), workload.sample())) {
            inputs = Map.of(
                    "sample", Layouts.toChannelsLast(sampleNcthw, DType.F32),
                    "timestep", Tensor.hostFromFloats(workload.standardTimesteps(), workload.sample()[0]),
                    "encoder_hidden_states", Tensor.hostFromFloats(workload.standardContext(), workload.context()));
        }
    }

    /**
     * A reference workload's denoiser: the weights export_onnx.py wrote (the peers' numbers) when they
     * are there, else Denoiser.fromConfig's seeded ones (said on stderr).
     */
    public static Denoiser openReference(Kinema runtime, Path root, Path models, PeerWorkload workload) {
        Path folder = workload.denoiserFolder(root, models);
        if (folder != null) {
            return Denoiser.open(runtime, folder);
        }
        System.err.println("kinema: no exported weights in " + models.resolve(workload.name())
                + "; using Denoiser.fromConfig's seeded weights (the peers would run other numbers)");
        return Denoiser.fromConfig(runtime, root.resolve(workload.source()).resolve("config.json"),
                Denoiser.Options.defaults(), FALLBACK_WEIGHT_SEED);
    }

    @Override
    public void step() {
        executor.run(inputs, Map.of());
    }

    @Override
    public float[] output() {
        try (Tensor host = executor.result("output").toHost(); Tensor ncthw = Layouts.toChannelsFirst(host)) {
            return ncthw.toFloats();
        }
    }

    @Override
    public Map<String, Object> render() {
        if (textToVideo == null) {
            throw new UnsupportedOperationException("workload " + workload.name() + " has no render (not an embedded model)");
        }
        RenderSettings settings = RenderSettings.defaults(textToVideo, workload.renderPrompt()).withSeed(workload.renderSeed());
        ProcessMemory memory = new ProcessMemory();
        List<Long> bytesPerStep = new ArrayList<>(settings.steps()), mallocsPerStep = new ArrayList<>(settings.steps());
        // read between steps, so the callback's own allocations (the boxed entries) fall outside
        long[] last = {memory.threadAllocatedBytes(), memory.threadAllocationCount()};
        new Renderer(textToVideo).render(settings, (done, total, seconds) -> {
            long bytes = memory.threadAllocatedBytes(), mallocs = memory.threadAllocationCount();
            bytesPerStep.add(bytes - last[0]);
            mallocsPerStep.add(mallocs < 0 ? -1 : mallocs - last[1]);
            last[1] = memory.threadAllocationCount();
            last[0] = memory.threadAllocatedBytes();
        }, null);
        return Map.of("steps", settings.steps(), "step_java_bytes", bytesPerStep, "step_malloc_calls", mallocsPerStep);
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: KinemaWorker ROOT MODELS WORKLOAD THREADS");
            System.exit(2);
        }
        long start = System.nanoTime();
        Kinema runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(Integer.parseInt(args[3]));
        KinemaWorker worker = new KinemaWorker(runtime, Path.of(args[0]), Path.of(args[1]), PeerWorkload.named(args[2]));
        WorkerLoop.serve("kinema", "cpu backend", (System.nanoTime() - start) / 1e9, worker);
    }
}
