package dev.kinema;

import java.util.Locale;

/** Which key/value frames frame t of q attends to in {@code attention} (OPS.md). */
public enum KvFrames {
    /** Frame t of k/v (Tk = T): spatial self-attention per frame. */
    SAME("same", 0),
    /** Frame 0 of k/v. */
    FIRST("first", 1),
    /** Frames 0 and max(t-1, 0), concatenated along N (Tk = T). */
    SPARSE_CAUSAL("sparse_causal", 2),
    /** All Tk frames, concatenated along N. */
    ALL("all", 3),
    /** k, v are [B,L,heads,D], shared by every frame. */
    CONTEXT("context", 4);

    private final String id;
    private final int code;

    KvFrames(String id, int code) {
        this.id = id;
        this.code = code;
    }

    /** The OPS.md name. */
    public String id() {
        return id;
    }

    /** The ABI's KN_KV_FRAMES_* value. */
    int code() {
        return code;
    }

    /** same, first, sparse_causal, all or context (case-insensitive). */
    public static KvFrames parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (KvFrames f : values()) {
            if (f.id.equals(t)) {
                return f;
            }
        }
        throw new InvalidArgumentException(FrameAttentionOp.ATTENTION, "kv_frames",
                "one of same, first, sparse_causal, all, context", text == null ? "null" : "'" + text + "'");
    }
}
