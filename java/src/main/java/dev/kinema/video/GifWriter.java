package dev.kinema.video;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * Writes frames as an animated GIF that loops forever: it plays in any browser, chat or issue
 * tracker without a video player. Uses the JDK's ImageIO GIF writer; looping is the NETSCAPE2.0
 * application extension, and every frame is shown for {@code round(100 / fps)} hundredths of a second
 * (GIF's time unit; at least 1).
 *
 * <p>GIF holds at most 256 colours per frame. A frame with 256 colours or fewer, which is typical of
 * small renders, gets a palette of exactly its colours, so it decodes back to the same pixels. A frame
 * with more is reduced to 256 colours by the ImageIO writer's own quantizer, approximately.
 */
public final class GifWriter {
    private static final String OP = "GifWriter.write";
    private static final int MAX_PALETTE = 256;
    private static final int MAX_DELAY = 0xFFFF;

    private GifWriter() {
    }

    /**
     * Writes frames to file as a looping animated GIF, replacing the file if it exists.
     *
     * @param fps frames per second, in [0.001, 1000]; GIF's 1/100 s clock rounds it
     */
    public static void write(List<BufferedImage> frames, double fps, Path file) throws IOException {
        Checks.frames(OP, frames, true);
        Checks.fps(OP, fps);
        Checks.path(OP, "file", file);
        int delay = delayCentiseconds(fps);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("gif");
        if (!writers.hasNext()) {
            throw new IOException("no ImageIO GIF writer");
        }
        ImageWriter writer = writers.next();
        try (OutputStream stream = Files.newOutputStream(file);
             ImageOutputStream out = ImageIO.createImageOutputStream(stream)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int i = 0; i < frames.size(); i++) {
                BufferedImage frame = frames.get(i);
                BufferedImage indexed = withExactPalette(frame);
                BufferedImage image = indexed != null ? indexed : frame;
                IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), null);
                describeFrame(metadata, delay, i == 0);
                writer.writeToSequence(new IIOImage(image, null, metadata), null);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
    }

    /** GIF's per-frame delay for a frame rate: hundredths of a second, rounded, in [1, 65535]. */
    public static int delayCentiseconds(double fps) {
        Checks.fps("GifWriter.delayCentiseconds", fps);
        return (int) Math.max(1, Math.min(MAX_DELAY, Math.round(100 / fps)));
    }

    /**
     * The image as an indexed-colour image whose palette is exactly its colours, in first-seen order;
     * null when it has more than 256.
     */
    static BufferedImage withExactPalette(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        int[] rgb = image.getRGB(0, 0, width, height, null, 0, width);
        Map<Integer, Integer> indexOf = new HashMap<>();
        byte[] r = new byte[MAX_PALETTE];
        byte[] g = new byte[MAX_PALETTE];
        byte[] b = new byte[MAX_PALETTE];
        byte[] pixels = new byte[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            int colour = rgb[i] & 0xFFFFFF;
            Integer index = indexOf.get(colour);
            if (index == null) {
                index = indexOf.size();
                if (index == MAX_PALETTE) {
                    return null;
                }
                indexOf.put(colour, index);
                r[index] = (byte) (colour >> 16);
                g[index] = (byte) (colour >> 8);
                b[index] = (byte) colour;
            }
            pixels[i] = (byte) (int) index;
        }
        // at least two entries: a one-colour palette is not a valid IndexColorModel for every consumer
        int size = Math.max(2, indexOf.size());
        IndexColorModel palette = new IndexColorModel(8, size, r, g, b);
        BufferedImage indexed = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED, palette);
        byte[] data = ((DataBufferByte) indexed.getRaster().getDataBuffer()).getData();
        System.arraycopy(pixels, 0, data, 0, pixels.length);
        return indexed;
    }

    /** Sets the frame's delay and disposal, and on the first frame the loop-forever extension. */
    private static void describeFrame(IIOMetadata metadata, int delay, boolean first) throws IOException {
        String format = metadata.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(format);
        IIOMetadataNode control = child(root, "GraphicControlExtension");
        control.setAttribute("disposalMethod", "none");
        control.setAttribute("userInputFlag", "FALSE");
        control.setAttribute("transparentColorFlag", "FALSE");
        control.setAttribute("transparentColorIndex", "0");
        control.setAttribute("delayTime", Integer.toString(delay));
        if (first) {
            IIOMetadataNode loop = new IIOMetadataNode("ApplicationExtension");
            loop.setAttribute("applicationID", "NETSCAPE");
            loop.setAttribute("authenticationCode", "2.0");
            loop.setUserObject(new byte[] {1, 0, 0}); // sub-block 1: loop count, 0 = forever (little endian)
            child(root, "ApplicationExtensions").appendChild(loop);
        }
        metadata.setFromTree(format, root);
    }

    private static IIOMetadataNode child(IIOMetadataNode parent, String name) {
        for (int i = 0; i < parent.getLength(); i++) {
            if (parent.item(i).getNodeName().equals(name)) {
                return (IIOMetadataNode) parent.item(i);
            }
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        parent.appendChild(node);
        return node;
    }
}
