package dev.kinema.graph;

import dev.kinema.DType;

import java.util.Arrays;

/**
 * A tensor of a graph: a name, a dtype and a shape known at build time. Made by {@link GraphBuilder}
 * only; identity is the object (two values may share a name only across graphs).
 */
public final class Value {
    /** Where a value's bytes come from. */
    public enum Kind {
        /** Given to every run. */
        INPUT,
        /** Fixed for the executor's life, uploaded once. */
        WEIGHT,
        /** Written by a node (an op's output, or a view of another value). */
        NODE
    }

    private final int id;
    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final Kind kind;
    private final Value base;

    Value(int id, String name, DType dtype, long[] shape, Kind kind, Value base) {
        this.id = id;
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.kind = kind;
        this.base = base;
    }

    /** Index of this value in its graph's {@link Graph#values()}. */
    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    public Kind kind() {
        return kind;
    }

    /** The value whose bytes this view shares (itself a root: views of views point at the root); null if none. */
    public Value base() {
        return base;
    }

    /** The value that owns the bytes: base() for a view, else this. */
    public Value root() {
        return base == null ? this : base;
    }

    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    long[] shapeRef() {
        return shape;
    }

    /** e.g. "h1 f32[2, 8, 64]". */
    @Override
    public String toString() {
        return name + " " + dtype.id() + Arrays.toString(shape);
    }
}
