package dev.kinema.graph;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Where every tensor of a graph lives while it runs: the schedule (the node order), and for each
 * value that owns bytes in the arena (graph inputs and node outputs; views share their root's slot)
 * a {@link Slot}: byte offset and size in one arena and the steps it is live for. Weights are not in
 * the arena. Made by {@link MemoryPlanner#plan}.
 *
 * <p>{@link #peakBytes} is the arena's size; {@link #lowerBoundBytes} the largest sum of slot sizes
 * live at one step, which no placement of these lifetimes can beat.
 */
public final class MemoryPlan {
    /** Slot offsets and sizes are multiples of this many bytes (kn_malloc's alignment). */
    public static final long ALIGNMENT = 256;

    /**
     * One tensor's place: bytes [offset, offset + size) of the arena, live from step first to step last
     * (inclusive; inputs from step 0, outputs to the last step, so they are copied in before and out after).
     */
    public record Slot(Value value, long offset, long size, int first, int last) {
        /** True when the two slots are live at a common step. */
        public boolean overlapsInTime(Slot other) {
            return first <= other.last && other.first <= last;
        }

        /** True when the two slots share an arena byte. */
        public boolean overlapsInSpace(Slot other) {
            return offset < other.offset + other.size && other.offset < offset + size;
        }
    }

    private final List<Node> schedule;
    private final Map<Value, Slot> slots;
    private final long peakBytes;
    private final long lowerBoundBytes;

    MemoryPlan(List<Node> schedule, Map<Value, Slot> slots, long peakBytes, long lowerBoundBytes) {
        this.schedule = List.copyOf(schedule);
        this.slots = Collections.unmodifiableMap(slots);
        this.peakBytes = peakBytes;
        this.lowerBoundBytes = lowerBoundBytes;
    }

    /** The nodes in the order they run. */
    public List<Node> schedule() {
        return schedule;
    }

    /** Root value to its slot, for every value in the arena. */
    public Map<Value, Slot> slots() {
        return slots;
    }

    /** The slot holding value's bytes (its root's slot for a view); null for a weight or a view of one. */
    public Slot slot(Value value) {
        return slots.get(value.root());
    }

    /** The arena's size in bytes. */
    public long peakBytes() {
        return peakBytes;
    }

    /** The largest sum of (aligned) sizes of slots live at the same step. */
    public long lowerBoundBytes() {
        return lowerBoundBytes;
    }

    @Override
    public String toString() {
        return "MemoryPlan " + schedule.size() + " nodes, " + slots.size() + " slots, peak " + peakBytes
                + " bytes, lower bound " + lowerBoundBytes + " bytes";
    }
}
