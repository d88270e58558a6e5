package dev.kinema.video;

import static dev.kinema.video.VideoFramesTest.assertArgument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jcodec.api.FrameGrab;
import org.jcodec.api.JCodecException;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.Picture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Mp4WriterTest {
    @TempDir
    Path dir;

    @Test
    void smoothMovingSquareDecodesBackClose() throws IOException, JCodecException {
        int frames = 12;
        List<BufferedImage> input = VideoFrames.toImages(movingSquare(frames, 32, 32), new long[] {3, frames, 32, 32}, 4);
        Path file = dir.resolve("out/square.mp4");
        Mp4Writer.write(input, 8, file);

        List<BufferedImage> decoded = decode(file);
        assertEquals(frames, decoded.size());
        for (int f = 0; f < frames; f++) {
            BufferedImage in = input.get(f);
            BufferedImage out = decoded.get(f);
            assertEquals(128, out.getWidth());
            assertEquals(128, out.getHeight());
            double psnr = psnr255(in, out, 128, 128);
            assertTrue(psnr > 40, "frame " + f + ": " + psnr + " dB"); // about 45.5 dB at the default quantizer
            double[] meanIn = meanRgb(in);
            double[] meanOut = meanRgb(out);
            for (int c = 0; c < 3; c++) {
                assertEquals(meanIn[c], meanOut[c], 1.0, "frame " + f + " channel " + c + " mean");
            }
        }
        try (SeekableByteChannel channel = NIOUtils.readableChannel(file.toFile())) {
            assertEquals(frames / 8.0, FrameGrab.createFrameGrab(channel).getVideoTrack().getMeta().getTotalDuration(), 1e-9);
        }
    }

    @Test
    void coloursSurviveAsPlayersReadThem() throws IOException, JCodecException {
        // six 16x16 patches (a macroblock each). Read with the wrong range, the greys come back 9 to 16
        // levels off; with the BT.709 matrix instead of BT.601, the colours 6 to 40 levels off.
        int[] colours = {0xC03020, 0x30B040, 0x2040C0, 0xD0D0D0, 0x303030, 0x00FF00};
        BufferedImage frame = new BufferedImage(48, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 48; x++) {
                frame.setRGB(x, y, colours[(y / 16) * 3 + x / 16]);
            }
        }
        Path file = dir.resolve("patches.mp4");
        Mp4Writer.write(List.of(frame, frame), 8, file);
        for (BufferedImage out : decode(file)) {
            for (int p = 0; p < colours.length; p++) {
                int expected = colours[p];
                int actual = out.getRGB((p % 3) * 16 + 8, (p / 3) * 16 + 8);
                for (int shift = 0; shift < 24; shift += 8) {
                    assertEquals((expected >> shift) & 0xFF, (actual >> shift) & 0xFF, 4.0,
                            String.format("patch %d: %06x decoded as %06x", p, expected, actual & 0xFFFFFF));
                }
            }
        }
    }

    @Test
    void oddSizesArePaddedByRepeatingTheEdge() throws IOException, JCodecException {
        List<BufferedImage> input = VideoFrames.toImages(movingSquare(3, 31, 33), new long[] {3, 3, 31, 33});
        Path file = dir.resolve("odd.mp4");
        Mp4Writer.write(input, 24, file);
        List<BufferedImage> decoded = decode(file);
        assertEquals(3, decoded.size());
        for (int f = 0; f < 3; f++) {
            BufferedImage out = decoded.get(f);
            assertEquals(34, out.getWidth());
            assertEquals(32, out.getHeight());
            assertTrue(psnr255(input.get(f), out, 33, 31) > 30);
            // the padding column and row repeat the frame's last column and row
            BufferedImage padded = new BufferedImage(34, 32, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 34; x++) {
                    padded.setRGB(x, y, input.get(f).getRGB(Math.min(x, 32), Math.min(y, 30)));
                }
            }
            assertTrue(psnr255(padded, out, 34, 32) > 30);
        }
    }

    @Test
    void frameRatesAreRational() {
        assertEquals(8, Mp4Writer.frameRate(8).getNum());
        assertEquals(1, Mp4Writer.frameRate(8).getDen());
        assertEquals(29970, Mp4Writer.frameRate(29.97).getNum());
        assertEquals(1000, Mp4Writer.frameRate(29.97).getDen());
    }

    @Test
    void rejectsBadArguments() {
        List<BufferedImage> frames = List.of(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB));
        Path file = dir.resolve("x.mp4");
        assertArgument("fps", () -> Mp4Writer.write(frames, 0, file));
        assertArgument("fps", () -> Mp4Writer.write(frames, Double.POSITIVE_INFINITY, file));
        assertArgument("qp", () -> Mp4Writer.write(frames, 8, 52, file));
        assertArgument("frames", () -> Mp4Writer.write(List.of(), 8, file));
        assertArgument("frames", () -> Mp4Writer.write(List.of(frames.get(0), new BufferedImage(8, 6, 1)), 8, file));
        assertArgument("file", () -> Mp4Writer.write(frames, 8, null));
    }

    /**
     * A [3, F, H, W] video of a soft-edged orange square moving one pixel right and down per frame over
     * a blue-to-green gradient.
     */
    static float[] movingSquare(int frames, int height, int width) {
        float[] video = new float[3 * frames * height * width];
        double[] square = {0.9, 0.3, -0.6};
        for (int f = 0; f < frames; f++) {
            double left = 6 + f;
            double top = 5 + f;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    double inside = edge(x - left) * edge(left + 12 - x) * edge(y - top) * edge(top + 12 - y);
                    double[] background = {-0.7, -0.6 + 1.2 * y / height, 0.6 - 1.0 * x / width};
                    for (int c = 0; c < 3; c++) {
                        double v = background[c] + inside * (square[c] - background[c]);
                        video[((c * frames + f) * height + y) * width + x] = (float) v;
                    }
                }
            }
        }
        return video;
    }

    private static double edge(double d) {
        return 1 / (1 + Math.exp(-d / 1.2));
    }

    /** Every frame of an MP4, decoded by jcodec and converted from BT.601 limited-range Y'CbCr to RGB. */
    static List<BufferedImage> decode(Path file) throws IOException, JCodecException {
        List<BufferedImage> frames = new ArrayList<>();
        try (SeekableByteChannel channel = NIOUtils.readableChannel(file.toFile())) {
            FrameGrab grab = FrameGrab.createFrameGrab(channel);
            for (Picture picture; (picture = grab.getNativeFrame()) != null; ) {
                frames.add(toRgb(picture));
            }
        }
        return frames;
    }

    /** BT.601, limited range: the inverse of the matrix in Rec. ITU-R BT.601 for 8-bit samples; 4:2:0 chroma by nearest sample. */
    private static BufferedImage toRgb(Picture picture) {
        int width = picture.getCroppedWidth();
        int height = picture.getCroppedHeight();
        byte[] luma = picture.getPlaneData(0);
        byte[] cb = picture.getPlaneData(1);
        byte[] cr = picture.getPlaneData(2);
        int lumaStride = picture.getPlaneWidth(0);
        int chromaStride = picture.getPlaneWidth(1);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                // jcodec stores every sample minus 128
                double l = 255.0 / 219 * (luma[y * lumaStride + x] + 128 - 16);
                double b = cb[(y / 2) * chromaStride + x / 2];
                double r = cr[(y / 2) * chromaStride + x / 2];
                int red = clamp(l + 255.0 / 224 * 1.402 * r);
                int green = clamp(l - 255.0 / 224 * (1.772 * 0.114 / 0.587) * b - 255.0 / 224 * (1.402 * 0.299 / 0.587) * r);
                int blue = clamp(l + 255.0 / 224 * 1.772 * b);
                image.setRGB(x, y, red << 16 | green << 8 | blue);
            }
        }
        return image;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    static double psnr255(BufferedImage a, BufferedImage b, int width, int height) {
        double sum = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift < 24; shift += 8) {
                    int d = ((p >> shift) & 0xFF) - ((q >> shift) & 0xFF);
                    sum += d * d;
                }
            }
        }
        return Psnr.fromMse(sum / (3.0 * width * height), 255);
    }

    private static double[] meanRgb(BufferedImage image) {
        double[] sum = new double[3];
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                sum[0] += (p >> 16) & 0xFF;
                sum[1] += (p >> 8) & 0xFF;
                sum[2] += p & 0xFF;
            }
        }
        double n = image.getWidth() * (double) image.getHeight();
        return new double[] {sum[0] / n, sum[1] / n, sum[2] / n};
    }
}
