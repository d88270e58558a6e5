package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.PreparedOp;
import dev.kinema.Tensor;
import dev.kinema.graph.GraphBuilder;
import dev.kinema.graph.GraphExecutor;
import dev.kinema.graph.MemoryPlan;
import dev.kinema.graph.Profile;
import dev.kinema.graph.Value;
import dev.kinema.models.Denoiser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One denoiser step per architecture at its reference config (benchmarks/configs/ARCH/config.json,
 * seeded random weights via {@link Denoiser#fromConfig}; the configs and shapes are in
 * benchmarks/README.md):
 * <ul>
 *   <li>{@code forward}: {@link Denoiser#forward} on host tensors in diffusers' layout (NCTHW sample in, a new
 *       NCTHW host tensor out): what a sampling loop pays per step;</li>
 *   <li>{@code executorRun}: the same graph's {@link GraphExecutor#run} on channels-last inputs, output left in
 *       place: forward minus this is forward's host-side boundary work (layout changes and host copies);</li>
 *   <li>{@code replicaRun} / {@code replicaDirect}: the executor's own cost with the kernels excluded. An
 *       executor over a graph with the denoiser's node count and its graph inputs (same names and shapes, so the
 *       same checks and copies in), whose nodes are trivial {@code add}/{@code mul} calls on one float (the last
 *       one adds sample to itself to make the output), against the same prepared calls in a bare loop.
 *       replicaRun minus replicaDirect is what the executor adds to a step, as GraphBenchmarks measures it.</li>
 * </ul>
 * {@link #report} adds what JMH does not time: the memory plan and the per-family profile.
 */
@State(Scope.Benchmark)
public class DenoiserBenchmarks {
    /** Fixed weight and input seed. */
    static final long SEED = 20260101L;

    /** A reference config and its input shapes (diffusers layouts). */
    record Reference(String arch, long[] sample, long[] context) {
        Path config() {
            return root().resolve("benchmarks/configs").resolve(arch).resolve("config.json");
        }

        String shape() {
            return "sample " + dims(sample) + ", text " + dims(context);
        }
    }

    static final Map<String, Reference> REFERENCES = Map.of(
            "unet3d", new Reference("unet3d", new long[] {1, 4, 8, 32, 32}, new long[] {1, 16, 256}),
            "animatediff", new Reference("animatediff", new long[] {1, 4, 8, 32, 32}, new long[] {1, 16, 256}),
            "latte", new Reference("latte", new long[] {1, 4, 8, 32, 32}, new long[] {1, 16, 256}));

    @Param({"unet3d", "animatediff", "latte"})
    public String arch;

    private Kinema runtime;
    private Denoiser denoiser;
    private Inputs inputs;
    private GraphExecutor executor;
    private Map<String, Tensor> graphInputs;
    private Replica replica;

    @Setup(Level.Trial)
    public void setUp() {
        runtime = Kinema.open(Backend.CPU);
        runtime.setNumThreads(BenchMain.THREADS);
        Reference ref = REFERENCES.get(arch);
        denoiser = Denoiser.fromConfig(runtime, ref.config(), Denoiser.Options.defaults(), SEED);
        inputs = new Inputs(ref);
        executor = denoiser.graphExecutor(ref.sample(), ref.context());
        graphInputs = inputs.channelsLast(executor);
        int nodes = (int) executor.plan().schedule().stream().filter(n -> !n.isView()).count();
        replica = new Replica(runtime, executor, nodes);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        replica.close();
        graphInputs.values().forEach(Tensor::close);
        inputs.close();
        denoiser.close();
        runtime.close();
    }

    @Benchmark
    public void forward() {
        denoiser.forward(inputs.sample, inputs.timestep, inputs.context).close();
    }

    @Benchmark
    public void executorRun() {
        executor.run(graphInputs, Map.of());
    }

    @Benchmark
    public void replicaRun() {
        replica.executor.run(replica.inputs, Map.of());
    }

    @Benchmark
    public void replicaDirect() {
        for (PreparedOp op : replica.prepared) {
            op.run();
        }
    }

    /** Seeded host inputs in diffusers' layouts. */
    static final class Inputs implements AutoCloseable {
        final Tensor sample, timestep, context;

        Inputs(Reference ref) {
            sample = Tensor.hostFromFloats(Random.floats((int) numel(ref.sample()), SEED, 1f), ref.sample());
            timestep = Tensor.hostFromFloats(new float[] {500f}, 1);
            context = Tensor.hostFromFloats(Random.floats((int) numel(ref.context()), SEED + 1, 1f), ref.context());
        }

        /** Host tensors of the executor's graph input shapes (channels-last sample; values do not matter for speed). */
        Map<String, Tensor> channelsLast(GraphExecutor exec) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            exec.graph().inputs().forEach((name, v) -> m.put(name, name.equals("timestep") ? Tensor.hostFromFloats(
                    new float[] {500f}, v.shape()) : Tensor.hostFromFloats(Random.floats((int) v.numel(), SEED, 1f), v.shape())));
            return m;
        }

        @Override
        public void close() {
            sample.close();
            timestep.close();
            context.close();
        }
    }

    /**
     * An executor with a denoiser graph's inputs and node count whose kernels do next to nothing, and the
     * same prepared calls for a bare loop.
     */
    static final class Replica implements AutoCloseable {
        final GraphExecutor executor;
        final Map<String, Tensor> inputs;
        final List<PreparedOp> prepared = new ArrayList<>();
        private final List<Tensor> owned = new ArrayList<>();

        Replica(Kinema runtime, GraphExecutor denoiser, int nodes) {
            GraphBuilder g = new GraphBuilder();
            Map<String, Value> in = new LinkedHashMap<>();
            denoiser.graph().inputs().forEach((name, v) -> in.put(name, g.input(name, DType.F32, v.shape())));
            Value sample = in.get("sample");
            Value one = g.input("one", DType.F32, 1);
            Value h = one;
            for (int i = 0; i < nodes - 1; i++) {
                h = g.op("n" + i, i % 2 == 0 ? "add" : "mul", Map.of("x", h, "z", one), Map.of());
            }
            g.output("output", g.op("out", "add", Map.of("x", sample, "z", sample), Map.of()));
            executor = new GraphExecutor(g.build(), runtime);
            inputs = new LinkedHashMap<>();
            executor.graph().inputs().forEach((name, v) -> inputs.put(name, own(Tensor.host(DType.F32, v.shape()))));
            Tensor x = own(runtime.allocate(DType.F32, 1)), a = own(runtime.allocate(DType.F32, 1));
            Tensor b = own(runtime.allocate(DType.F32, 1));
            for (int i = 0; i < nodes - 1; i++) {
                prepared.add(runtime.prepare(i % 2 == 0 ? "add" : "mul", Map.of("x", i == 0 ? x : (i % 2 == 1 ? a : b),
                        "z", x), Map.of(), Map.of("y", i % 2 == 0 ? a : b)));
            }
            Tensor s = own(runtime.allocate(DType.F32, sample.shape())), y = own(runtime.allocate(DType.F32, sample.shape()));
            prepared.add(runtime.prepare("add", Map.of("x", s, "z", s), Map.of(), Map.of("y", y)));
        }

        private Tensor own(Tensor t) {
            owned.add(t);
            return t;
        }

        @Override
        public void close() {
            prepared.forEach(PreparedOp::close);
            executor.close();
            owned.forEach(Tensor::close);
        }
    }

    /** What JMH does not time, per architecture: the memory plan and where a step's time goes. */
    record Report(String arch, String shape, int nodes, long peakBytes, long lowerBoundBytes, long weightBytes,
                  Map<String, Double> familyMillis, double kernelMillis, double profiledForwardMillis) {
        double planRatio() {
            return (double) peakBytes / lowerBoundBytes;
        }
    }

    /**
     * Loads arch, plans its graph, and profiles {@code profiles} forwards (after two plain ones), keeping
     * the median time per op family, of the nodes' total, and of the profiled forward's wall time.
     */
    static Report report(String arch, int profiles) {
        Reference ref = REFERENCES.get(arch);
        try (Kinema rt = Kinema.open(Backend.CPU)) {
            rt.setNumThreads(BenchMain.THREADS);
            try (Denoiser d = Denoiser.fromConfig(rt, ref.config(), Denoiser.Options.defaults(), SEED);
                 Inputs in = new Inputs(ref)) {
                MemoryPlan plan = d.plan(ref.sample(), ref.context());
                for (int i = 0; i < 2; i++) {
                    d.forward(in.sample, in.timestep, in.context).close();
                }
                Map<String, List<Double>> families = new LinkedHashMap<>();
                List<Double> kernels = new ArrayList<>(), walls = new ArrayList<>();
                int nodes = 0;
                for (int i = 0; i < profiles; i++) {
                    long start = System.nanoTime();
                    Profile p = d.profile(in.sample, in.timestep, in.context);
                    walls.add((System.nanoTime() - start) / 1e6);
                    kernels.add(p.totalNanos() / 1e6);
                    p.nanosByFamily().forEach((f, ns) -> families.computeIfAbsent(f, k -> new ArrayList<>()).add(ns / 1e6));
                    nodes = p.entries().size();
                }
                Map<String, Double> familyMillis = new LinkedHashMap<>();
                families.entrySet().stream()
                        .map(e -> Map.entry(e.getKey(), median(e.getValue())))
                        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                        .forEach(e -> familyMillis.put(e.getKey(), e.getValue()));
                return new Report(arch, ref.shape(), nodes, plan.peakBytes(), plan.lowerBoundBytes(), d.weightBytes(),
                        familyMillis, median(kernels), median(walls));
            }
        }
    }

    static double median(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        v.sort(Double::compare);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static long numel(long[] shape) {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    private static String dims(long[] shape) {
        return String.join("x", Arrays.stream(shape).mapToObj(Long::toString).toList());
    }

    /**
     * The repository root: -Dkinema.bench.root, else the folder above benchmarks/target/benchmarks.jar,
     * else the working directory.
     */
    public static Path root() {
        String given = System.getProperty("kinema.bench.root");
        if (given != null) {
            return Path.of(given);
        }
        try {
            Path jar = Path.of(DenoiserBenchmarks.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = jar; p != null; p = p.getParent()) {
                if (Files.isDirectory(p.resolve("benchmarks/configs"))) {
                    return p;
                }
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the working directory
        }
        return Path.of("").toAbsolutePath();
    }
}
