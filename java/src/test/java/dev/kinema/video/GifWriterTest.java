package dev.kinema.video;

import static dev.kinema.video.VideoFramesTest.assertArgument;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Node;

class GifWriterTest {
    private static final String GIF_IMAGE_FORMAT = "javax_imageio_gif_image_1.0";

    @TempDir
    Path dir;

    @Test
    void decodesBackToTheSameFramesDelayAndLoop() throws IOException {
        List<BufferedImage> frames = fewColourFrames(5, 20, 12);
        Path file = dir.resolve("out/video.gif");
        GifWriter.write(frames, 8, file);

        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            reader.setInput(in);
            assertEquals(frames.size(), reader.getNumImages(true));
            for (int i = 0; i < frames.size(); i++) {
                Node root = reader.getImageMetadata(i).getAsTree(GIF_IMAGE_FORMAT);
                Node control = child(root, "GraphicControlExtension");
                assertEquals("13", attribute(control, "delayTime"), "frame " + i); // round(100 / 8) = round(12.5)
                assertEquals("none", attribute(control, "disposalMethod"));
                assertEquals("FALSE", attribute(control, "transparentColorFlag"));
                Node loop = netscapeExtension(root);
                if (i == 0) {
                    assertNotNull(loop, "NETSCAPE2.0 loop extension on the first frame");
                    assertArrayEquals(new byte[] {1, 0, 0}, (byte[]) ((javax.imageio.metadata.IIOMetadataNode) loop).getUserObject());
                }
                PngFramesTest.assertPixelsEqual(frames.get(i), reader.read(i));
            }
        } finally {
            reader.dispose();
        }
    }

    @Test
    void palettesAreExactUpTo256ColoursAndAbsentPastThat() {
        BufferedImage many = new BufferedImage(16, 17, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 16 * 17; i++) {
            many.setRGB(i % 16, i / 16, i * 0x010203);
        }
        assertNull(GifWriter.withExactPalette(many)); // 272 colours
        BufferedImage exactly256 = many.getSubimage(0, 0, 16, 16);
        PngFramesTest.assertPixelsEqual(exactly256, GifWriter.withExactPalette(exactly256));
        BufferedImage one = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        PngFramesTest.assertPixelsEqual(one, GifWriter.withExactPalette(one));
    }

    @Test
    void manyColourFramesStillWrite() throws IOException {
        Random random = new Random(3);
        float[] video = new float[3 * 2 * 24 * 24];
        for (int i = 0; i < video.length; i++) {
            video[i] = random.nextFloat() * 2 - 1;
        }
        Path file = dir.resolve("noise.gif");
        GifWriter.write(VideoFrames.toImages(video, new long[] {3, 2, 24, 24}), 4, file);
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            reader.setInput(in);
            assertEquals(2, reader.getNumImages(true));
            assertEquals(24, reader.read(1).getWidth());
        } finally {
            reader.dispose();
        }
    }

    @Test
    void delayIsHundredthsOfASecond() {
        assertEquals(10, GifWriter.delayCentiseconds(10));
        assertEquals(13, GifWriter.delayCentiseconds(8));
        assertEquals(200, GifWriter.delayCentiseconds(0.5));
        assertEquals(1, GifWriter.delayCentiseconds(1000));
        assertEquals(65535, GifWriter.delayCentiseconds(0.001));
    }

    @Test
    void rejectsBadArguments() {
        List<BufferedImage> frames = fewColourFrames(2, 4, 4);
        Path file = dir.resolve("x.gif");
        assertArgument("fps", () -> GifWriter.write(frames, 0, file));
        assertArgument("fps", () -> GifWriter.write(frames, -8, file));
        assertArgument("fps", () -> GifWriter.write(frames, Double.NaN, file));
        assertArgument("frames", () -> GifWriter.write(List.of(), 8, file));
        assertArgument("frames", () -> GifWriter.write(List.of(frames.get(0), new BufferedImage(5, 4, 1)), 8, file));
        assertArgument("file", () -> GifWriter.write(frames, 8, null));
    }

    /** Frames of a few colours each, a different set per frame (so every frame needs its own palette). */
    static List<BufferedImage> fewColourFrames(int count, int width, int height) {
        int[] colours = {0x000000, 0xFFFFFF, 0xFF0000, 0x00FF00, 0x0000FF, 0x808080, 0x123456, 0xFEDCBA, 0x7F807F};
        List<BufferedImage> frames = new ArrayList<>();
        for (int f = 0; f < count; f++) {
            BufferedImage frame = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    frame.setRGB(x, y, colours[(f + (x / 3 + y / 2) % 5) % colours.length]);
                }
            }
            frames.add(frame);
        }
        return frames;
    }

    private static Node child(Node parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals(name)) {
                return n;
            }
        }
        return null;
    }

    private static String attribute(Node node, String name) {
        return node.getAttributes().getNamedItem(name).getNodeValue();
    }

    private static Node netscapeExtension(Node root) {
        Node extensions = child(root, "ApplicationExtensions");
        if (extensions == null) {
            return null;
        }
        for (Node n = extensions.getFirstChild(); n != null; n = n.getNextSibling()) {
            if ("NETSCAPE".equals(attribute(n, "applicationID")) && "2.0".equals(attribute(n, "authenticationCode"))) {
                return n;
            }
        }
        return null;
    }
}
