package dev.kinema.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans a graph's memory: the schedule is the graph's node order (topological by construction);
 * every graph input and node output gets a lifetime (the step that writes it to the last step that
 * reads it or a view of it; inputs live from step 0, graph outputs to the last step) and an offset in
 * one arena such that tensors live at the same step never share a byte.
 *
 * <p>Offsets: four greedy passes, each putting every tensor into the best-fitting (smallest
 * sufficient) gap left by the tensors already placed whose lifetimes meet its own, or past them all.
 * The passes take the tensors largest first, in the order they come alive, longest-lived first, and
 * by size times lifetime; the smallest arena wins. In-place reuse (an output written
 * over a dead input) is not attempted.
 */
public final class MemoryPlanner {
    private MemoryPlanner() {
    }

    public static MemoryPlan plan(Graph graph) {
        List<Node> schedule = graph.nodes();
        int last = Math.max(0, schedule.size() - 1);
        Map<Value, int[]> lives = new LinkedHashMap<>();
        for (Value input : graph.inputs().values()) {
            lives.put(input, new int[] {0, 0});
        }
        for (Node node : schedule) {
            for (Value in : node.inputs().values()) {
                int[] life = lives.get(in.root());
                if (life != null) {
                    life[1] = Math.max(life[1], node.index());
                }
            }
            if (!node.isView()) {
                for (Value out : node.outputs().values()) {
                    lives.put(out, new int[] {node.index(), node.index()});
                }
            }
        }
        for (Value out : graph.outputs().values()) {
            int[] life = lives.get(out.root());
            if (life != null) {
                life[1] = last;
            }
        }
        int n = lives.size();
        Value[] values = lives.keySet().toArray(new Value[0]);
        long[] sizes = new long[n];
        int[] first = new int[n];
        int[] lastUse = new int[n];
        for (int i = 0; i < n; i++) {
            sizes[i] = align(values[i].byteSize());
            int[] life = lives.get(values[i]);
            first[i] = life[0];
            lastUse[i] = life[1];
        }
        long[] offsets = assign(sizes, first, lastUse);
        Map<Value, MemoryPlan.Slot> slots = new LinkedHashMap<>();
        long peak = 0;
        for (int i = 0; i < n; i++) {
            slots.put(values[i], new MemoryPlan.Slot(values[i], offsets[i], sizes[i], first[i], lastUse[i]));
            peak = Math.max(peak, offsets[i] + sizes[i]);
        }
        return new MemoryPlan(schedule, slots, peak, lowerBound(sizes, first, lastUse));
    }

    /** bytes rounded up to {@link MemoryPlan#ALIGNMENT}; at least one alignment unit, so every slot has its own address. */
    static long align(long bytes) {
        long a = MemoryPlan.ALIGNMENT;
        return Math.max(a, Math.addExact(bytes, a - 1) / a * a);
    }

    /** The largest sum of sizes of intervals [first, last] (inclusive) that share a step. */
    static long lowerBound(long[] sizes, int[] first, int[] last) {
        int steps = 0;
        for (int l : last) {
            steps = Math.max(steps, l + 1);
        }
        long[] delta = new long[steps + 1];
        for (int i = 0; i < sizes.length; i++) {
            delta[first[i]] += sizes[i];
            delta[last[i] + 1] -= sizes[i];
        }
        long live = 0;
        long best = 0;
        for (int s = 0; s < steps; s++) {
            live += delta[s];
            best = Math.max(best, live);
        }
        return best;
    }

    /** Offsets for tensors of sizes (multiples of the alignment) live over [first, last]; the best of four greedy orders. */
    static long[] assign(long[] sizes, int[] first, int[] last) {
        List<Comparator<Integer>> orders = List.of(
                Comparator.<Integer>comparingLong(i -> -sizes[i]).thenComparingInt(i -> first[i]),
                Comparator.<Integer>comparingInt(i -> first[i]).thenComparingLong(i -> -sizes[i]),
                Comparator.<Integer>comparingInt(i -> first[i] - last[i]).thenComparingLong(i -> -sizes[i]),
                Comparator.<Integer>comparingDouble(i -> -(double) sizes[i] * (1 + last[i] - first[i])));
        long cap = lowerBound(sizes, first, last);
        long[] best = null;
        for (Comparator<Integer> comparator : orders) {
            Integer[] order = order(sizes.length, comparator);
            for (long[] offsets : List.of(place(order, sizes, first, last, 0), place(order, sizes, first, last, cap))) {
                if (best == null || extent(offsets, sizes) < extent(best, sizes)) {
                    best = offsets;
                }
            }
        }
        return best;
    }

    private static Integer[] order(int n, Comparator<Integer> comparator) {
        Integer[] order = new Integer[n];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, comparator.thenComparingInt(i -> i));
        return order;
    }

    private static long extent(long[] offsets, long[] sizes) {
        long end = 0;
        for (int i = 0; i < offsets.length; i++) {
            end = Math.max(end, offsets[i] + sizes[i]);
        }
        return end;
    }

    /**
     * Each tensor in order goes to the smallest gap that fits among the placed tensors live with it, else
     * past them. With a cap (the lower bound) the space up to the cap counts as one more gap, and a tensor
     * is put flush against the cap when its gap reaches the cap but not offset 0: tensors of a chain then
     * alternate between the bottom and the top of the arena, which packs a chain at its lower bound.
     */
    private static long[] place(Integer[] order, long[] sizes, int[] first, int[] last, long cap) {
        long[] offsets = new long[sizes.length];
        List<Integer> placed = new ArrayList<>();
        List<long[]> busy = new ArrayList<>();
        for (int i : order) {
            busy.clear();
            for (int j : placed) {
                if (first[i] <= last[j] && first[j] <= last[i]) {
                    busy.add(new long[] {offsets[j], offsets[j] + sizes[j]});
                }
            }
            busy.sort(Comparator.comparingLong(r -> r[0]));
            long best = -1;
            long bestGap = Long.MAX_VALUE;
            long cursor = 0;
            for (long[] range : busy) {
                long gap = range[0] - cursor;
                if (gap >= sizes[i] && gap < bestGap) {
                    best = cursor;
                    bestGap = gap;
                }
                cursor = Math.max(cursor, range[1]);
            }
            long toCap = cap - cursor;
            if (toCap >= sizes[i] && toCap < bestGap) {
                best = cursor == 0 ? 0 : cap - sizes[i];
            }
            offsets[i] = best >= 0 ? best : cursor;
            placed.add(i);
        }
        return offsets;
    }
}
