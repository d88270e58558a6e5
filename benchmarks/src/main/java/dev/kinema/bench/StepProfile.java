package dev.kinema.bench;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.bench.peers.KinemaWorker;
import dev.kinema.bench.peers.PeerWorkload;
import dev.kinema.graph.Profile;
import dev.kinema.models.Denoiser;
import dev.kinema.render.TextToVideoModel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * `./kinema bench profile`: where one denoiser step's time goes, per op, on the cpu backend. Each
 * workload's step (the peer comparison's workloads and inputs) is profiled RUNS times (every node timed
 * with the runtime synchronized around it, {@link Denoiser#profile}); per node the median is kept, then
 * nodes are summed per op. For each op: its share of the step, achieved GFLOP/s and GB/s (napkin counts of
 * {@code NodeCost}: every input read once, every output written once) against this machine's peaks: the
 * practical fp32 peak ({@link BenchMain#PRACTICAL_PEAK_GFLOPS}, OpenBLAS sgemm with its SkylakeX kernels;
 * the register-only FMA peak is ~2x that) and a plain copy's bandwidth measured in this run.
 *
 * <pre>
 *   ./kinema bench profile [--workloads shapes-unet3d,ref-latte] [--runs 5]
 * </pre>
 */
public final class StepProfile {
    private static final long COPY_BYTES = 256L << 20;

    private StepProfile() {
    }

    public static void main(String[] args) throws Exception {
        List<PeerWorkload> workloads = PeerWorkload.ALL;
        int runs = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--workloads" -> {
                    workloads = new ArrayList<>();
                    for (String name : next(args, i++).split(",")) {
                        workloads.add(PeerWorkload.named(name));
                    }
                }
                case "--runs" -> runs = Integer.parseInt(next(args, i++));
                default -> {
                    System.err.println("kinema bench profile: unknown argument '" + args[i]
                            + "'; usage: ./kinema bench profile [--workloads a,b] [--runs N]");
                    System.exit(2);
                }
            }
        }
        Path root = DenoiserBenchmarks.root();
        Path models = root.resolve("build").resolve("bench-models");
        double copyGbs = copyBandwidthGbs();
        System.out.printf(Locale.ROOT, "Peaks: %.0f GFLOP/s practical fp32 (sgemm), %.1f GB/s copy (measured now, %d threads)%n",
                BenchMain.PRACTICAL_PEAK_GFLOPS, copyGbs, BenchMain.THREADS);
        try (Kinema runtime = Kinema.open(Backend.CPU)) {
            runtime.setNumThreads(BenchMain.THREADS);
            for (PeerWorkload w : workloads) {
                System.err.println("profile: " + w.name());
                TextToVideoModel t2v = w.embedded() ? TextToVideoModel.open(runtime, root.resolve(w.source())) : null;
                Denoiser denoiser = t2v != null ? t2v.denoiser() : KinemaWorker.openReference(runtime, root, models, w);
                try {
                    printProfile(w, medianProfile(denoiser, w, runs), copyGbs);
                } finally {
                    if (t2v != null) {
                        t2v.close();
                    } else {
                        denoiser.close();
                    }
                }
            }
        }
    }

    /** Per node (schedule order): the median of runs profiled forwards, after one warm-up forward. */
    private static List<Profile.Entry> medianProfile(Denoiser denoiser, PeerWorkload w, int runs) {
        try (Tensor sample = Tensor.hostFromFloats(w.standardSample(), w.sample());
             Tensor t = Tensor.hostFromFloats(w.standardTimesteps(), w.sample()[0]);
             Tensor ctx = Tensor.hostFromFloats(w.standardContext(), w.context())) {
            denoiser.profile(sample, t, ctx);
            List<List<Profile.Entry>> all = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                all.add(denoiser.profile(sample, t, ctx).entries());
            }
            List<Profile.Entry> median = new ArrayList<>();
            for (int n = 0; n < all.get(0).size(); n++) {
                long[] nanos = new long[runs];
                for (int r = 0; r < runs; r++) {
                    nanos[r] = all.get(r).get(n).nanos();
                }
                Arrays.sort(nanos);
                Profile.Entry e = all.get(0).get(n);
                median.add(new Profile.Entry(e.node(), e.op(), e.family(), nanos[runs / 2], e.bytes(), e.flops()));
            }
            return median;
        }
    }

    private static void printProfile(PeerWorkload w, List<Profile.Entry> entries, double copyGbs) {
        record Sum(int nodes, long nanos, long bytes, long flops) {
            Sum plus(Profile.Entry e) {
                return new Sum(nodes + 1, nanos + e.nanos(), bytes + e.bytes(), flops + e.flops());
            }
        }
        Map<String, Sum> byOp = new LinkedHashMap<>();
        long total = 0;
        for (Profile.Entry e : entries) {
            byOp.merge(e.op(), new Sum(1, e.nanos(), e.bytes(), e.flops()), (a, b) -> new Sum(a.nodes + b.nodes,
                    a.nanos + b.nanos, a.bytes + b.bytes, a.flops + b.flops));
            total += e.nanos();
        }
        double ridge = BenchMain.PRACTICAL_PEAK_GFLOPS / copyGbs;  // FLOP per byte where the two peaks meet
        System.out.printf(Locale.ROOT, "%n%s: %d nodes, %.2f ms of kernels per step (median per node of the profiled runs)%n%n",
                w.name(), entries.size(), total / 1e6);
        System.out.println("| op | nodes | ms | share | GFLOP/s | % of fp32 peak | GB/s | % of copy | FLOP/byte | bound by |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        final long sum = total;
        byOp.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().nanos, a.getValue().nanos)).forEach(e -> {
            Sum s = e.getValue();
            double ns = Math.max(1, s.nanos);
            double gflops = s.flops / ns, gbs = s.bytes / ns, intensity = s.bytes == 0 ? 0 : (double) s.flops / s.bytes;
            System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.1f%% | %.1f | %.0f%% | %.1f | %.0f%% | %.1f | %s |%n",
                    e.getKey(), s.nodes, s.nanos / 1e6, 100.0 * s.nanos / sum, gflops,
                    100 * gflops / BenchMain.PRACTICAL_PEAK_GFLOPS, gbs, 100 * gbs / copyGbs, intensity,
                    s.flops == 0 || intensity < ridge ? "memory" : "compute");
        });
    }

    /** A plain 256 MiB copy split over the benchmark threads: the median of 7 after one that touches the pages. */
    static double copyBandwidthGbs() throws Exception {
        int threads = BenchMain.THREADS;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = arena.allocate(COPY_BYTES, 64), dst = arena.allocate(COPY_BYTES, 64);
            double[] seconds = new double[8];
            for (int r = 0; r < seconds.length; r++) {
                long start = System.nanoTime();
                ParallelCopy.copy(pool, threads, src, dst, COPY_BYTES);
                seconds[r] = (System.nanoTime() - start) / 1e9;
            }
            double[] timed = Arrays.copyOfRange(seconds, 1, seconds.length);
            Arrays.sort(timed);
            return 2.0 * COPY_BYTES / timed[timed.length / 2] / 1e9;  // read + write
        } finally {
            pool.shutdown();
        }
    }

    private static String next(String[] args, int i) {
        if (i + 1 >= args.length) {
            System.err.println("kinema bench profile: " + args[i] + " needs a value");
            System.exit(2);
        }
        return args[i + 1];
    }
}
