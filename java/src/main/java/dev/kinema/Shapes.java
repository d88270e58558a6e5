package dev.kinema;

import dev.kinema.raw.kinema_h;

import java.util.Arrays;

/** Shape checks and arithmetic shared by tensors and ops. */
final class Shapes {
    private Shapes() {
    }

    /** A validated copy of shape: rank <= KN_MAX_RANK, dims >= 0, byte size representable. */
    static long[] checked(String op, long[] shape, DType dtype) {
        if (dtype == null) {
            throw new InvalidArgumentException(op, "dtype", "one of f32, f16, bf16", "null");
        }
        if (shape == null) {
            throw new InvalidArgumentException(op, "shape", "an array of dimensions", "null");
        }
        if (shape.length > kinema_h.KN_MAX_RANK()) {
            throw new InvalidArgumentException(op, "shape", "rank <= " + kinema_h.KN_MAX_RANK(),
                    "rank " + shape.length + " " + format(shape));
        }
        long bytes = dtype.byteSize();
        for (long dim : shape) {
            if (dim < 0) {
                throw new InvalidArgumentException(op, "shape", "dimensions >= 0", format(shape));
            }
            try {
                bytes = Math.multiplyExact(bytes, dim);
            } catch (ArithmeticException e) {
                throw new InvalidArgumentException(op, "shape", "at most 2^63-1 bytes", format(shape) + " " + dtype.id());
            }
        }
        return shape.clone();
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long dim : shape) {
            n *= dim;
        }
        return n;
    }

    /** Row-major strides in elements, the last dimension fastest. */
    static long[] contiguousStrides(long[] shape) {
        long[] strides = new long[shape.length];
        long stride = 1;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            strides[axis] = stride;
            stride *= shape[axis];
        }
        return strides;
    }

    static String format(long[] shape) {
        return Arrays.toString(shape);
    }
}
