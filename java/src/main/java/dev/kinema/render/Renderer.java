package dev.kinema.render;

import dev.kinema.Backend;
import dev.kinema.InvalidArgumentException;
import dev.kinema.KinemaException;
import dev.kinema.MemoryBudget;
import dev.kinema.Tensor;
import dev.kinema.internal.ExclusiveUse;
import dev.kinema.sampling.VideoSampler;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Renders prompts with a {@link TextToVideoModel}: prompt encoding, then {@link VideoSampler} with
 * classifier-free guidance against the negative prompt. A pixel-space model's sample is the video
 * itself: [3, F, H, W] in [-1, 1].
 *
 * <p>Reusable across requests; one Renderer per thread (like the Denoiser and sampler under it): a
 * render from a second thread while one runs is refused with ConcurrentUseException.
 * Frames beyond the model's trained count are sampled with sliding temporal windows of the trained
 * length overlapping by half.
 */
public final class Renderer {
    /**
     * One rendered video.
     *
     * @param video   [channels, frames, size, size] floats, diffusers' [-1, 1] convention
     * @param seconds wall time of the sampling loop
     */
    public record Result(RenderSettings settings, float[] video, int channels, double seconds) {
        public int frames() {
            return settings.frames();
        }

        /** The floats of frame f: [channels, H, W] (a copy). */
        public float[] frame(int f) {
            int plane = settings.size() * settings.size(), frames = settings.frames();
            float[] out = new float[channels * plane];
            for (int c = 0; c < channels; c++) {
                System.arraycopy(video, (c * frames + f) * plane, out, c * plane, plane);
            }
            return out;
        }

        /** SHA-256 of each frame's floats ([C, H, W], little-endian IEEE float32), hex. */
        public List<String> frameSha256() {
            try {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                String[] out = new String[frames()];
                for (int f = 0; f < frames(); f++) {
                    float[] values = frame(f);
                    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    bytes.asFloatBuffer().put(values);
                    out[f] = HexFormat.of().formatHex(digest.digest(bytes.array()));
                }
                return List.of(out);
            } catch (NoSuchAlgorithmException e) {
                throw new KinemaException("SHA-256 is not available in this JVM", e);
            }
        }

        /**
         * The flicker index: the mean absolute change between consecutive frames, over all pixels and
         * channels, in the video's units (a static video scores 0; 0 for one frame).
         */
        public double flickerIndex() {
            return flickerIndex(video, channels, frames(), settings.size() * settings.size());
        }

        static double flickerIndex(float[] video, int channels, int frames, int plane) {
            if (frames < 2) {
                return 0;
            }
            double sum = 0;
            for (int c = 0; c < channels; c++) {
                for (int f = 1; f < frames; f++) {
                    int a = (c * frames + f - 1) * plane, b = (c * frames + f) * plane;
                    for (int i = 0; i < plane; i++) {
                        sum += Math.abs(video[b + i] - video[a + i]);
                    }
                }
            }
            return sum / ((double) channels * (frames - 1) * plane);
        }
    }

    /** TextToVideoModel admits pixel-space RGB models only. */
    static final int CHANNELS = 3;

    private final TextToVideoModel model;
    private final VideoSampler sampler;
    private final ExclusiveUse use = new ExclusiveUse("Renderer");

    public Renderer(TextToVideoModel model) {
        if (model == null) {
            throw new InvalidArgumentException("Renderer", "model", "an open TextToVideoModel", "null");
        }
        this.model = model;
        this.sampler = new VideoSampler(model.denoiser(), model.scheduler());
    }

    public TextToVideoModel model() {
        return model;
    }

    /**
     * Checks that s can be rendered with this model (its prompts' words, the frame size and count the
     * denoiser takes) without running anything; throws InvalidArgumentException naming what is wrong,
     * or, on the host backends, MemoryLimitException when the planned activations and sampling buffers
     * exceed {@link MemoryBudget#availableBytes()}.
     */
    public void check(RenderSettings s) {
        PromptEncoder encoder = model.encoder();
        encoder.tokenize(s.prompt());
        encoder.tokenize(s.negative());
        long rows = s.guidance() > 1.0 ? 2 : 1;
        long[] sample = {rows, CHANNELS, Math.min(s.frames(), model.frames()), s.size(), s.size()};
        long[] context = {rows, encoder.promptLength(), encoder.hiddenSize()};
        model.denoiser().checkInputs(sample, context);
        Backend backend = model.denoiser().runtime().backend();
        if (backend == Backend.CPU || backend == Backend.CUDA_EMU) {  // activations live in host memory
            long activations = model.denoiser().activationBytes(sample, context);
            // the latent, the guided model input, the window average and the host copies of a step, each
            // at most rows x the whole video, counted generously
            long video = (long) CHANNELS * s.frames() * s.size() * s.size() * Float.BYTES;
            long buffers = 8 * rows * video;
            MemoryBudget.require("Renderer.check: " + s.frames() + " frames of " + s.size() + "x" + s.size(),
                    activations + buffers, "activations " + MemoryBudget.mib(activations) + " + sampling buffers "
                            + MemoryBudget.mib(buffers));
        }
    }

    /** Renders s; progress after every step (may be null); cancelled is polled between steps (may be null). */
    public Result render(RenderSettings s, VideoSampler.Progress progress, BooleanSupplier cancelled) {
        try (ExclusiveUse.Held held = use.enter("render")) {
            return renderAlone(s, progress, cancelled);
        }
    }

    private Result renderAlone(RenderSettings s, VideoSampler.Progress progress, BooleanSupplier cancelled) {
        check(s);
        PromptEncoder encoder = model.encoder();
        int channels = CHANNELS;
        long[] latent = {1, channels, s.frames(), s.size(), s.size()};
        boolean guided = s.guidance() > 1.0;
        try (Tensor context = encoder.encode(List.of(s.prompt()));
             Tensor uncond = guided ? encoder.encode(List.of(s.negative())) : null) {
            VideoSampler.Request request = new VideoSampler.Request(context, uncond, latent, s.seed(), s.sampler(),
                    s.steps(), s.guidance(), s.eta(), 0.0);
            if (s.frames() > model.frames()) {
                request = request.withWindows(model.frames(), model.frames() / 2);
            }
            long start = System.nanoTime();
            try (Tensor video = sampler.sample(request, progress, cancelled)) {
                double seconds = (System.nanoTime() - start) / 1e9;
                return new Result(s, video.toFloats(), channels, seconds);
            }
        }
    }
}
