package dev.kinema.video;

import dev.kinema.InvalidArgumentException;

import java.util.Arrays;

/**
 * The frame count and frame size of an RGB video held as one flat float array in [3, F, H, W] order
 * (channels first, the layout a render comes out in), checked against the array it describes.
 */
record VideoShape(int frames, int height, int width) {

    /** Validates shape ({@code [3, F, H, W]}, every dimension >= 1) and that video holds exactly that many floats. */
    static VideoShape of(String op, String videoName, float[] video, String shapeName, long[] shape) {
        if (shape == null) {
            throw new InvalidArgumentException(op, shapeName, "[3, F, H, W]", "null");
        }
        if (shape.length != 4 || shape[0] != 3) {
            throw new InvalidArgumentException(op, shapeName, "[3, F, H, W] (RGB, channels first)", Arrays.toString(shape));
        }
        if (shape[1] < 1 || shape[2] < 1 || shape[3] < 1) {
            throw new InvalidArgumentException(op, shapeName, "F, H, W >= 1", Arrays.toString(shape));
        }
        long numel;
        try {
            numel = Math.multiplyExact(Math.multiplyExact(3L, shape[1]), Math.multiplyExact(shape[2], shape[3]));
        } catch (ArithmeticException e) {
            numel = Long.MAX_VALUE;
        }
        if (numel > Integer.MAX_VALUE) {
            throw new InvalidArgumentException(op, shapeName, "at most 2^31-1 elements (one Java array)",
                    Arrays.toString(shape));
        }
        if (video == null) {
            throw new InvalidArgumentException(op, videoName, numel + " floats", "null");
        }
        if (video.length != numel) {
            throw new InvalidArgumentException(op, videoName, numel + " floats for shape " + Arrays.toString(shape),
                    video.length + " floats");
        }
        return new VideoShape((int) shape[1], (int) shape[2], (int) shape[3]);
    }

    /** Pixels in one frame of one channel. */
    int planeSize() {
        return height * width;
    }

    /** Offset of frame f's first pixel in channel c. */
    int planeOffset(int channel, int frame) {
        return (channel * frames + frame) * planeSize();
    }
}
