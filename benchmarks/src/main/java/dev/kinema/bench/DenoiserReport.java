package dev.kinema.bench;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The denoiser table BenchMain prints after the JMH run: per architecture, the median step (JMH) next
 * to PyTorch's, the memory plan against its lower bound, the op families' shares of the kernels' time
 * (median of a few profiled forwards in this JVM), and the time a step spends outside the kernels.
 */
final class DenoiserReport {
    /** Targets of the issue: planner peak / lower bound, executor overhead per step. */
    static final double PLAN_TARGET = 1.1, OVERHEAD_TARGET_US = 50;

    private DenoiserReport() {
    }

    static String table(List<String> archs, Map<String, Double> ours, Map<String, Double> torch, int profiles) {
        StringBuilder out = new StringBuilder();
        out.append("Denoisers: one step at the reference configs (benchmarks/configs), cpu, ")
                .append(BenchMain.THREADS).append(" threads\n\n");
        out.append("| arch | nodes | kinema step | PyTorch step | speed-up | plan peak / lower bound | top op families"
                + " (share of kernel time) | host boundary | executor overhead (replica) | outside kernels, profiled |\n");
        out.append("|---|---|---|---|---|---|---|---|---|---|\n");
        List<DenoiserBenchmarks.Report> reports = archs.stream().map(a -> DenoiserBenchmarks.report(a, profiles)).toList();
        for (DenoiserBenchmarks.Report r : reports) {
            String arch = r.arch();
            Double step = ours.get("forward:" + arch), exec = ours.get("executorRun:" + arch);
            Double replica = ours.get("replicaRun:" + arch), direct = ours.get("replicaDirect:" + arch);
            Double theirs = torch.get("denoiser_" + arch);
            String families = r.familyMillis().entrySet().stream().limit(4)
                    .map(e -> String.format("%s %.0f%%", e.getKey(), 100 * e.getValue() / r.kernelMillis()))
                    .collect(Collectors.joining(", "));
            out.append(String.format("| %s | %d | %s | %s | %s | %.1f / %.1f MiB = %.3fx (%s) | %s | %s | %s | %s |%n",
                    arch, r.nodes(),
                    step == null ? "" : BenchMain.formatTime(step),
                    theirs == null ? "skipped" : BenchMain.formatTime(theirs),
                    theirs == null || step == null ? "" : String.format("%.2fx", theirs / step),
                    r.peakBytes() / 1048576.0, r.lowerBoundBytes() / 1048576.0, r.planRatio(),
                    r.planRatio() <= PLAN_TARGET ? "met" : "missed",
                    families,
                    step == null || exec == null ? "" : (step > exec ? BenchMain.formatTime(step - exec) : "below noise")
                            + " (forward - executorRun)",
                    replica == null || direct == null ? "" : String.format("%.1f us (%s)", (replica - direct) * 1e6,
                            (replica - direct) * 1e6 <= OVERHEAD_TARGET_US ? "met" : "missed"),
                    String.format("%.2f ms of %.1f ms", r.profiledForwardMillis() - r.kernelMillis(),
                            r.profiledForwardMillis())));
        }
        out.append("\nkernel time per family (ms, median of ").append(profiles).append(" profiled forwards):\n");
        for (DenoiserBenchmarks.Report r : reports) {
            out.append("- ").append(r.arch()).append(" (").append(r.shape()).append(", weights ")
                    .append(String.format("%.1f MiB", r.weightBytes() / 1048576.0)).append("): ")
                    .append(r.familyMillis().entrySet().stream().map(e -> String.format("%s %.1f", e.getKey(), e.getValue()))
                            .collect(Collectors.joining(", ")))
                    .append('\n');
        }
        return out.toString();
    }
}
