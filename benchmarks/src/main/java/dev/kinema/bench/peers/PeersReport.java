package dev.kinema.bench.peers;

import dev.kinema.io.Json;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link PeersBench} measured, and how it is printed: Markdown tables (steps, renders, peak
 * resident sets, output agreement, allocations, the targets), then one JSON object as the last line:
 * {"threads": n, "systems": {SYSTEM: {WORKLOAD: {"step_ms": median, "peak_rss_mb": peak, ...} or
 * {"skipped": why}}}}.
 */
final class PeersReport {
    /** Issue targets: Kinema's step at least this many times faster than each peer. */
    private static final Map<String, Double> SPEEDUP_TARGETS = Map.of(PeersBench.PYTORCH, 3.0, PeersBench.ORT, 1.5);

    /** Per workload, per system. */
    private final Map<String, Map<String, Cell>> cells = new LinkedHashMap<>();
    private final Map<String, String> versions = new LinkedHashMap<>();

    private static final class Cell {
        String skipped;
        final List<Double> steps = new ArrayList<>();
        final List<Double> renders = new ArrayList<>();
        double stepPeakMb = Double.NaN, renderPeakMb = Double.NaN;
        double maxAbsDiff = Double.NaN, relativeL2 = Double.NaN;
        Map<String, Object> allocations, warmAllocations;
        Object renderStepJavaBytes, renderStepMallocs;
    }

    private Cell cell(PeerWorkload w, String system) {
        return cells.computeIfAbsent(w.name(), k -> new LinkedHashMap<>()).computeIfAbsent(system, k -> new Cell());
    }

    void version(String system, String version) {
        versions.put(system, version);
    }

    void skipped(PeerWorkload w, String system, String why) {
        cell(w, system).skipped = why;
    }

    void step(PeerWorkload w, String system, double seconds) {
        cell(w, system).steps.add(seconds);
    }

    void render(PeerWorkload w, String system, Map<String, Object> reply) {
        Cell c = cell(w, system);
        c.renders.add(PeerProcess.number(reply, "s"));
        if (reply.containsKey("step_java_bytes")) {
            c.renderStepJavaBytes = reply.get("step_java_bytes");
            c.renderStepMallocs = reply.get("step_malloc_calls");
        }
    }

    void stepPeak(PeerWorkload w, String system, double mb) {
        cell(w, system).stepPeakMb = mb;
    }

    void renderPeak(PeerWorkload w, String system, double mb) {
        cell(w, system).renderPeakMb = mb;
    }

    /** What each of the worker's first steps allocated. */
    void allocations(PeerWorkload w, String system, Map<String, Object> reply) {
        cell(w, system).allocations = reply;
    }

    /** What each step allocated after the warm-up and the timed rounds. */
    void warmAllocations(PeerWorkload w, String system, Map<String, Object> reply) {
        cell(w, system).warmAllocations = reply;
    }

    /** Compares a system's output with the reference system's (max |diff|, and ||diff|| / ||ref||). */
    void agreement(PeerWorkload w, String system, float[] out, float[] reference) {
        Cell c = cell(w, system);
        if (out.length != reference.length) {
            c.maxAbsDiff = Double.POSITIVE_INFINITY;
            return;
        }
        double max = 0, diff2 = 0, ref2 = 0;
        for (int i = 0; i < out.length; i++) {
            double d = Math.abs((double) out[i] - reference[i]);
            max = Math.max(max, d);
            diff2 += d * d;
            ref2 += (double) reference[i] * reference[i];
        }
        c.maxAbsDiff = max;
        c.relativeL2 = Math.sqrt(diff2 / Math.max(ref2, Double.MIN_NORMAL));
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    void print(int threads, int rounds, int renders) {
        List<String> systems = List.of(PeersBench.KINEMA, PeersBench.PYTORCH, PeersBench.ORT);
        System.out.println();
        System.out.println("Systems: " + versions + "; " + threads + " threads each; medians of " + rounds
                + " alternating steps and " + renders + " alternating renders per system, warm-up excluded.");
        System.out.println();
        System.out.println("| workload | system | step (median) | Kinema's speed-up | render (median) | peak RSS, steps | peak RSS, render | output vs Kinema (max abs, rel. L2) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (var byWorkload : cells.entrySet()) {
            Cell kinema = byWorkload.getValue().get(PeersBench.KINEMA);
            double kinemaStep = kinema == null ? Double.NaN : median(kinema.steps);
            for (String system : systems) {
                Cell c = byWorkload.getValue().get(system);
                if (c == null) {
                    continue;
                }
                if (c.skipped != null) {
                    System.out.printf("| %s | %s | skipped: %s | | | | | |%n", byWorkload.getKey(), system, c.skipped);
                    continue;
                }
                double step = median(c.steps);
                String speedup = system.equals(PeersBench.KINEMA) ? "" : String.format("%.2fx", step / kinemaStep);
                System.out.printf("| %s | %s | %.2f ms | %s | %s | %.0f MiB | %s | %s |%n", byWorkload.getKey(), system,
                        step * 1e3, speedup, c.renders.isEmpty() ? "" : String.format("%.2f s", median(c.renders)),
                        c.stepPeakMb, Double.isNaN(c.renderPeakMb) ? "" : String.format("%.0f MiB", c.renderPeakMb),
                        system.equals(PeersBench.KINEMA) ? "(reference)" : String.format("%.2e, %.2e", c.maxAbsDiff, c.relativeL2));
            }
        }
        System.out.println();
        System.out.println("Allocations per step (Java heap bytes of the stepping thread; malloc-family calls of the stepping"
                + " thread and of the whole process, JVM compiler and GC threads included, -1 = not counted; minor page faults"
                + " of the process), from each worker's first step, then after the warm-up and the timed steps:");
        System.out.println();
        System.out.println("| workload | system | steps | Java heap bytes | malloc calls, stepping thread | of which from Kinema's kernels | malloc calls, process | minor faults |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (var byWorkload : cells.entrySet()) {
            for (var entry : byWorkload.getValue().entrySet()) {
                Cell c = entry.getValue();
                for (Map<String, Object> a : new Map[] {c.allocations, c.warmAllocations}) {
                    if (a == null) {
                        continue;
                    }
                    System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s |%n", byWorkload.getKey(), entry.getKey(),
                            a == c.allocations ? "first " + ((List<?>) a.get("java_bytes")).size() : "after warm-up",
                            a.get("java_bytes"), a.get("thread_malloc_calls"), a.get("kinema_malloc_calls"),
                            a.get("malloc_calls"), a.get("minor_faults"));
                }
                if (c.renderStepJavaBytes != null) {
                    System.out.printf("| %s | %s | render steps | %s | %s | | | |%n", byWorkload.getKey(), entry.getKey(),
                            c.renderStepJavaBytes, c.renderStepMallocs);
                }
            }
        }
        printTargets();
        System.out.println(Json.write(json(threads)));
    }

