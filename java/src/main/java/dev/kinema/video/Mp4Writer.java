package dev.kinema.video;

import dev.kinema.InvalidArgumentException;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jcodec.codecs.h264.H264Encoder;
import org.jcodec.codecs.h264.encode.RateControl;
import org.jcodec.codecs.h264.io.model.SliceType;
import org.jcodec.common.Codec;
import org.jcodec.common.MuxerTrack;
import org.jcodec.common.VideoCodecMeta;
import org.jcodec.common.VideoEncoder;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Packet;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Rational;
import org.jcodec.common.model.Size;
import org.jcodec.containers.mp4.muxer.MP4Muxer;

/**
 * Writes frames as an H.264 MP4 file, the format every player, browser and slide deck takes, with
 * jcodec (a pure-Java encoder: nothing to install).
 *
 * <p>Colours: the stream carries no colour description, so players assume what they assume for
 * standard-definition H.264, BT.601 coefficients and limited ("TV") range. The frames are converted to
 * exactly that here, luma 16..235 and chroma 16..240, chroma averaged over 2x2 pixels (4:2:0).
 * jcodec's own RGB conversion is full range, which the same players would show with crushed shadows
 * and highlights, and it shifts colours by a few levels even before encoding.
 *
 * <p>Quality: jcodec's default rate control codes P frames at quantizer 26 and raises it when a frame
 * runs over its bit budget; this writer codes every frame at one constant quantizer instead,
 * {@link #DEFAULT_QP} unless given (lower is better and larger). Baseline profile, an IDR frame every 25
 * frames.
 *
 * <p>Sizes: 4:2:0 needs even width and height. A frame with an odd width or height is padded by
 * repeating its last column or row, so the video is then one pixel wider or taller than the frames.
 */
public final class Mp4Writer {
    private static final String OP = "Mp4Writer.write";

    /**
     * The quantizer used unless one is given: fine enough that coding noise does not pass for render
     * artefacts (a smooth 128x128 test video decodes back at about 45 dB PSNR, 1 KB a frame).
     */
    public static final int DEFAULT_QP = 12;

    private Mp4Writer() {
    }

    /** Writes frames to file at {@link #DEFAULT_QP}; see {@link #write(List, double, int, Path)}. */
    public static void write(List<BufferedImage> frames, double fps, Path file) throws IOException {
        write(frames, fps, DEFAULT_QP, file);
    }

    /**
     * Writes frames to file as H.264 in MP4, replacing the file if it exists.
     *
     * @param frames frames of one size
     * @param fps frames per second, in [0.001, 1000]
     * @param qp the H.264 quantizer, 0 (best) to 51 (smallest)
     */
    public static void write(List<BufferedImage> frames, double fps, int qp, Path file) throws IOException {
        Checks.frames(OP, frames, true);
        Checks.fps(OP, fps);
        if (qp < 0 || qp > 51) {
            throw new InvalidArgumentException(OP, "qp", "an H.264 quantizer in [0, 51]", Integer.toString(qp));
        }
        Checks.path(OP, "file", file);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Rational rate = frameRate(fps);
        int width = evenUp(frames.get(0).getWidth());
        int height = evenUp(frames.get(0).getHeight());
        H264Encoder encoder = new H264Encoder(new ConstantQp(qp));
        try (SeekableByteChannel channel = NIOUtils.writableChannel(file.toFile())) {
            MP4Muxer muxer = MP4Muxer.createMP4MuxerToChannel(channel);
            MuxerTrack track = muxer.addVideoTrack(Codec.H264,
                    VideoCodecMeta.createSimpleVideoCodecMeta(new Size(width, height), ColorSpace.YUV420J));
            ByteBuffer buffer = null;
            for (int i = 0; i < frames.size(); i++) {
                Picture picture = toYuv420(frames.get(i), width, height);
                if (buffer == null) {
                    buffer = ByteBuffer.allocate(encoder.estimateBufferSize(picture));
                }
                buffer.clear();
                VideoEncoder.EncodedFrame encoded = encoder.encodeFrame(picture, buffer);
                Packet.FrameType type = encoded.isKeyFrame() ? Packet.FrameType.KEY : Packet.FrameType.INTER;
                track.addFrame(Packet.createPacket(NIOUtils.clone(encoded.getData()), (long) i * rate.getDen(),
                        rate.getNum(), rate.getDen(), i, type, null));
            }
            muxer.finish();
        }
    }

    /** fps as a rational: n/1 for whole rates, else in thousandths (29.97 is 29970/1000). */
    static Rational frameRate(double fps) {
        if (fps == Math.rint(fps)) {
            return Rational.R((int) fps, 1);
        }
        return Rational.R((int) Math.round(fps * 1000), 1000);
    }

    private static int evenUp(int n) {
        return n + (n & 1);
    }

    /**
     * The image in BT.601 limited-range Y'CbCr 4:2:0, width x height (even, at least the image's size;
     * pixels past the image repeat its last column and row). jcodec's H.264 encoder takes only pictures
     * tagged YUV420J; the tag carries no range here, the stream has none (see the class comment).
     */
    static Picture toYuv420(BufferedImage image, int width, int height) {
        int imageWidth = image.getWidth();
        int imageHeight = image.getHeight();
        int[] rgb = image.getRGB(0, 0, imageWidth, imageHeight, null, 0, imageWidth);
        Picture picture = Picture.create(width, height, ColorSpace.YUV420J);
        byte[] luma = picture.getPlaneData(0);
        byte[] cb = picture.getPlaneData(1);
        byte[] cr = picture.getPlaneData(2);
        int chromaWidth = width / 2;
        for (int y = 0; y < height; y += 2) {
            for (int x = 0; x < width; x += 2) {
                double cbSum = 0;
                double crSum = 0;
                for (int dy = 0; dy < 2; dy++) {
                    for (int dx = 0; dx < 2; dx++) {
                        int pixel = rgb[Math.min(y + dy, imageHeight - 1) * imageWidth + Math.min(x + dx, imageWidth - 1)];
                        double r = ((pixel >> 16) & 0xFF) / 255.0;
                        double g = ((pixel >> 8) & 0xFF) / 255.0;
                        double b = (pixel & 0xFF) / 255.0;
                        luma[(y + dy) * width + x + dx] = sample(16 + 65.481 * r + 128.553 * g + 24.966 * b);
                        cbSum += 128 - 37.797 * r - 74.203 * g + 112.0 * b;
                        crSum += 128 + 112.0 * r - 93.786 * g - 18.214 * b;
                    }
                }
                cb[(y / 2) * chromaWidth + x / 2] = sample(cbSum / 4);
                cr[(y / 2) * chromaWidth + x / 2] = sample(crSum / 4);
            }
        }
        return picture;
    }

    /** An 8-bit sample as jcodec stores it: rounded, clamped to 0..255, minus 128. */
    private static byte sample(double value) {
        long v = Math.round(value);
        return (byte) (Math.max(0, Math.min(255, v)) - 128);
    }

    /** One quantizer for every macroblock of every frame. */
    private record ConstantQp(int qp) implements RateControl {
        @Override
        public int startPicture(Size size, int maxSize, SliceType sliceType) {
            return qp;
        }

        @Override
        public int initialQpDelta() {
            return 0;
        }

        @Override
        public int accept(int bits) {
            return 0;
        }
    }
}
