package dev.kinema.graph;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Wall time per node of one {@link GraphExecutor#profile} run (the runtime synchronized after every
 * node, so asynchronous backends are timed too), with napkin bytes and FLOPs per node.
 */
public final class Profile {
    /** One node's measurements; family groups ops (conv, linear, attention, norm, elementwise, ...). */
    public record Entry(String node, String op, String family, long nanos, long bytes, long flops) {
    }

    private final List<Entry> entries;

    Profile(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** The nodes in schedule order (views, which cost nothing, left out). */
    public List<Entry> entries() {
        return entries;
    }

    public long totalNanos() {
        return entries.stream().mapToLong(Entry::nanos).sum();
    }

    /** Total nanoseconds per op family, largest first. */
    public Map<String, Long> nanosByFamily() {
        Map<String, Long> sums = new LinkedHashMap<>();
        for (Entry e : entries) {
            sums.merge(e.family(), e.nanos(), Long::sum);
        }
        Map<String, Long> sorted = new LinkedHashMap<>();
        sums.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** A Markdown table of the nodes, slowest first, then the share of each op family. */
    public String table() {
        double total = Math.max(1, totalNanos());
        StringBuilder t = new StringBuilder();
        t.append("| node | op | time (us) | share | GB/s | GFLOP/s |\n|---|---|---:|---:|---:|---:|\n");
        List<Entry> slowest = new ArrayList<>(entries);
        slowest.sort(Comparator.comparingLong(Entry::nanos).reversed());
        for (Entry e : slowest) {
            double ns = Math.max(1, e.nanos());
            t.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f%% | %.2f | %.2f |%n", e.node(), e.op(),
                    e.nanos() / 1e3, 100 * e.nanos() / total, e.bytes() / ns, e.flops() / ns));
        }
        t.append(String.format(Locale.ROOT, "%n| family | time (us) | share |%n|---|---:|---:|%n"));
        nanosByFamily().forEach((family, ns) -> t.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f%% |%n",
                family, ns / 1e3, 100 * ns / total)));
        t.append(String.format(Locale.ROOT, "%ntotal %.1f us over %d nodes%n", total / 1e3, entries.size()));
        return t.toString();
    }

    @Override
    public String toString() {
        return table();
    }
}
