package dev.kinema.models;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.MemoryBudget;
import dev.kinema.Tensor;
import dev.kinema.graph.GraphBuilder;
import dev.kinema.graph.GraphExecutor;
import dev.kinema.graph.MemoryPlan;
import dev.kinema.graph.MemoryPlanner;
import dev.kinema.graph.Profile;
import dev.kinema.graph.Value;
import dev.kinema.internal.ExclusiveUse;
import dev.kinema.modelfile.GraphSnapshot;
import dev.kinema.modelfile.ModelFile;
import dev.kinema.modelfile.ModelFileException;
import dev.kinema.modelfile.ModelFileWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A video denoiser loaded from a diffusers model folder (config.json + safetensors, sharded or not)
 * and run on one {@link Kinema} runtime. {@link #forward} takes diffusers' own inputs: {@code sample}
 * in diffusers' layout (NCTHW for the U-Nets), {@code timestep} ([B] or one value for the whole
 * batch) and {@code encoder_hidden_states} [B, L, D]; it returns {@code output} in sample's layout.
 *
 * <p>Weights are uploaded once when the model is opened (a checkpoint that does not fit the config is
 * refused then, with every missing, unexpected and mis-shaped key in one report). A graph is planned
 * per input shape and kept, so a sampling loop replays the same plan every step. One call at a time:
 * a call (or close) from a second thread while one runs is refused with ConcurrentUseException; use
 * one Denoiser per thread.
 */
public final class Denoiser implements AutoCloseable {
    /** Graphs kept per model (one per distinct input shape). */
    private static final int MAX_CACHED_GRAPHS = 4;

    private final Kinema runtime;
    private final Architecture architecture;
    private final Weights weights;
    private final Map<String, String> configs;
    private final String spatialAttention;
    private final Map<List<Long>, GraphExecutor> graphs = new LinkedHashMap<>(8, 0.75f, true);
    private final ExclusiveUse use = new ExclusiveUse("Denoiser");
    private boolean closed;

    /** What a denoiser class contributes: its config checks, inputs and graph. */
    interface Architecture {
        String className();

        /** Checks sample / encoder_hidden_states shapes (diffusers layout) before anything runs. */
        void checkInputs(long[] sample, long[] context);

        /** The channels-last graph input shape of a diffusers-layout sample. */
        long[] graphSampleShape(long[] sample);

        /** Builds the graph body: channels-last sample, timestep [B], context -> channels-last output. */
        Value build(Blocks blocks, Value sample, Value timestep, Value context);

        /** A small valid (sample, context) shape pair, to load and check every weight at open. */
        long[][] probeShapes();

        /** The (sample, context) shapes whose graph a model file stores: probeShapes with 2 frames. */
        default long[][] referenceShapes() {
            long[][] p = probeShapes();
            p[0][2] = 2;
            return p;
        }

        /** Keys the checkpoint may hold that the forward pass does not read. */
        default boolean ignorable(String key) {
            return false;
        }
    }

