package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.KvFrames;
import dev.kinema.Tensor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the attention modes scale with the clip length: time per call and peak memory at 8, 16 and 32
 * frames for per-frame ({@code attention}, kv_frames=same), sparse-causal (kv_frames=sparse_causal),
 * all-frames (kv_frames=all) and {@code temporal_attention} over all frames, at the top level of a
 * ModelScope-like U-Net: batch 1, 32x32 = 1024 tokens a frame, 8 heads x D=40, f32, cpu backend,
 * {@code -Dkinema.bench.threads} threads (default 2).
 *
 * <p>Each (mode, frames) point runs in its own child JVM so that its peak memory (VmHWM, reset through
 * /proc/self/clear_refs after the runtime is open and warm) is its own. The parent prints a Markdown
 * table with the expected growth beside the measured one and draws both ({@link ScalingPlot}).
 * Expected time growth: linear in frames for per-frame and sparse-causal, quadratic for all-frames;
 * temporal's FLOPs are quadratic in T (drawn) while its memory traffic is linear. Expected memory
 * growth is linear for every mode: q, k, v and y grow with T and the kernels' scratch does not.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *       dev.kinema.bench.AttentionScaling [--quick] [--modes per_frame,all] [--frames 8,16] [--png PATH]
 * </pre>
 */
public final class AttentionScaling {
    static final int SIDE = 32, TOKENS = SIDE * SIDE, HEADS = 8, D = 40, C = HEADS * D;
    static final List<String> MODES = List.of("per_frame", "sparse_causal", "all", "temporal");
    /** Where the plot goes unless --png says otherwise: the repository's benchmarks/ folder. */
    static final String DEFAULT_PNG = "benchmarks/attention-scaling.png";
    private static final String USAGE = "usage: AttentionScaling [--quick] [--modes per_frame,sparse_causal,all,temporal]"
            + " [--frames 8,16,32] [--png PATH]\n       AttentionScaling --child MODE FRAMES [--quick]";

    private AttentionScaling() {
    }

    /** One child's result, as its JSON line says. */
    record Result(String mode, int frames, double medianMs, int calls, double flops, double peakMib, double baselineMib) {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        try {
            if (args.length > 0 && args[0].equals("--child")) {
                child(args);
            } else {
                System.exit(parent(args));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("AttentionScaling: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
        }
    }

    // ---- parent: one child JVM per point, then the table and the plot ----

    private static int parent(String[] args) throws IOException, InterruptedException {
        boolean quick = false;
        List<String> modes = MODES;
        List<Integer> frames = List.of(8, 16, 32);
        Path png = DenoiserBenchmarks.root().resolve(DEFAULT_PNG);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--modes" -> modes = Arrays.stream(value(args, ++i, "--modes").split(",")).map(m -> mode(m)).toList();
                case "--frames" -> frames = Arrays.stream(value(args, ++i, "--frames").split(","))
                        .map(f -> positive(f, "--frames")).distinct().sorted().toList();
                case "--png" -> png = Path.of(value(args, ++i, "--png"));
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return 0;
                }
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        List<Result> results = new ArrayList<>();
        int total = modes.size() * frames.size(), done = 0, failed = 0;
        for (String mode : modes) {
            for (int f : frames) {
                System.err.printf(Locale.ROOT, "[%d/%d] %s @ %d frames ...%n", ++done, total, mode, f);
                Result r = runChild(mode, f, quick);
                if (r == null) {
                    failed++;
                } else {
                    results.add(r);
                }
            }
        }
        System.out.print(table(results, frames.get(0)));
        if (!results.isEmpty()) {
            ScalingPlot.plot(results.stream().map(r -> new ScalingPlot.Point(r.mode(), r.frames(), r.medianMs(),
                    r.peakMib(), timePower(r.mode()))).toList(), png);
            System.out.println("\nplot: " + png);
        }
        return failed == 0 ? 0 : 1;
    }

