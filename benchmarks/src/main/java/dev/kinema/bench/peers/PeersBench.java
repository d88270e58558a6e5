package dev.kinema.bench.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * `./kinema bench` (the default): Kinema against PyTorch eager and ONNX Runtime's Java API on the same
 * weights, the same inputs and the same thread count, in one invocation. For each {@link PeerWorkload}
 * it starts one worker process per system (so each has its own peak resident set), checks that their
 * outputs agree, then alternates single steps between them (warm-up excluded, a pause before each so
 * one system's idle threads settle before another's step) and takes medians; for
 * the embedded models it does the same with whole regression renders. A system that is not installed
 * (no /usr/bin/python3 with torch; no ONNX export, which needs PyTorch to make) is reported as skipped.
 * {@link PeersReport} prints the tables and, as the last line, one JSON object.
 *
 * <pre>
 *   ./kinema bench [--quick] [--rounds N] [--renders N] [--workloads a,b] [--systems kinema,pytorch,onnxruntime]
 * </pre>
 */
public final class PeersBench {
    static final String KINEMA = "kinema", PYTORCH = "pytorch", ORT = "onnxruntime";
    /** Debian's python3, where python3-torch installs (kinema.bench.python overrides it). */
    private static final Path PYTHON = Path.of(System.getProperty("kinema.bench.python", "/usr/bin/python3"));
    /** Warm-up steps per system before the timed rounds (the first carries planning and JIT compilation). */
    private static final int WARMUP_STEPS = 2;
    /** Steps whose allocations are recorded, from the worker's very first step. */
    private static final int ALLOCATION_STEPS = 8;
    /**
     * Seconds of further steps before the allocations are recorded again: the JIT compiles the step's
     * Java path in tiers, and code still running in a profiling tier allocates what the final tier's
     * escape analysis removes (measured: ~34 KB in some of the first ~100 steps, none after 300).
     */
    private static final int WARM_SECONDS = 15;
    /** Steps whose allocations are recorded again after the warm-up and the timed rounds. */
    private static final int WARM_ALLOCATION_STEPS = 20;
    /**
     * Pause before every timed call. Measured: a 17 ms Kinema step (the worker run alone) took 41 ms
     * inside the alternation without it. OpenMP (Kinema, PyTorch) and ONNX Runtime's pool spin-wait for
     * a while after their work, so the system that just answered likely still burns the cores.
     */
    private static final long SETTLE_MS = 300;

    private final Path root;
    private final Path models;
    private final int threads;
    private final int rounds;
    private final int renders;
    private final List<String> systems;
    private final PeersReport report = new PeersReport();