    private Denoiser(Kinema runtime, Architecture architecture, Weights weights, Map<String, String> configs,
                     String spatialAttention) {
        this.runtime = runtime;
        this.architecture = architecture;
        this.weights = weights;
        this.configs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(configs));
        this.spatialAttention = spatialAttention;
    }

    /** Opens the model in folder (config.json and diffusion_pytorch_model.safetensors or its index). */
    public static Denoiser open(Kinema runtime, Path folder) {
        return open(runtime, folder, Options.defaults());
    }

    /**
     * Opens a model: a .kinema file (written by {@link #save} or {@code ./kinema convert}), a diffusers
     * model folder (config.json and diffusion_pytorch_model.safetensors or its index), or a
     * config.json whose checkpoint is in its folder or given by {@link Options#withWeights}.
     */
    public static Denoiser open(Kinema runtime, Path path, Options options) {
        if (runtime == null) {
            throw new InvalidArgumentException("Denoiser.open", "runtime", "an open Kinema runtime", "null");
        }
        if (options == null) {
            throw new InvalidArgumentException("Denoiser.open", "options", "Options (Options.defaults())", "null");
        }
        if (ModelFiles.isModelFile(path)) {
            return openModelFile(runtime, path, options);
        }
        Path configFile = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.isRegularFile(configFile)) {
            throw new InvalidArgumentException("Denoiser.open", "path",
                    "a .kinema file, a model folder with config.json, or a config.json", path + " (no such file)");
        }
        ConfigReader config = ConfigReader.read(configFile);
        ConfigReader adapter = options.motionAdapterConfig() == null ? null : ConfigReader.read(options.motionAdapterConfig());
        Architecture arch = architecture(config, adapter, options.spatialAttention());
        List<Path> files = new java.util.ArrayList<>();
        files.add(options.weights() != null ? options.weights() : configFile.toAbsolutePath().getParent());
        if (adapter != null) {
            files.add(options.motionAdapterWeights() != null ? options.motionAdapterWeights()
                    : options.motionAdapterConfig().toAbsolutePath().getParent());
        }
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("model", config.text());
        if (adapter != null) {
            configs.put("motion_adapter", adapter.text());
        }
        try (Checkpoint checkpoint = Checkpoint.open(files)) {
            return load(runtime, arch, checkpoint, configs, options.spatialAttention(), null);
        }
    }

    /**
     * A model built from its config.json alone with seeded random weights (std 1/sqrt(fan_in)): for
     * benchmarks and smoke tests at real sizes without a checkpoint. options as for open (its weights
     * paths are ignored; a UNet2DConditionModel still needs withMotionAdapter's config).
     */
    public static Denoiser fromConfig(Kinema runtime, Path configJson, Options options, long seed) {
        if (runtime == null) {
            throw new InvalidArgumentException("Denoiser.fromConfig", "runtime", "an open Kinema runtime", "null");
        }
        ConfigReader config = ConfigReader.read(configJson);
        ConfigReader adapter = options.motionAdapterConfig() == null ? null : ConfigReader.read(options.motionAdapterConfig());
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("model", config.text());
        if (adapter != null) {
            configs.put("motion_adapter", adapter.text());
        }
        try (RandomWeights weights = new RandomWeights(seed)) {
            return load(runtime, architecture(config, adapter, options.spatialAttention()), weights, configs,
                    options.spatialAttention(), null);
        }
    }

    private static Denoiser openModelFile(Kinema runtime, Path path, Options options) {
        try (ModelFile file = ModelFile.open(path)) {
            ConfigReader config = ConfigReader.parse(path + " (model config)", file.configs().get("model"));
            String adapterJson = file.configs().get("motion_adapter");
            ConfigReader adapter = adapterJson == null ? null : ConfigReader.parse(path + " (motion adapter config)", adapterJson);
            String stored = file.options().getOrDefault("spatial_attention", "per_frame");
            String spatial = options.spatialAttention().equals("per_frame") ? stored : options.spatialAttention();
            Architecture arch = architecture(config, adapter, spatial);
            if (!arch.className().equals(file.architecture())) {
                throw new ModelFileException(path, "architecture", arch.className() + " (what its config builds)",
                        file.architecture());
            }
            try (ModelFileWeights weights = new ModelFileWeights(file)) {
                return load(runtime, arch, weights, file.configs(), spatial, spatial.equals(stored) ? file.graph() : null);
            }
        }
    }

    /** Uploads every weight (through a probe graph), verifies the source, checks a stored graph. */
    private static Denoiser load(Kinema runtime, Architecture arch, WeightSource source, Map<String, String> configs,
                                 String spatialAttention, GraphSnapshot storedGraph) {
        checkWeightsFit(runtime, source);
        Weights weights = new Weights(runtime, DType.F32, source);
        Denoiser d = new Denoiser(runtime, arch, weights, configs, spatialAttention);
        try {
            long[][] probe = arch.probeShapes();
            d.buildGraph(probe[0], probe[1]);  // takes every weight once
            for (String key : source.keys()) {
                if (arch.ignorable(key)) {
                    source.ignore(key);
                }
            }
            source.verify();
            if (storedGraph != null) {
                ModelFiles.checkGraph(source.source(), storedGraph, d.snapshot(storedGraph.sampleShape(),
                        storedGraph.contextShape()));
            }
            weights.detachCheckpoint();
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /**
     * A checkpoint or model file whose weights, as the f32 tensors the runtime holds, would not fit the
     * host memory available (cpu and cuda-emu keep them in host memory) is refused before any is
     * uploaded, with MemoryLimitException stating both sizes.
     */
    private static void checkWeightsFit(Kinema runtime, WeightSource source) {
        if (!(source instanceof TrackedWeights stored)
                || (runtime.backend() != Backend.CPU && runtime.backend() != Backend.CUDA_EMU)) {
            return;  // random weights are sized by the graph; a GPU's weights live in device memory
        }
        long elements = 0;
        for (String key : source.keys()) {
            long[] shape = stored.storedShape(key);
            long n = 1;
            for (long d : shape == null ? new long[0] : shape) {
                n = Math.multiplyHigh(n, d) != 0 ? Long.MAX_VALUE / 8 : n * d;
            }
            elements = Math.min(Long.MAX_VALUE / 8, elements + n);
        }
        MemoryBudget.require("Denoiser.open: " + source.source(), elements * Float.BYTES,
                "f32 weights, " + elements + " parameters");
    }

    /**
     * Writes this model as a .kinema file: its configs, its graph at a reference shape, and its
     * weights (aligned, little-endian, mappable). An existing file is replaced only when overwrite.
     */
    public void save(Path out, boolean overwrite) {
        ensureOpen();
        long[][] ref = architecture.referenceShapes();
        GraphSnapshot graph = snapshot(ref[0], ref[1]);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try {
            for (String key : weights.sourceKeys()) {
                tensors.put(key, weights.loaded(key).toHost());
            }
            ModelFileWriter.write(out, architecture.className(), Map.of("spatial_attention", spatialAttention), configs,
                    graph, tensors, overwrite);
        } finally {
            tensors.values().forEach(Tensor::close);
        }
    }

    /** The graph for these input shapes (diffusers layouts) as the node records a model file stores. */
    GraphSnapshot snapshot(long[] sample, long[] context) {
        architecture.checkInputs(sample, context);
        return ModelFiles.snapshot(sample, context, buildGraph(sample, context).build());
    }

    private static Architecture architecture(ConfigReader config, ConfigReader adapter, String spatialAttention) {
        String name = config.string("_class_name", null);
        if (Unet3dConfig.CLASS_NAME.equals(name)) {
            return new Unet3dArchitecture(Unet3dConfig.read(config), spatialAttention);
        }
        if (LatteConfig.CLASS_NAME.equals(name)) {
            return new LatteArchitecture(LatteConfig.read(config));
        }
        if (MotionUnetConfig.CLASS_NAME.equals(name)) {
            return new MotionUnetArchitecture(MotionUnetConfig.read(config), spatialAttention);
        }
        if (MotionUnetConfig.UNET2D_CLASS_NAME.equals(name)) {
            if (adapter == null) {
                throw new ModelConfigException(config.source(), "_class_name",
                        "a video model; a UNet2DConditionModel runs with a MotionAdapter (Options.withMotionAdapter)",
                        "\"" + name + "\" without an adapter");
            }
            String adapterName = adapter.string("_class_name", null);
            adapter.require(MotionUnetConfig.ADAPTER_CLASS_NAME.equals(adapterName), "_class_name",
                    "\"" + MotionUnetConfig.ADAPTER_CLASS_NAME + "\"", adapterName);
            return new MotionUnetArchitecture(MotionUnetConfig.fromUnet2d(config, adapter), spatialAttention);
        }
        throw new ModelConfigException(config.source(), "_class_name", "one of " + String.join(", ",
                Unet3dConfig.CLASS_NAME, LatteConfig.CLASS_NAME, MotionUnetConfig.CLASS_NAME,
                MotionUnetConfig.UNET2D_CLASS_NAME + " (with a MotionAdapter)"),
                name == null ? "no _class_name" : "\"" + name + "\"");
    }

    /** The runtime the weights live on and the forwards run on. */
    public Kinema runtime() {
        return runtime;
    }

    /** The diffusers class this denoiser is, e.g. UNet3DConditionModel. */
    public String architecture() {
        return architecture.className();
    }

    /** Bytes of weights on the runtime. */
    public long weightBytes() {
        return weights.bytes();
    }

    /**
     * One forward pass. inputs: sample, timestep, encoder_hidden_states (host or device tensors, f32),
     * in diffusers' layouts; returns a new host tensor `output` with sample's shape.
     */
    public Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates) {
        try (ExclusiveUse.Held held = use.enter("forward")) {
            return forwardAlone(sample, timestep, encoderHiddenStates);
        }
    }

    private Tensor forwardAlone(Tensor sample, Tensor timestep, Tensor encoderHiddenStates) {
        GraphExecutor exec = checkedExecutor(sample, timestep, encoderHiddenStates);
        try (Tensor x = Layouts.toChannelsLast(sample, DType.F32);
             Tensor t = timesteps(timestep, sample.dim(0));
             Tensor ehs = Tensor.hostFromFloats(DType.F32, encoderHiddenStates.toFloats(), encoderHiddenStates.shape())) {
            exec.run(Map.of("sample", x, "timestep", t, "encoder_hidden_states", ehs), Map.of());
            try (Tensor out = exec.result("output").toHost()) {
                return Layouts.toChannelsFirst(out);
            }
        }
    }

    /**
     * One forward pass like {@link #forward} with every node timed ({@link GraphExecutor#profile}: the
     * runtime synchronized around each node); the output is left in the graph. For finding where a
     * step's time goes, per node and per op family.
     */
    public Profile profile(Tensor sample, Tensor timestep, Tensor encoderHiddenStates) {
        try (ExclusiveUse.Held held = use.enter("profile")) {
            GraphExecutor exec = checkedExecutor(sample, timestep, encoderHiddenStates);
            try (Tensor x = Layouts.toChannelsLast(sample, DType.F32);
                 Tensor t = timesteps(timestep, sample.dim(0));
                 Tensor ehs = Tensor.hostFromFloats(DType.F32, encoderHiddenStates.toFloats(), encoderHiddenStates.shape())) {
                return exec.profile(Map.of("sample", x, "timestep", t, "encoder_hidden_states", ehs), Map.of());
            }
        }
    }

    /**
     * The executor running this model's graph for these input shapes (diffusers layouts), planned if
     * new and kept like forward's. Its inputs are sample channels-last [B, T, H, W, C] (what forward
     * makes of NCTHW on the host), timestep [B] and encoder_hidden_states [B, L, D]; its output
     * "output" is channels-last too. For driving the graph directly (device tensors, no host layout
     * change, benchmarks). Owned by this denoiser: do not close it; it may be closed when more than a
     * few shapes are in use.
     */
    public GraphExecutor graphExecutor(long[] sampleShape, long[] contextShape) {
        try (ExclusiveUse.Held held = use.enter("graphExecutor")) {
            ensureOpen();
            architecture.checkInputs(sampleShape, contextShape);
            return executor(sampleShape, contextShape);
        }
    }

    /** forward's argument checks; returns the executor for the inputs' shapes. */
    private GraphExecutor checkedExecutor(Tensor sample, Tensor timestep, Tensor encoderHiddenStates) {
        ensureOpen();
        check("sample", sample, 5);
        check("encoder_hidden_states", encoderHiddenStates, 3);
        if (timestep == null || timestep.isClosed()) {
            throw new InvalidArgumentException("Denoiser.forward", "timestep", "an open tensor", String.valueOf(timestep));
        }
        long batch = sample.dim(0);
        if (encoderHiddenStates.dim(0) != batch) {
            throw new InvalidArgumentException("Denoiser.forward", "encoder_hidden_states",
                    "batch " + batch + " like sample", Arrays.toString(encoderHiddenStates.shape()));
        }
        architecture.checkInputs(sample.shape(), encoderHiddenStates.shape());
        return executor(sample.shape(), encoderHiddenStates.shape());
    }

    /**
     * Checks that this model takes inputs of these shapes (diffusers layouts: sample [B, C, F, H, W],
     * encoder_hidden_states [B, L, D]) without building or running anything; throws
     * InvalidArgumentException naming the input otherwise.
     */
    public void checkInputs(long[] sampleShape, long[] contextShape) {
        ensureOpen();
        architecture.checkInputs(sampleShape, contextShape);
    }

    /**
     * Bytes of the activation arena a forward at these input shapes needs (the memory plan's peak),
     * without allocating it: from the kept executor when there is one, else from a plan of a freshly
     * built graph. For checking a request against the memory available before running it.
     */
    public long activationBytes(long[] sampleShape, long[] contextShape) {
        try (ExclusiveUse.Held held = use.enter("activationBytes")) {
            ensureOpen();
            architecture.checkInputs(sampleShape, contextShape);
            GraphExecutor kept = graphs.get(key(sampleShape, contextShape));
            return kept != null ? kept.plan().peakBytes()
                    : MemoryPlanner.plan(buildGraph(sampleShape, contextShape).build()).peakBytes();
        }
    }

    /** The memory plan of the graph for these input shapes (planning it if new). */
    public MemoryPlan plan(long[] sampleShape, long[] contextShape) {
        return graphExecutor(sampleShape, contextShape).plan();
    }

    private static List<Long> key(long[] sample, long[] context) {
        List<Long> key = new java.util.ArrayList<>();
        for (long s : sample) {
            key.add(s);
        }
        for (long s : context) {
            key.add(s);
        }
        return key;
    }

    private GraphExecutor executor(long[] sample, long[] context) {
        List<Long> key = key(sample, context);
        GraphExecutor exec = graphs.get(key);
        if (exec == null) {
            exec = new GraphExecutor(buildGraph(sample, context).build(), runtime);
            graphs.put(key, exec);
            if (graphs.size() > MAX_CACHED_GRAPHS) {
                var eldest = graphs.entrySet().iterator().next();
                eldest.getValue().close();
                graphs.remove(eldest.getKey());
            }
        }
        return exec;
    }

    private GraphBuilder buildGraph(long[] sample, long[] context) {
        GraphBuilder g = new GraphBuilder();
        Blocks blocks = new Blocks(g, weights);
        Value x = g.input("sample", DType.F32, architecture.graphSampleShape(sample));
        Value t = g.input("timestep", DType.F32, sample[0]);
        Value c = g.input("encoder_hidden_states", DType.F32, context);
        g.output("output", architecture.build(blocks, x, t, c));
        return g;
    }

    private static Tensor timesteps(Tensor timestep, long batch) {
        float[] v = timestep.toFloats();
        if (v.length != 1 && v.length != batch) {
            throw new InvalidArgumentException("Denoiser.forward", "timestep", "one value or " + batch + " (the batch)",
                    Arrays.toString(timestep.shape()));
        }
        float[] t = new float[(int) batch];
        for (int i = 0; i < batch; i++) {
            t[i] = v[v.length == 1 ? 0 : i];
        }
        return Tensor.hostFromFloats(DType.F32, t, batch);
    }

    private static void check(String name, Tensor t, int rank) {
        if (t == null || t.isClosed()) {
            throw new InvalidArgumentException("Denoiser.forward", name, "an open tensor", String.valueOf(t));
        }
        if (t.rank() != rank) {
            throw new InvalidArgumentException("Denoiser.forward", name, "rank " + rank, Arrays.toString(t.shape()));
        }
        if (t.dtype() != DType.F32) {
            throw new InvalidArgumentException("Denoiser.forward", name, "f32", t.dtype().id());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("denoiser is closed");
        }
    }

    @Override
    public void close() {
        try (ExclusiveUse.Held held = use.enter("close")) {
            if (!closed) {
                closed = true;
                graphs.values().forEach(GraphExecutor::close);
                graphs.clear();
                weights.close();
            }
        }
    }

    /**
     * Load-time choices. spatialAttention picks what each spatial self-attention of a U-Net attends
     * to: "per_frame" (the checkpoint's own behaviour), "first" (Text2Video-Zero), "sparse_causal"
     * (Tune-A-Video) or "all" (ControlVideo). weights overrides the checkpoint location.
     */
    public record Options(String spatialAttention, Path weights, Path motionAdapterConfig, Path motionAdapterWeights) {
        public static Options defaults() {
            return new Options("per_frame", null, null, null);
        }

        public Options withSpatialAttention(String mode) {
            return new Options(mode, weights, motionAdapterConfig, motionAdapterWeights);
        }

        /** The checkpoint: a .safetensors file, its .index.json, or a folder holding one. */
        public Options withWeights(Path checkpoint) {
            return new Options(spatialAttention, checkpoint, motionAdapterConfig, motionAdapterWeights);
        }

        /**
         * AnimateDiff: the MotionAdapter (its config.json, and its checkpoint, or null for the
         * config's folder) whose motion modules go into a UNet2DConditionModel.
         */
        public Options withMotionAdapter(Path config, Path checkpoint) {
            return new Options(spatialAttention, weights, config, checkpoint);
        }
    }
}
