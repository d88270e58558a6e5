package dev.kinema.render;

import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.KinemaException;
import dev.kinema.models.ConfigReader;
import dev.kinema.models.Denoiser;
import dev.kinema.sampling.SchedulerConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A text-to-video pipeline folder in diffusers' layout: model_index.json naming the denoiser's
 * subfolder ({@code unet} or {@code transformer}), {@code text_encoder/} ({@link PromptEncoder}) and
 * {@code scheduler/scheduler_config.json}. The denoiser must work in pixel space (3 RGB channels in
 * and out): Kinema has no VAE to decode latents. Kinema's embedded shapes models (models/shapes-unet3d,
 * models/shapes-latte) are such folders; so is anything tools/train-default-model writes.
 *
 * <p>The frame count and size the model was trained on come from text_encoder/config.json
 * (frames, size) and are the render defaults. {@link #sha256()} identifies the exact model files for
 * render manifests.
 */
public final class TextToVideoModel implements AutoCloseable {
    /** The model_index.json keys that name a denoiser subfolder, in the order they are looked for. */
    static final List<String> DENOISER_KEYS = List.of("unet", "transformer");

    private final Path folder;
    private final Denoiser denoiser;
    private final PromptEncoder encoder;
    private final SchedulerConfig scheduler;
    private final int frames;
    private final int size;
    private final String sha256;

    private TextToVideoModel(Path folder, Denoiser denoiser, PromptEncoder encoder, SchedulerConfig scheduler,
                             int frames, int size, String sha256) {
        this.folder = folder;
        this.denoiser = denoiser;
        this.encoder = encoder;
        this.scheduler = scheduler;
        this.frames = frames;
        this.size = size;
        this.sha256 = sha256;
    }

    /** Opens folder on runtime with the denoiser's default options (per-frame spatial attention). */
    public static TextToVideoModel open(Kinema runtime, Path folder) {
        return open(runtime, folder, Denoiser.Options.defaults());
    }

    /** Opens folder on runtime; options choose e.g. the spatial attention mode of the denoiser. */
    public static TextToVideoModel open(Kinema runtime, Path folder, Denoiser.Options options) {
        Path index = folder.resolve("model_index.json");
        if (!Files.isRegularFile(index)) {
            throw new InvalidArgumentException("TextToVideoModel.open", "folder",
                    "a pipeline folder with model_index.json", folder + " (no model_index.json)");
        }
        ConfigReader modelIndex = ConfigReader.read(index);
        String key = DENOISER_KEYS.stream().filter(modelIndex::has).findFirst().orElse(null);
        modelIndex.require(key != null, "unet/transformer", "one of " + DENOISER_KEYS, "neither");
        PromptEncoder encoder = PromptEncoder.open(folder.resolve("text_encoder"));
        ConfigReader encoderConfig = ConfigReader.read(folder.resolve("text_encoder").resolve("config.json"));
        int frames = encoderConfig.integer("frames", -1);
        int size = encoderConfig.integer("size", -1);
        encoderConfig.require(frames >= 1, "frames", ">= 1 (the trained frame count)", frames);
        encoderConfig.require(size >= 1, "size", ">= 1 (the trained frame size)", size);
        ConfigReader denoiserConfig = ConfigReader.read(folder.resolve(key).resolve("config.json"));
        int in = denoiserConfig.integer("in_channels", 4);
        int out = denoiserConfig.integer("out_channels", in);
        // a latent model would need its VAE decoder, which Kinema does not have: pixel-space RGB only
        denoiserConfig.require(in == 3 && out == 3, "in_channels/out_channels",
                "3/3 (a pixel-space RGB model; latent models need a VAE decoder)", in + "/" + out);
        SchedulerConfig scheduler = SchedulerConfig.read(folder.resolve("scheduler").resolve("scheduler_config.json"));
        String hash = sha256(folder);
        Denoiser denoiser = Denoiser.open(runtime, folder.resolve(key), options);
        return new TextToVideoModel(folder, denoiser, encoder, scheduler, frames, size, hash);
    }

    /**
     * SHA-256 over the folder's regular files in sorted relative-path order, each as its path (UTF-8,
     * '/' separated), a NUL byte, then its bytes: the same files give the same hash on any machine.
     */
    public static String sha256(Path folder) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            List<Path> files;
            try (Stream<Path> walk = Files.walk(folder)) {
                files = walk.filter(Files::isRegularFile).map(folder::relativize)
                        .sorted((a, b) -> slashed(a).compareTo(slashed(b))).toList();
            }
            byte[] buffer = new byte[1 << 16];
            for (Path relative : files) {
                digest.update(slashed(relative).getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                try (InputStream in = Files.newInputStream(folder.resolve(relative))) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        digest.update(buffer, 0, n);
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("hashing " + folder + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new KinemaException("SHA-256 is not available in this JVM", e);
        }
    }

    private static String slashed(Path p) {
        return p.toString().replace('\\', '/');
    }

    public Path folder() {
        return folder;
    }

    public Denoiser denoiser() {
        return denoiser;
    }

    public PromptEncoder encoder() {
        return encoder;
    }

    public SchedulerConfig scheduler() {
        return scheduler;
    }

    /** The frame count the model was trained on (the render default). */
    public int frames() {
        return frames;
    }

    /** The frame height and width the model was trained on (the render default). */
    public int size() {
        return size;
    }

    /** {@link #sha256(Path)} of the folder, taken when it was opened. */
    public String sha256() {
        return sha256;
    }

    @Override
    public void close() {
        denoiser.close();
    }
}
