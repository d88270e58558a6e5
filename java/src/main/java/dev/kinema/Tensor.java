package dev.kinema;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A dense, row-major tensor: storage of one dtype and a shape (strides are contiguous, in elements).
 * A host tensor owns Java-allocated native memory; a device tensor belongs to a {@link Kinema}
 * runtime and holds an address that only the runtime's backend may dereference.
 *
 * <p>Close a tensor to free its memory (idempotent); any later use throws IllegalStateException.
 * Closing a runtime closes its device tensors. A tensor must not be closed while another thread
 * is using it.
 */
public final class Tensor implements AutoCloseable {
    /** Host storage alignment; covers the widest vector loads of the cpu backend. */
    static final long HOST_ALIGNMENT = 64;
    /** The byte offsets {@link #view} accepts are multiples of this (kn_malloc's alignment). */
    public static final long VIEW_ALIGNMENT = 256;

    private final DType dtype;
    private final long[] shape;
    private final long numel;
    private final Kinema runtime;
    private final Arena hostArena;
    private final MemorySegment segment;
    /** The tensor whose memory a view shares; null for a tensor that owns its memory. */
    private final Tensor parent;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Tensor(DType dtype, long[] shape, Kinema runtime, Arena hostArena, MemorySegment segment, Tensor parent) {
        this.dtype = dtype;
        this.shape = shape;
        this.numel = Shapes.numel(shape);
        this.runtime = runtime;
        this.hostArena = hostArena;
        this.segment = segment;
        this.parent = parent;
    }

    /**
     * Host memory from arena; the JVM's OutOfMemoryError for a size the machine cannot hold becomes a
     * typed MemoryLimitException (an Error would end many services, and nothing was allocated).
     */
    static MemorySegment hostAllocate(Arena arena, long bytes, String op) {
        try {
            return arena.allocate(bytes, HOST_ALIGNMENT);
        } catch (OutOfMemoryError e) {
            throw new MemoryLimitException(op + ": cannot allocate " + bytes + " bytes of host memory (" + e.getMessage()
                    + ")", bytes);
        }
    }

