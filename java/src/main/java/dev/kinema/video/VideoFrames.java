package dev.kinema.video;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a rendered video, floats in [3, F, H, W] order with values in [-1, 1], into one RGB image per
 * frame, optionally enlarged by an integer factor with nearest-neighbour sampling (renders are small,
 * e.g. 32x32; a viewer wants them x4 without blurring).
 *
 * <p>A value x becomes the byte {@code rint(clamp(x / 2 + 0.5, 0, 1) * 255)} computed in float32,
 * which is what diffusers' {@code VaeImageProcessor.postprocess} does
 * ({@code (x / 2 + 0.5).clamp(0, 1)}, then numpy's {@code (images * 255).round()}): ties round to
 * even, so 76.5 becomes 76 and 229.5 becomes 230. The same render therefore gives the same pixels
 * here as in a PyTorch pipeline. NaN becomes 0.
 */
public final class VideoFrames {
    private static final String OP = "VideoFrames.toImages";

    private VideoFrames() {
    }

    /** The frames of video at their rendered size. */
    public static List<BufferedImage> toImages(float[] video, long[] shape) {
        return toImages(video, shape, 1);
    }

    /**
     * The frames of video, each pixel repeated into a scale x scale block.
     *
     * @param video floats in [3, F, H, W] order, values in [-1, 1] (others are clamped)
     * @param shape {@code {3, F, H, W}}
     * @param scale the enlargement factor, >= 1
     * @return F images of type {@link BufferedImage#TYPE_INT_RGB}, (W * scale) x (H * scale)
     */
    public static List<BufferedImage> toImages(float[] video, long[] shape, int scale) {
        VideoShape s = VideoShape.of(OP, "video", video, "shape", shape);
        Checks.scale(OP, scale, s.width(), s.height());
        List<BufferedImage> frames = new ArrayList<>(s.frames());
        for (int f = 0; f < s.frames(); f++) {
            frames.add(frame(video, s, f, scale));
        }
        return frames;
    }

    /** The 8-bit value of one channel sample x, as diffusers computes it (see the class comment). */
    public static int toByte(float x) {
        float v = x / 2f + 0.5f;
        if (!(v > 0f)) {
            return 0; // negative, zero or NaN
        }
        if (v > 1f) {
            v = 1f;
        }
        return (int) Math.rint(v * 255f);
    }

    private static BufferedImage frame(float[] video, VideoShape s, int f, int scale) {
        int red = s.planeOffset(0, f);
        int green = s.planeOffset(1, f);
        int blue = s.planeOffset(2, f);
        int[] rgb = new int[s.planeSize()];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = toByte(video[red + i]) << 16 | toByte(video[green + i]) << 8 | toByte(video[blue + i]);
        }
        return enlarged(rgb, s.width(), s.height(), scale);
    }

    /** An image of packed 0xRRGGBB pixels (row-major, width x height), each repeated into a scale x scale block. */
    static BufferedImage enlarged(int[] rgb, int width, int height, int scale) {
        int outWidth = width * scale;
        BufferedImage image = new BufferedImage(outWidth, height * scale, BufferedImage.TYPE_INT_RGB);
        int[] out = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        for (int oy = 0; oy < height * scale; oy++) {
            int row = (oy / scale) * width;
            int outRow = oy * outWidth;
            for (int ox = 0; ox < outWidth; ox++) {
                out[outRow + ox] = rgb[row + ox / scale];
            }
        }
        return image;
    }
}