    private PeersBench(Path root, int threads, int rounds, int renders, List<String> systems) {
        this.root = root;
        this.models = root.resolve("build").resolve("bench-models");
        this.threads = threads;
        this.rounds = rounds;
        this.renders = renders;
        this.systems = systems;
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int rounds = 7, renders = 3;
        List<PeerWorkload> workloads = PeerWorkload.ALL;
        List<String> systems = List.of(KINEMA, PYTORCH, ORT);
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--quick" -> {
                    rounds = 3;
                    renders = 1;
                }
                case "--rounds" -> rounds = positive("--rounds", value, i++);
                case "--renders" -> renders = positive("--renders", value, i++);
                case "--workloads" -> {
                    workloads = new ArrayList<>();
                    for (String name : required("--workloads", value, i++).split(",")) {
                        try {
                            workloads.add(PeerWorkload.named(name));
                        } catch (IllegalArgumentException e) {
                            usage(e.getMessage());
                        }
                    }
                }
                case "--systems" -> {
                    systems = List.of(required("--systems", value, i++).split(","));
                    for (String s : systems) {
                        if (!List.of(KINEMA, PYTORCH, ORT).contains(s)) {
                            usage("--systems: unknown system '" + s + "'; expected kinema, pytorch, onnxruntime");
                        }
                    }
                }
                default -> usage("unknown argument '" + args[i] + "'");
            }
        }
        int threads = Integer.getInteger("kinema.bench.threads", 2);
        PeersBench bench = new PeersBench(dev.kinema.bench.DenoiserBenchmarks.root(), threads, rounds, renders, systems);
        bench.run(workloads);
    }

    private void run(List<PeerWorkload> workloads) throws IOException, InterruptedException {
        String torchMissing = torchMissing();
        if (torchMissing == null && (systems.contains(PYTORCH) || systems.contains(ORT))) {
            exportModels(workloads);
        }
        for (PeerWorkload w : workloads) {
            progress("== " + w.name());
            List<PeerProcess> workers = new ArrayList<>();
            try {
                for (String system : systems) {
                    String skipped = skipReason(system, w, torchMissing);
                    if (skipped != null) {
                        report.skipped(w, system, skipped);
                        progress(system + ": skipped (" + skipped + ")");
                        continue;
                    }
                    progress(system + ": starting");
                    PeerProcess p = new PeerProcess(system, command(system, w), environment(system), models.resolve("logs").resolve(w.name() + "-" + system + ".log"));
                    workers.add(p);
                    report.version(system, String.valueOf(p.ready().get("version")));
                    if (!system.equals(PYTORCH)) {
                        report.allocations(w, system, p.call("allocs " + ALLOCATION_STEPS));
                    }
                }
                measure(w, workers);
            } finally {
                for (PeerProcess p : workers) {
                    p.close();
                }
            }
        }
        report.print(threads, rounds, renders);
    }

    private void measure(PeerWorkload w, List<PeerProcess> workers) throws IOException {
        float[] reference = null;
        for (PeerProcess p : workers) {
            Path dump = Files.createTempFile("kinema-peer-" + p.system(), ".f32");
            try {
                p.call("dump " + dump);
                float[] out = readFloats(dump);
                if (reference == null) {
                    reference = out;  // the first system (Kinema, unless excluded) is the reference
                }
                report.agreement(w, p.system(), out, reference);
            } finally {
                Files.deleteIfExists(dump);
            }
        }
        for (PeerProcess p : workers) {
            for (int i = 0; i < WARMUP_STEPS; i++) {
                p.call("step");
            }
            p.call("reset_peak");
        }
        for (int r = 0; r < rounds; r++) {
            progress("step round " + (r + 1) + "/" + rounds);
            for (int k = 0; k < workers.size(); k++) {
                PeerProcess p = workers.get((k + r) % workers.size());  // rotate who goes first
                settle();
                report.step(w, p.system(), PeerProcess.number(p.call("step"), "s"));
            }
        }
        for (PeerProcess p : workers) {
            report.stepPeak(w, p.system(), PeerProcess.number(p.call("memory"), "hwm_mb"));
            if (!p.system().equals(PYTORCH)) {
                progress(p.system() + ": " + WARM_SECONDS + " s of steps, then the allocations of " + WARM_ALLOCATION_STEPS);
                p.call("warm " + WARM_SECONDS);
                report.warmAllocations(w, p.system(), p.call("allocs " + WARM_ALLOCATION_STEPS));
            }
        }
        if (!w.embedded()) {
            return;
        }
        for (PeerProcess p : workers) {
            progress(p.system() + ": warm-up render");
            p.call("render");
            p.call("reset_peak");
        }
        for (int r = 0; r < renders; r++) {
            progress("render round " + (r + 1) + "/" + renders);
            for (int k = 0; k < workers.size(); k++) {
                PeerProcess p = workers.get((k + r) % workers.size());
                settle();
                Map<String, Object> reply = p.call("render");
                report.render(w, p.system(), reply);
            }
        }
        for (PeerProcess p : workers) {
            report.renderPeak(w, p.system(), PeerProcess.number(p.call("memory"), "hwm_mb"));
        }
    }

    private static void settle() throws IOException {
        try {
            Thread.sleep(SETTLE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Why system cannot run w here, or null. */
    private String skipReason(String system, PeerWorkload w, String torchMissing) {
        return switch (system) {
            case PYTORCH -> torchMissing;
            case ORT -> Files.isRegularFile(w.onnxFile(models)) ? null
                    : torchMissing != null ? "no ONNX export: making it needs PyTorch (" + torchMissing + ")"
                    : "no ONNX export at " + w.onnxFile(models);
            default -> null;
        };
    }

    private List<String> command(String system, PeerWorkload w) {
        if (system.equals(PYTORCH)) {
            return List.of(PYTHON.toString(), root.resolve("benchmarks/peers/torch_worker.py").toString(), "--root",
                    root.toString(), "--workload", w.name(), "--models", models.toString(), "--threads", Integer.toString(threads));
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        String main = system.equals(KINEMA) ? KinemaWorker.class.getName() : OrtWorker.class.getName();
        Path counter = allocCounter();
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        if (counter != null) {
            command.add("-Dkinema.bench.alloc-count=" + counter);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main, root.toString(), models.toString(),
                w.name(), Integer.toString(threads)));
        return command;
    }

    /** The allocation counter (native/cpu/bench/alloc_count.c), preloaded into the Java workers when built. */
    private Path allocCounter() {
        Path lib = root.resolve("build/native/lib/libkn_alloc_count.so");
        return Files.isRegularFile(lib) ? lib : null;
    }

    private Map<String, String> environment(String system) {
        Path counter = allocCounter();
        return counter == null || system.equals(PYTORCH) ? Map.of() : Map.of("LD_PRELOAD", counter.toString());
    }

    /** null when /usr/bin/python3 imports torch; otherwise why not. */
    private static String torchMissing() throws InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return PYTHON + " not found";
        }
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor() == 0 ? null : "python3-torch not installed (" + out.lines().reduce((a, b) -> b).orElse("") + ")";
        } catch (IOException e) {
            return PYTHON + " failed: " + e.getMessage();
        }
    }

    /** Runs export_onnx.py, which writes what is missing or stale under build/bench-models. */
    private void exportModels(List<PeerWorkload> workloads) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), root.resolve("benchmarks/peers/export_onnx.py").toString(),
                "--root", root.toString(), "--out", models.toString(), "--workloads",
                String.join(",", workloads.stream().map(PeerWorkload::name).toList())));
        progress("exporting the peers' models: " + String.join(" ", command));
        // its report goes to stderr with the progress lines, so stdout holds only the results
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(new java.io.File("/dev/stderr"))).start();
        if (p.waitFor() != 0) {
            throw new IOException("export_onnx.py failed (exit " + p.exitValue() + "); its output is above");
        }
    }

    private static float[] readFloats(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    static void progress(String message) {
        System.err.println("bench: " + message);
    }

    private static int positive(String flag, String value, int at) {
        try {
            int n = Integer.parseInt(required(flag, value, at));
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        usage(flag + ": expected a whole number >= 1, got '" + value + "'");
        return 0;
    }

    private static String required(String flag, String value, int at) {
        if (value == null) {
            usage(flag + " needs a value");
        }
        return value;
    }

    private static void usage(String problem) {
        System.err.println("kinema bench: " + problem);
        System.err.println("usage: ./kinema bench [--quick] [--rounds N] [--renders N] [--workloads "
                + String.join(",", PeerWorkload.ALL.stream().map(PeerWorkload::name).toList())
                + "] [--systems kinema,pytorch,onnxruntime]");
        System.exit(2);
    }
}