    /** A zero-filled host tensor with its own memory. */
    public static Tensor host(DType dtype, long... shape) {
        long[] checked = Shapes.checked("Tensor.host", shape, dtype);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment data = hostAllocate(arena, Shapes.numel(checked) * dtype.byteSize(), "Tensor.host");
            return new Tensor(dtype, checked, null, arena, data, null);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** An f32 host tensor holding data (row-major). */
    public static Tensor hostFromFloats(float[] data, long... shape) {
        return hostFromFloats(DType.F32, data, shape);
    }

    /** A host tensor of dtype holding data rounded to it (round to nearest even). */
    public static Tensor hostFromFloats(DType dtype, float[] data, long... shape) {
        checkData("Tensor.hostFromFloats", data, Shapes.checked("Tensor.hostFromFloats", shape, dtype));
        Tensor tensor = host(dtype, shape);
        Elements.encode(data, tensor.segment, dtype);
        return tensor;
    }

    /** A device tensor of runtime at address (already allocated by the runtime). */
    static Tensor device(Kinema runtime, DType dtype, long[] shape, MemorySegment address) {
        return new Tensor(dtype, shape, runtime, null, MemorySegment.ofAddress(address.address()), null);
    }

    /**
     * A non-owning view of this tensor's memory: the bytes from byteOffset on, read as dtype with shape
     * (row-major). No data moves; the view lives on the same host or runtime as this tensor. byteOffset
     * must be a multiple of {@link #VIEW_ALIGNMENT} and the view must end within this tensor's bytes.
     * Closing a view only marks it closed; closing the tensor that owns the memory makes every view of
     * it unusable. A view of a view depends on that owning tensor only.
     */
    public Tensor view(long byteOffset, DType dtype, long... shape) {
        ensureOpen();
        long[] checked = Shapes.checked("Tensor.view", shape, dtype);
        if (byteOffset < 0 || byteOffset % VIEW_ALIGNMENT != 0) {
            throw new InvalidArgumentException("Tensor.view", "byteOffset", "a multiple of " + VIEW_ALIGNMENT + " >= 0",
                    Long.toString(byteOffset));
        }
        long bytes = Shapes.numel(checked) * dtype.byteSize();
        if (byteOffset > byteSize() || bytes > byteSize() - byteOffset) {
            throw new InvalidArgumentException("Tensor.view", "shape", "at most " + (byteSize() - Math.min(byteOffset, byteSize()))
                    + " bytes from offset " + byteOffset + " of " + this, bytes + " bytes (" + dtype.id()
                    + Shapes.format(checked) + ")");
        }
        Tensor root = parent != null ? parent : this;
        MemorySegment data = isHost() ? segment.asSlice(byteOffset, bytes)
                : MemorySegment.ofAddress(segment.address() + byteOffset);
        return new Tensor(dtype, checked, runtime, null, data, root);
    }

    /** view(0, dtype(), shape): the same bytes with a new shape of the same element count. */
    public Tensor reshape(long... shape) {
        ensureOpen();
        long[] checked = Shapes.checked("Tensor.reshape", shape, dtype);
        if (Shapes.numel(checked) != numel) {
            throw new InvalidArgumentException("Tensor.reshape", "shape", numel + " elements (the count of " + this + ")",
                    Shapes.format(checked) + " with " + Shapes.numel(checked) + " elements");
        }
        return view(0, dtype, checked);
    }

    /** True for a tensor made by {@link #view} or {@link #reshape}, which owns no memory. */
    public boolean isView() {
        return parent != null;
    }

    static void checkData(String op, float[] data, long[] shape) {
        long numel = Shapes.numel(shape);
        if (data == null) {
            throw new InvalidArgumentException(op, "data", numel + " floats", "null");
        }
        if (data.length != numel) {
            throw new InvalidArgumentException(op, "data", numel + " floats for shape " + Shapes.format(shape),
                    data.length + " floats");
        }
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Row-major strides in elements. */
    public long[] strides() {
        return Shapes.contiguousStrides(shape);
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    public long numel() {
        return numel;
    }

    public long byteSize() {
        return numel * dtype.byteSize();
    }

    public boolean isHost() {
        return runtime == null;
    }

    /** The runtime owning this device tensor; null for a host tensor. */
    public Kinema runtime() {
        return runtime;
    }

    /**
     * Host tensor: its data. Device tensor: a zero-length segment carrying the device address,
     * for passing to native code; never dereference it.
     */
    public MemorySegment segment() {
        ensureOpen();
        return segment;
    }

    /** The values as floats, converted from f16/bf16 exactly; device data is copied through the runtime. */
    public float[] toFloats() {
        ensureOpen();
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(this + " has " + numel + " elements, too many for a float[]");
        }
        if (isHost()) {
            return Elements.decode(segment, dtype, (int) numel);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = hostAllocate(arena, Math.max(1, byteSize()), "Tensor.toFloats");
            runtime.copyDeviceToHost(staging, segment, byteSize());
            return Elements.decode(staging, dtype, (int) numel);
        }
    }

    /** A new host tensor with the same dtype, shape and values. */
    public Tensor toHost() {
        ensureOpen();
        Tensor copy = host(dtype, shape);
        try {
            copy.copyFrom(this);
            return copy;
        } catch (RuntimeException | Error e) {
            copy.close();
            throw e;
        }
    }

    /** Copies src's values into this tensor; same dtype and shape, any host or device on either side. */
    public void copyFrom(Tensor src) {
        ensureOpen();
        if (src == null) {
            throw new InvalidArgumentException("Tensor.copyFrom", "src", "a tensor", "null");
        }
        if (src.isClosed()) {
            throw new InvalidArgumentException("Tensor.copyFrom", "src", "an open tensor", "closed " + src);
        }
        if (src.dtype != dtype) {
            throw new InvalidArgumentException("Tensor.copyFrom", "src", "dtype " + dtype.id(), src.dtype.id());
        }
        if (!java.util.Arrays.equals(src.shape, shape)) {
            throw new InvalidArgumentException("Tensor.copyFrom", "src", "shape " + Shapes.format(shape),
                    Shapes.format(src.shape));
        }
        long bytes = byteSize();
        if (src == this || bytes == 0) {
            return;
        }
        if (isHost() && src.isHost()) {
            MemorySegment.copy(src.segment, 0, segment, 0, bytes);
        } else if (isHost()) {
            src.runtime.copyDeviceToHost(segment, src.segment, bytes);
        } else if (src.isHost()) {
            runtime.copyHostToDevice(segment, src.segment, bytes);
        } else if (src.runtime == runtime) {
            runtime.copyDeviceToDevice(segment, src.segment, bytes);
        } else {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment staging = hostAllocate(arena, bytes, "Tensor.copyFrom");
                src.runtime.copyDeviceToHost(staging, src.segment, bytes);
                runtime.copyHostToDevice(segment, staging, bytes);
            }
        }
    }

    /** True once this tensor, or for a view the tensor it came from, is closed. */
    public boolean isClosed() {
        return closed.get() || (parent != null && parent.closed.get());
    }

    /** Frees the memory (a view only marks itself closed); idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (parent != null) {
            return;
        }
        if (isHost()) {
            hostArena.close();
        } else {
            runtime.release(this);
        }
    }

    /** The device address, or the host data address; for the op layer. */
    MemorySegment address() {
        return segment;
    }

    /** True when the byte ranges of this tensor and other intersect. */
    boolean overlaps(Tensor other) {
        long start = segment.address();
        long otherStart = other.segment.address();
        long size = Math.max(1, byteSize());
        long otherSize = Math.max(1, other.byteSize());
        return start < otherStart + otherSize && otherStart < start + size;
    }

    void ensureOpen() {
        if (isClosed()) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /** e.g. "Tensor f32[2, 3] on cpu" or "Tensor bf16[4] on host". */
    @Override
    public String toString() {
        return "Tensor " + dtype.id() + Shapes.format(shape) + " on " + (isHost() ? "host" : runtime.backend().id());
    }
}
