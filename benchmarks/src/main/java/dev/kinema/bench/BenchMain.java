package dev.kinema.bench;

import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.annotations.Mode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * `./kinema bench`: with no sub-command, the peer comparison ({@link dev.kinema.bench.peers.PeersBench}:
 * Kinema, PyTorch and ONNX Runtime on the same weights, one JSON line last). {@code kernels} runs the JMH
 * suite on the cpu backend with {@link #THREADS} threads, then the PyTorch peer
 * (benchmarks/peers/torch_ops.py) at the same shapes and thread count when Debian's python3-torch is
 * installed, and prints one Markdown table of medians (over JMH iterations) and ratios, all from this
 * one run. {@code scaling}: {@link AttentionScaling}; {@code profile}: {@link StepProfile}.
 *
 * <pre>
 *   ./kinema bench kernels                 full JMH run (about 20 minutes)
 *   ./kinema bench kernels --quick         fewer, shorter iterations
 *   ./kinema bench kernels --no-peer       skip PyTorch
 *   ./kinema bench REGEX                   only benchmarks matching REGEX (JMH include syntax)
 *   ./kinema bench DenoiserBenchmarks      only the denoiser steps, then their plan / profile table
 * </pre>
 * Benchmarks with an {@code arch} parameter are named {@code method:arch}; when any ran, the denoiser
 * table ({@link DenoiserReport}) follows, with the PyTorch peer peers/torch_denoisers.py.
 */
public final class BenchMain {
    /** The thread count of every measurement, ours and the peer's. */
    static final int THREADS = Integer.getInteger("kinema.bench.threads", 2);
    /** This machine's practical fp32 peak (OpenBLAS sgemm with its SkylakeX kernels, 2 cores). */
    static final double PRACTICAL_PEAK_GFLOPS = 220;

    private BenchMain() {
    }

    /**
     * Dispatches: no sub-command (or only peer options) runs the peer comparison; {@code kernels} the JMH
     * suite below; {@code scaling} the attention scaling plot; {@code profile} the per-op profile. A first
     * argument that is none of these and no option is a JMH include pattern, as before.
     */
    public static void main(String[] args) throws Exception {
        String first = args.length == 0 ? "" : args[0];
        String[] rest = args.length == 0 ? args : java.util.Arrays.copyOfRange(args, 1, args.length);
        switch (first) {
            case "kernels" -> kernels(rest);
            case "scaling" -> AttentionScaling.main(rest);
            case "profile" -> StepProfile.main(rest);
            case "-h", "--help" -> {
                System.out.println("usage: ./kinema bench [--quick] [--rounds N] [--renders N] [--workloads a,b] [--systems ...]");
                System.out.println("       ./kinema bench kernels [--quick] [--no-peer] [REGEX...]");
                System.out.println("       ./kinema bench scaling [--quick] [--modes a,b] [--frames 8,16,32] [--png PATH]");
                System.out.println("       ./kinema bench profile [--workloads a,b] [--runs N]");
                System.out.println("       ./kinema bench REGEX...   (JMH include patterns, same as kernels REGEX...)");
            }
            default -> {
                if (first.isEmpty() || first.startsWith("-")) {
                    dev.kinema.bench.peers.PeersBench.main(args);
                } else {
                    kernels(args);
                }
            }
        }
    }

    /** The JMH suite, then the PyTorch peer at the same shapes; one Markdown table. */
    static void kernels(String[] args) throws RunnerException, IOException, InterruptedException {
        boolean quick = false, peer = true;
        List<String> includes = new ArrayList<>();
        for (String arg : args) {
            switch (arg) {
                case "--quick" -> quick = true;
                case "--no-peer" -> peer = false;
                case "-h", "--help" -> {
                    System.out.println("usage: ./kinema bench kernels [--quick] [--no-peer] [REGEX...]");
                    return;
                }
                default -> {
                    if (arg.startsWith("-")) {
                        System.err.println("kinema bench: unknown option " + arg + " (try --help)");
                        System.exit(2);
                    }
                    includes.add(arg);
                }
            }
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.MICROSECONDS)
                .forks(1)
                .warmupIterations(quick ? 2 : 3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 3 : 7)
                .measurementTime(TimeValue.seconds(quick ? 1 : 2))
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED", "-Dkinema.bench.threads=" + THREADS)
                .shouldFailOnError(true);
        if (includes.isEmpty()) {
            options.include(BenchMain.class.getPackageName() + ".*Benchmarks");
        } else {
            includes.forEach(options::include);
        }
        Collection<RunResult> results = new Runner(options.build()).run();

        Map<String, Double> ours = new LinkedHashMap<>(); // benchmark method -> median seconds
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.') + 1);
            String arch = result.getParams().getParam("arch");
            ours.put(arch == null ? name : name + ":" + arch, medianSeconds(result));
        }
        List<String> peerOps = ours.keySet().stream().map(BenchMain::peerOf).filter(op -> op != null).distinct().toList();
        List<String> archs = ours.keySet().stream().filter(n -> n.contains(":")).map(n -> n.substring(n.indexOf(':') + 1))
                .distinct().toList();
        List<String> kernelOps = peerOps.stream().filter(op -> !op.startsWith("denoiser_")).toList();
        Map<String, Double> torch = new LinkedHashMap<>();
        if (peer && !kernelOps.isEmpty()) {
            torch.putAll(runTorchPeer("torch_ops.py", "--ops", String.join(",", kernelOps)));
        }
        if (peer && !archs.isEmpty()) {
            torch.putAll(runTorchPeer("torch_denoisers.py", "--archs", String.join(",", archs), "--root",
                    DenoiserBenchmarks.root().toString()));
        }
        System.out.println();
        System.out.println(table(ours, torch));
        if (!archs.isEmpty()) {
            System.out.println(DenoiserReport.table(archs, ours, torch, quick ? 3 : 5));
        }
    }

    /** The median of the per-iteration average times, in seconds. */
    private static double medianSeconds(RunResult result) {
        List<Double> scores = new ArrayList<>();
        for (var benchmark : result.getBenchmarkResults()) {
            for (IterationResult iteration : benchmark.getIterationResults()) {
                scores.add(iteration.getPrimaryResult().getScore());
            }
        }
        scores.sort(Double::compare);
        int n = scores.size();
        double median = n % 2 == 1 ? scores.get(n / 2) : (scores.get(n / 2 - 1) + scores.get(n / 2)) / 2;
        return median * 1e-6; // microseconds -> seconds
    }

    static String table(Map<String, Double> ours, Map<String, Double> torch) {
        StringBuilder out = new StringBuilder();
        out.append("Kinema cpu backend, ").append(THREADS).append(" threads; medians over JMH iterations; ")
                .append(torch.isEmpty() ? "PyTorch peer skipped" : "PyTorch with the same threads in the same run")
                .append("\n\n");
        out.append("| benchmark | shape | kinema | rate | vs. reference | PyTorch | kinema speed-up |\n");
        out.append("|---|---|---|---|---|---|---|\n");
        Double copy = ours.get("copy");
        for (Map.Entry<String, Double> e : ours.entrySet()) {
            String name = e.getKey();
            double seconds = e.getValue();
            String shape = "", rate = "", reference = "", peerName = peerOf(name);
            switch (name) {
                case "convSpatial" -> {
                    shape = "1x16x32x32, 128->128, 1x3x3";
                    double gflops = ConvBenchmarks.SPATIAL_FLOPS / seconds / 1e9;
                    rate = String.format("%.1f GFLOP/s, %.1f GB/s", gflops, ConvBenchmarks.SPATIAL_BYTES / seconds / 1e9);
                    reference = String.format("%.0f%% of %.0f GFLOP/s", 100 * gflops / PRACTICAL_PEAK_GFLOPS, PRACTICAL_PEAK_GFLOPS);
                }
                case "convTemporal" -> {
                    shape = "1x16x32x32, 128->128, 3x1x1";
                    double gflops = ConvBenchmarks.TEMPORAL_FLOPS / seconds / 1e9;
                    rate = String.format("%.1f GFLOP/s, %.1f GB/s", gflops, ConvBenchmarks.TEMPORAL_BYTES / seconds / 1e9);
                    reference = String.format("%.0f%% of %.0f GFLOP/s", 100 * gflops / PRACTICAL_PEAK_GFLOPS, PRACTICAL_PEAK_GFLOPS);
                }
                case "ddimStep" -> {
                    shape = "64 Mi elements, guidance";
                    double gbps = DdimBenchmarks.DDIM_BYTES / seconds / 1e9;
                    rate = String.format("%.1f GB/s", gbps);
                    if (copy != null) {
                        double copyGbps = DdimBenchmarks.COPY_BYTES / copy / 1e9;
                        reference = String.format("%.0f%% of copy bandwidth", 100 * gbps / copyGbps);
                    }
                }
                case "copy" -> {
                    shape = "64 Mi floats";
                    rate = String.format("%.1f GB/s", DdimBenchmarks.COPY_BYTES / seconds / 1e9);
                    reference = "memory bandwidth reference";
                }
                case "temporalAttention" -> {
                    shape = "1x16x32x32, 8 heads x 40, all frames";
                    double gbps = TemporalAttentionBenchmarks.BYTES / seconds / 1e9;
                    rate = String.format("%.1f GFLOP/s, %.1f GB/s", TemporalAttentionBenchmarks.FLOPS / seconds / 1e9, gbps);
                    reference = copyShare(gbps, copy);
                }
                case "groupNorm", "layerNorm" -> {
                    shape = name.equals("groupNorm") ? "1x16x32x32x320, 32 groups, SiLU" : "1x16x32x32x320, gamma, beta";
                    double gbps = NormBenchmarks.BYTES / seconds / 1e9;
                    rate = String.format("%.1f GB/s", gbps);
                    reference = copyShare(gbps, copy);
                }
                case "linear", "conv3d" -> {
                    boolean conv = name.equals("conv3d");
                    shape = conv ? "1x16x32x32, 320->320, 3x3x3" : "16384x320 @ 320x320, bias";
                    double gflops = (conv ? LinearBenchmarks.CONV3D_FLOPS : LinearBenchmarks.LINEAR_FLOPS) / seconds / 1e9;
                    rate = String.format("%.1f GFLOP/s", gflops);
                    reference = String.format("%.0f%% of %.0f GFLOP/s", 100 * gflops / PRACTICAL_PEAK_GFLOPS, PRACTICAL_PEAK_GFLOPS);
                }
                case "attentionSame", "attentionAll", "attentionContext" -> {
                    // FLOPs: 4 * Nq * Nk * D per (frame, head), q k^T and p v (AttentionBenchmarks.flops).
                    double flops = switch (name) {
                        case "attentionSame" -> AttentionBenchmarks.SAME_FLOPS;
                        case "attentionAll" -> AttentionBenchmarks.ALL_FLOPS;
                        default -> AttentionBenchmarks.CONTEXT_FLOPS;
                    };
                    shape = switch (name) {
                        case "attentionSame" -> "1x16 frames x 1024 tokens, 8 heads x 40, kv_frames=same";
                        case "attentionAll" -> "1x16 frames x 1024 tokens, 8 heads x 40, kv_frames=all (16384 keys)";
                        default -> "1x16 frames x 1024 tokens, 8 heads x 40, kv_frames=context, L=77";
                    };
                    double gflops = flops / seconds / 1e9;
                    rate = String.format("%.1f GFLOP/s", gflops);
                    reference = String.format("%.0f%% of %.0f GFLOP/s", 100 * gflops / PRACTICAL_PEAK_GFLOPS, PRACTICAL_PEAK_GFLOPS);
                }
                case "add", "silu" -> {
                    boolean add = name.equals("add");
                    shape = add ? "64 Mi elements, x + z" : "64 Mi elements";
                    double gbps = (add ? ElementwiseBenchmarks.ADD_BYTES : ElementwiseBenchmarks.SILU_BYTES) / seconds / 1e9;
                    rate = String.format("%.1f GB/s", gbps);
                    reference = copyShare(gbps, copy);
                }
                case "upsampleNearest", "upsampleNearestRaw", "patchify", "patchifyRaw" -> {
                    boolean up = name.startsWith("upsample");
                    boolean raw = name.endsWith("Raw");
                    shape = (up ? "1x16x32x32x320 -> 64x64" : "1x16x32x32x320, p=2")
                            + (raw ? ", raw binding, y preallocated" : ", typed API, y allocated per call");
                    double gbps = (up ? ResampleBenchmarks.UPSAMPLE_BYTES : ResampleBenchmarks.PATCHIFY_BYTES) / seconds / 1e9;
                    rate = String.format("%.1f GB/s", gbps);
                    reference = copyShare(gbps, copy);
                }
                case "forward:unet3d", "forward:animatediff", "forward:latte", "executorRun:unet3d",
                     "executorRun:animatediff", "executorRun:latte" -> {
                    String arch = name.substring(name.indexOf(':') + 1);
                    shape = DenoiserBenchmarks.REFERENCES.get(arch).shape() + (name.startsWith("forward")
                            ? ", Denoiser.forward (NCTHW host in and out)" : ", GraphExecutor.run (channels-last in, output in place)");
                }
                case "replicaRun:unet3d", "replicaRun:animatediff", "replicaRun:latte", "replicaDirect:unet3d",
                     "replicaDirect:animatediff", "replicaDirect:latte" -> {
                    String arch = name.substring(name.indexOf(':') + 1);
                    shape = "the " + arch + " graph's inputs and node count, trivial kernels, " + (name.startsWith("replicaRun")
                            ? "GraphExecutor.run" : "the same prepared calls in a bare loop");
                    Double direct = ours.get("replicaDirect:" + arch);
                    if (name.startsWith("replicaRun") && direct != null) {
                        reference = String.format("executor overhead %.2f us per step", (seconds - direct) * 1e6);
                    }
                }
                case "emptyOpTyped" -> shape = "ddim_step, 0 elements, typed API";
                case "emptyOpRaw" -> shape = "ddim_step, 0 elements, raw binding";
                case "abiVersionRaw" -> shape = "kn_abi_version, raw binding";
                case "graphRun", "graphPreparedDirect", "graphTypedCalls" -> {
                    shape = GraphBenchmarks.NODES + " add/mul nodes on 16 floats, " + switch (name) {
                        case "graphRun" -> "GraphExecutor.run (copy in, nodes, copy out)";
                        case "graphPreparedDirect" -> "the same prepared calls in a bare loop";
                        default -> "the same chain through the typed API";
                    };
                    rate = String.format("%.0f ns per node", seconds * 1e9 / GraphBenchmarks.NODES);
                    Double direct = ours.get("graphPreparedDirect");
                    if (name.equals("graphRun") && direct != null) {
                        reference = String.format("executor overhead %.2f us per step", (seconds - direct) * 1e6);
                    }
                }
                default -> {
                }
            }
            String peerTime = "", speedup = "";
            if (peerName != null && torch.containsKey(peerName)) {
                double theirs = torch.get(peerName);
                peerTime = formatTime(theirs);
                speedup = String.format("%.2fx", theirs / seconds);
            }
            out.append(String.format("| %s | %s | %s | %s | %s | %s | %s |%n", name, shape, formatTime(seconds), rate,
                    reference, peerTime, speedup));
        }
        return out.toString();
    }

    /** The PyTorch peer's op (torch_ops.py) for a benchmark method; null when it has none. */
    static String peerOf(String benchmark) {
        return switch (benchmark) {
            case "convSpatial" -> "conv_spatial";
            case "convTemporal" -> "conv_temporal";
            case "ddimStep" -> "ddim_step";
            case "copy", "linear", "conv3d", "add", "silu", "patchify" -> benchmark;
            case "temporalAttention" -> "temporal_attention";
            case "groupNorm" -> "group_norm";
            case "layerNorm" -> "layer_norm";
            case "attentionSame" -> "attention_same";
            case "attentionAll" -> "attention_all";
            case "attentionContext" -> "attention_context";
            case "upsampleNearest", "upsampleNearestRaw" -> "upsample_nearest";
            case "patchifyRaw" -> "patchify";
            default -> benchmark.startsWith("forward:") ? "denoiser_" + benchmark.substring("forward:".length()) : null;
        };
    }

    /** gbps as a share of the same run's copy bandwidth; empty when copy was not run. */
    private static String copyShare(double gbps, Double copySeconds) {
        return copySeconds == null ? ""
                : String.format("%.0f%% of copy bandwidth", 100 * gbps / (DdimBenchmarks.COPY_BYTES / copySeconds / 1e9));
    }

    static String formatTime(double seconds) {
        if (seconds < 1e-6) return String.format("%.0f ns", seconds * 1e9);
        if (seconds < 1e-3) return String.format("%.2f us", seconds * 1e6);
        return String.format("%.2f ms", seconds * 1e3);
    }

    /** Runs the PyTorch peer; an absent python3 or torch is reported and skipped, never faked. */
    private static Map<String, Double> runTorchPeer(String peerScript, String... args) throws IOException, InterruptedException {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            System.out.println("PyTorch peer skipped: /usr/bin/python3 not found");
            return Map.of();
        }
        Path script = Files.createTempFile("kinema-torch-peer", ".py");
        try (InputStream in = BenchMain.class.getResourceAsStream("/peers/" + peerScript)) {
            if (in == null) throw new IOException("peers/" + peerScript + " missing from the benchmarks jar");
            Files.write(script, in.readAllBytes());
        }
        try {
            List<String> command = new ArrayList<>(List.of(python.toString(), script.toString(), "--threads",
                    Integer.toString(THREADS)));
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                System.out.println("PyTorch peer skipped: " + output.strip().lines().reduce((a, b) -> b).orElse("failed"));
                return Map.of();
            }
            Map<String, Double> times = new LinkedHashMap<>();
            int ops = output.indexOf("\"ops\"");
            if (ops < 0) {
                System.out.println("PyTorch peer skipped: unexpected output: " + output.strip());
                return Map.of();
            }
            Matcher m = Pattern.compile("\"(\\w+)\": ([0-9.eE+-]+)").matcher(output.substring(ops));
            while (m.find()) {
                times.put(m.group(1), Double.parseDouble(m.group(2)));
            }
            System.out.println("PyTorch peer: " + output.strip());
            return times;
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