    private void printTargets() {
        System.out.println();
        System.out.println("| target | workload | measured | met |");
        System.out.println("|---|---|---|---|");
        for (var byWorkload : cells.entrySet()) {
            Cell kinema = byWorkload.getValue().get(PeersBench.KINEMA);
            if (kinema == null || kinema.skipped != null) {
                continue;
            }
            for (var target : SPEEDUP_TARGETS.entrySet()) {
                Cell peer = byWorkload.getValue().get(target.getKey());
                if (peer == null || peer.skipped != null) {
                    continue;
                }
                double speedup = median(peer.steps) / median(kinema.steps);
                System.out.printf("| step >= %.1fx %s | %s | %.2fx | %s |%n", target.getValue(), target.getKey(),
                        byWorkload.getKey(), speedup, speedup >= target.getValue() ? "yes" : "no");
            }
            Cell torch = byWorkload.getValue().get(PeersBench.PYTORCH);
            if (!Double.isNaN(kinema.renderPeakMb) && torch != null && torch.skipped == null) {
                System.out.printf("| render peak RSS <= pytorch | %s | %.0f vs %.0f MiB | %s |%n", byWorkload.getKey(),
                        kinema.renderPeakMb, torch.renderPeakMb, kinema.renderPeakMb <= torch.renderPeakMb ? "yes" : "no");
            }
            Map<String, Object> warm = kinema.warmAllocations;
            if (warm != null && notCounted(warm.get("kinema_malloc_calls"))) {
                System.out.printf("| no step allocates after warm-up | %s | malloc calls not counted (build/native/lib/"
                        + "libkn_alloc_count.so missing); Java heap %s bytes in %d steps | - |%n", byWorkload.getKey(),
                        sum(warm.get("java_bytes")), ((List<?>) warm.get("java_bytes")).size());
            } else if (warm != null) {
                boolean none = allZero(warm.get("java_bytes")) && allZero(warm.get("kinema_malloc_calls"));
                System.out.printf("| no step allocates after warm-up (Java heap; malloc from Kinema's kernels) | %s |"
                                + " %d steps: Java heap %s bytes, malloc calls %s from the kernels (%s by the JVM runtime on the"
                                + " stepping thread) | %s |%n", byWorkload.getKey(),
                        ((List<?>) warm.get("java_bytes")).size(), sum(warm.get("java_bytes")),
                        sum(warm.get("kinema_malloc_calls")),
                        sum(warm.get("thread_malloc_calls")) - sum(warm.get("kinema_malloc_calls")), none ? "yes" : "no");
            }
        }
    }

    /** Whether a list of counts holds -1: the counter was not there (parsed JSON numbers are BigDecimals). */
    private static boolean notCounted(Object values) {
        for (Object v : (List<?>) values) {
            if (((Number) v).longValue() < 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean allZero(Object values) {
        for (Object v : (List<?>) values) {
            if (((Number) v).longValue() != 0) {
                return false;
            }
        }
        return true;
    }

    private static long sum(Object values) {
        long total = 0;
        for (Object v : (List<?>) values) {
            total += ((Number) v).longValue();
        }
        return total;
    }

    private Map<String, Object> json(int threads) {
        Map<String, Object> systems = new LinkedHashMap<>();
        for (var byWorkload : cells.entrySet()) {
            for (var entry : byWorkload.getValue().entrySet()) {
                Cell c = entry.getValue();
                Map<String, Object> fields = new LinkedHashMap<>();
                if (c.skipped != null) {
                    fields.put("skipped", c.skipped);
                } else {
                    fields.put("step_ms", round(median(c.steps) * 1e3));
                    fields.put("peak_rss_mb", round(c.stepPeakMb));
                    if (!c.renders.isEmpty()) {
                        fields.put("render_s", round(median(c.renders)));
                        fields.put("render_peak_rss_mb", round(c.renderPeakMb));
                    }
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> bySystem = (Map<String, Object>) systems.computeIfAbsent(entry.getKey(), k -> new LinkedHashMap<>());
                bySystem.put(byWorkload.getKey(), fields);
            }
        }
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("threads", threads);
        all.put("systems", systems);
        return all;
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : -1;
    }
}
