package dev.kinema;

import java.util.Arrays;

/** Argument checks of one op call; every failure names the op, the argument, expected and actual. */
final class OpChecks {
    private final String op;
    private final Kinema runtime;

    OpChecks(String op, Kinema runtime) {
        this.op = op;
        this.runtime = runtime;
    }

    InvalidArgumentException fail(String argument, String expected, String actual) {
        return new InvalidArgumentException(op, argument, expected, actual);
    }

    /** A required tensor: present, open, and a device tensor of this runtime. */
    Tensor input(String argument, Tensor t) {
        if (t == null) {
            throw fail(argument, "a tensor", "null");
        }
        return usable(argument, t);
    }

    Tensor optional(String argument, Tensor t) {
        return t == null ? null : usable(argument, t);
    }

    private Tensor usable(String argument, Tensor t) {
        if (t.isClosed()) {
            throw fail(argument, "an open tensor", "closed " + t);
        }
        if (t.isHost()) {
            throw fail(argument, "a tensor of this " + runtime + " runtime (upload host tensors first)", "host " + t);
        }
        if (t.runtime() != runtime) {
            throw fail(argument, "a tensor of this runtime (" + runtime + ")", "a tensor of " + t.runtime());
        }
        return t;
    }

    void rank(String argument, Tensor t, int rank, String dims) {
        if (t.rank() != rank) {
            throw fail(argument, "rank " + rank + " " + dims, "rank " + t.rank() + " " + Shapes.format(t.shape()));
        }
    }

    void dtype(String argument, Tensor t, DType expected, String source) {
        if (t != null && t.dtype() != expected) {
            throw fail(argument, "dtype " + expected.id() + " (the dtype of " + source + ")", t.dtype().id());
        }
    }

    void shape(String argument, Tensor t, long[] expected, String dims) {
        if (t != null && !Arrays.equals(t.shape(), expected)) {
            throw fail(argument, "shape " + Shapes.format(expected) + " " + dims, Shapes.format(t.shape()));
        }
    }

    /** output must not share memory with input. */
    void disjoint(String output, Tensor out, String input, Tensor in) {
        if (out != null && in != null && out.overlaps(in)) {
            throw fail(output, "memory disjoint from '" + input + "'", "memory overlapping '" + input + "'");
        }
    }

    /** output may be input itself (an in-place update) but must not partly overlap it. */
    void disjointOrSame(String output, Tensor out, String input, Tensor in) {
        if (out == null || in == null || !out.overlaps(in)) {
            return;
        }
        boolean same = out.address().address() == in.address().address() && out.byteSize() == in.byteSize();
        if (!same) {
            throw fail(output, "memory disjoint from '" + input + "' or identical to it",
                    "memory partly overlapping '" + input + "'");
        }
    }
}