    /** Runs one point in a fresh JVM (same java, classpath and thread count); null when it failed. */
    private static Result runChild(String mode, int frames, boolean quick) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-Dkinema.bench.threads=" + threads(), "-cp", System.getProperty("java.class.path"),
                AttentionScaling.class.getName(), "--child", mode, Integer.toString(frames)));
        if (quick) {
            command.add("--quick");
        }
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String json = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("{")) {
                    json = line;
                }
            }
        }
        int rc = process.waitFor();
        if (rc != 0 || json == null) {
            System.err.printf(Locale.ROOT, "  failed: %s @ %d frames (exit %d)%n", mode, frames, rc);
            return null;
        }
        Result r = new Result(mode, frames, number(json, "median_ms"), (int) number(json, "calls"),
                number(json, "flops"), number(json, "peak_mib"), number(json, "baseline_mib"));
        System.err.printf(Locale.ROOT, "  %.1f ms (median of %d), peak %.1f MiB above baseline%n", r.medianMs(), r.calls(),
                r.peakMib());
        return r;
    }

    static String table(List<Result> results, int baseFrames) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%nAttention scaling: cpu backend, %d threads, %d tokens x %d heads x %d, f32, batch 1%n%n",
                threads(), TOKENS, HEADS, D));
        out.append("| mode | frames | median ms | calls | GFLOP/s | peak MiB above baseline | expected time growth vs ")
                .append(baseFrames).append(" | measured time growth | measured memory growth |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            Result base = results.stream().filter(b -> b.mode().equals(r.mode()) && b.frames() == baseFrames)
                    .findFirst().orElse(null);
            double ratio = (double) r.frames() / baseFrames;
            out.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %d | %.1f | %.1f | %.2fx | %s | %s |%n", r.mode(),
                    r.frames(), r.medianMs(), r.calls(), r.flops() / (r.medianMs() * 1e6), r.peakMib(),
                    Math.pow(ratio, timePower(r.mode())),
                    base == null ? "-" : String.format(Locale.ROOT, "%.2fx", r.medianMs() / base.medianMs()),
                    base == null ? "-" : String.format(Locale.ROOT, "%.2fx", r.peakMib() / base.peakMib())));
        }
        double lo = results.stream().mapToDouble(Result::baselineMib).min().orElse(0);
        double hi = results.stream().mapToDouble(Result::baselineMib).max().orElse(0);
        out.append(String.format(Locale.ROOT, "%nExpected time growth: linear for per_frame and sparse_causal, quadratic for all;"
                + " temporal: quadratic FLOPs (its memory traffic is linear). Expected memory growth: linear for every mode"
                + " (q, k, v, y). Baseline RSS (runtime open, JIT warm): %.0f-%.0f MiB.%n", lo, hi));
        return out.toString();
    }

    /** 2 when the work of a call grows with frames squared (all-frames; temporal's FLOPs), else 1. */
    static int timePower(String mode) {
        return mode.equals("all") || mode.equals("temporal") ? 2 : 1;
    }

    // ---- child: one point, measured in this process ----

    private static void child(String[] args) throws IOException {
        if (args.length < 3 || args.length > 4 || (args.length == 4 && !args[3].equals("--quick"))) {
            throw new IllegalArgumentException("--child takes MODE FRAMES [--quick]");
        }
        String mode = mode(args[1]);
        int frames = positive(args[2], "FRAMES");
        boolean quick = args.length == 4;
        try (Kinema runtime = Kinema.open(Backend.CPU)) {
            runtime.setNumThreads(threads());
            float[] staging = new float[TOKENS * C]; // one frame, reused: keeps host garbage out of the peak
            Runnable tiny = call(runtime, mode, 2, 8, new float[8 * 8 * C]);
            for (int i = 0; i < 50; i++) {
                tiny.run(); // JIT-compiles the Java side and starts the kernel threads before the baseline
            }
            double baseline = statusMib("VmRSS");
            resetPeak();
            Runnable op = call(runtime, mode, frames, SIDE, staging);
            op.run(); // warm-up
            int maxCalls = quick ? 3 : 5;
            long budget = (quick ? 5L : 20L) * 1_000_000_000L, spent = 0;
            List<Double> times = new ArrayList<>();
            while (times.isEmpty() || (times.size() < maxCalls && spent < budget)) {
                long start = System.nanoTime();
                op.run();
                long elapsed = System.nanoTime() - start;
                spent += elapsed;
                times.add(elapsed / 1e6);
            }
            double peak = statusMib("VmHWM") - baseline;
            System.out.printf(Locale.ROOT, "{\"mode\":\"%s\",\"frames\":%d,\"median_ms\":%.3f,\"calls\":%d,\"flops\":%.6e,"
                            + "\"peak_mib\":%.2f,\"baseline_mib\":%.2f}%n", mode, frames, median(times), times.size(),
                    flops(mode, frames), peak, baseline);
        }
    }

    /** Allocates and fills q, k, v, y at frames x side x side and returns one synchronous call of mode. */
    private static Runnable call(Kinema runtime, String mode, int frames, int side, float[] staging) {
        long[] shape = mode.equals("temporal") ? new long[] {1, frames, side, side, C}
                : new long[] {1, frames, (long) side * side, HEADS, D};
        SplittableRandom random = new SplittableRandom(41);
        Tensor q = filled(runtime, shape, frames, staging, random);
        Tensor k = filled(runtime, shape, frames, staging, random);
        Tensor v = filled(runtime, shape, frames, staging, random);
        Tensor y = runtime.allocate(DType.F32, shape);
        double scale = 1.0 / Math.sqrt(D);
        return switch (mode) {
            case "temporal" -> () -> {
                runtime.temporalAttentionInto(q, k, v, null, HEADS, scale, 0, false, frames, y);
                runtime.synchronize();
            };
            default -> {
                KvFrames kv = mode.equals("per_frame") ? KvFrames.SAME : KvFrames.parse(mode);
                yield () -> {
                    runtime.attentionInto(q, k, v, kv, scale, y);
                    runtime.synchronize();
                };
            }
        };
    }

    /** A device tensor filled one frame at a time through staging, so host memory stays one frame. */
    private static Tensor filled(Kinema runtime, long[] shape, int frames, float[] staging, SplittableRandom random) {
        Tensor t = runtime.allocate(DType.F32, shape);
        long frameFloats = t.numel() / frames;
        for (int f = 0; f < frames; f++) {
            for (int i = 0; i < frameFloats; i++) {
                staging[i] = (float) (random.nextDouble() * 2 - 1);
            }
            try (Tensor host = Tensor.hostFromFloats(staging, frameFloats)) {
                t.view(f * frameFloats * Float.BYTES, DType.F32, frameFloats).copyFrom(host);
            }
        }
        return t;
    }

    /** 4 * Nq * Nk * D per (frame, head) for attention; 4 * T * T * D per (pixel, head) for temporal. */
    static double flops(String mode, int frames) {
        double perFrameHead = 4.0 * TOKENS * D;
        return switch (mode) {
            case "per_frame" -> perFrameHead * TOKENS * frames * HEADS;
            case "sparse_causal" -> perFrameHead * 2.0 * TOKENS * frames * HEADS;
            case "all" -> perFrameHead * (double) frames * TOKENS * frames * HEADS;
            default -> 4.0 * frames * frames * D * TOKENS * HEADS;
        };
    }

    // ---- small helpers ----

    private static int threads() {
        return Integer.getInteger("kinema.bench.threads", 2);
    }

    /** VmHWM := VmRSS; without it the peak may include the JVM's start-up, so say so. */
    private static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            System.err.println("AttentionScaling: cannot reset the peak through /proc/self/clear_refs (" + e
                    + "); peak_mib may include the JVM's start-up");
        }
    }

    private static double statusMib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0; // the value is in kB
            }
        }
        throw new IOException(field + " not found in /proc/self/status");
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":([-0-9.eE+]+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + key + " in child output " + json);
        }
        return Double.parseDouble(m.group(1));
    }

    private static String mode(String text) {
        if (!MODES.contains(text)) {
            throw new IllegalArgumentException("unknown mode '" + text + "', expected one of " + String.join(", ", MODES));
        }
        return text;
    }

    private static int positive(String text, String what) {
        try {
            int n = Integer.parseInt(text.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(what + ": expected a whole number >= 1, got '" + text + "'");
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }
}
