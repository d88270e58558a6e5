package dev.kinema.sampling;

import dev.kinema.DType;
import dev.kinema.DdimParams;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.Prediction;
import dev.kinema.Tensor;
import dev.kinema.internal.ExclusiveUse;
import dev.kinema.models.Denoiser;
import dev.kinema.models.Layouts;

import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Samples videos from a {@link Denoiser}: the initial latent and every step's noise from the specified
 * {@link NoiseGenerator}, one batched forward per step for classifier-free guidance (the unconditional
 * rows first, then the conditional ones, as diffusers' pipelines concatenate them), and each update
 * through the fused ddim_step kernel ({@link SamplerPlan}), with the latent kept on the runtime in the
 * graph's channels-last layout between steps. Optional guidance rescale (Lin et al. 2023, diffusers'
 * guidance_rescale) is computed on the host from the two predictions.
 *
 * <p>Noise: the initial latent is noise tensor 0 of the request's seed and step i's eta noise is
 * tensor i + 1 ({@link NoiseGenerator}), each indexed in [B, C, F, H, W] order.
 *
 * <p>Known frames ({@link Request#withKnownFrames}): sampling conditioned on some frames of the video,
 * as in Video Diffusion Models (Ho et al. 2022, section 3.1), for prediction, interpolation and
 * extension of videos ({@link VideoExtender}, {@link HierarchicalSampler}). Two modes:
 * <ul>
 * <li>{@link Conditioning#REPLACEMENT}, VDM's replacement method: before the first step and after
 * every step, the known frames' latents are replaced by the known frames diffused forward to that
 * noise level, alpha x_a + sigma eps (the first step's alpha_t, sigma_t; after step i its alpha_s,
 * sigma_s). eps is noise tensor {@link #KNOWN_FRAME_STREAM} (before the first step) and
 * KNOWN_FRAME_STREAM + i + 1 (after step i) of the seed, indexed in the latent's [B, C, F, H, W]
 * order, so a frame's noise does not depend on which other frames are known; these streams are far
 * above the sampler's own 0..steps and {@link TextToVideoZero#RENOISE_STREAM}. After the plan's last
 * step the known frames are set to the given frames exactly (also when that step ends at alpha_s < 1,
 * e.g. DDIM without set_alpha_to_one); a request stopped early keeps them at its noise level.
 * <li>{@link Conditioning#RECONSTRUCTION}, VDM's reconstruction guidance (eq. 7): the known frames'
 * latents are replaced as above, and the model's clean-sample prediction of the unknown frames b is
 * corrected before each update, x~_b = x^_b - (w_r alpha_t / 2) grad_{z_b} |x_a - x^_a(z)|^2 =
 * x^_b - w_r alpha_t (J^T r)_b, with r = x^_a - x_a on the known frames and 0 on the others and J =
 * dx^/dz. Kinema has no backward pass, so J^T r is replaced by the Jacobian-vector product J r,
 * taken as the forward difference (x^(z + h r) - x^(z)) / h: one extra (guided, batched) forward per
 * step. This is exact when J is symmetric, which holds for the ideal (MMSE) denoiser: by Tweedie's
 * formula x^(z) = (z + sigma_t^2 grad log p_t(z)) / alpha_t, whose Jacobian (I + sigma_t^2 Hessian)
 * / alpha_t is symmetric, and so is classifier-free guidance's linear combination of two such
 * denoisers. For a learned network J is only approximately symmetric, and the step then uses J r
 * where eq. 7 has J^T r: x~_b differs from eq. 7's by w_r alpha_t ((J - J^T) r)_b (guidance
 * rescale's std factor, being nonlinear, is not symmetric either). h is chosen so that h r has an
 * RMS of 1e-3 max(RMS(z), 1) (RMS over the whole latent): the difference is then exact for a model
 * linear in z up to the f32 rounding of the two forwards' outputs (about 1e-7 of them, divided by the
 * 1e-3 perturbation: a few 1e-4 of the correction, as measured with a linear model), and a network
 * is close to linear over so small a move (its curvature adds an error of order h). No extra
 * forward is made when r is 0. The corrected x~ goes to ddim_step as an x0 prediction, so the
 * update's eps is (z - alpha_t x~) / sigma_t, the eps that x~ implies, with the request's eta and
 * clipping (x^ and r are taken before clipping).
 * </ul>
 * <p>Known frames go through the host: the latent is downloaded and uploaded once per step (twice
 * with reconstruction guidance), small next to a forward. They combine with temporal windows (the
 * extra forward then runs over every window too).
 *
 * <p>The model output and the latent are checked for NaN and infinities after every step
 * ({@link NonFiniteValueException}, naming the step).
 *
 * <p>Reusable across requests; one request at a time (one sampler, like one Denoiser, per thread): a
 * second thread's request while one runs is refused with ConcurrentUseException.
 * Progress is reported after every step; a request is cancelled between steps when `cancelled`
 * answers true (CancellationException).
 */
public final class VideoSampler {
    /** The first noise stream of the known frames' forward diffusion (2^33; see the class comment). */
    public static final long KNOWN_FRAME_STREAM = 2L << 32;

    /** The perturbation of reconstruction guidance's forward difference: RMS(h r) = this x max(RMS(z), 1). */
    static final double DIFFERENCE_SCALE = 1e-3;

    /** How known frames condition a request (see the class comment). */
    public enum Conditioning {
        /** VDM's replacement method: the known frames' latents are their forward-diffused values. */
        REPLACEMENT,
        /** Replacement plus VDM's reconstruction guidance (eq. 7) of the unknown frames, weight w_r. */
        RECONSTRUCTION
    }

    /**
     * Frames of the video given in advance.
     *
     * @param frames  latents [B, C, K, H, W] (diffusers' layout), host or runtime tensor; read when sampling starts
     * @param indices the frame of the latent each of the K frames is, distinct, in [0, F)
     * @param weight  w_r for RECONSTRUCTION (>= 0; VDM finds w_r > 1 works well); 0 for REPLACEMENT
     */
    public record KnownFrames(Tensor frames, int[] indices, Conditioning mode, double weight) {
        public KnownFrames {
            indices = indices == null ? null : indices.clone();
        }

        @Override
        public int[] indices() {
            return indices == null ? null : indices.clone();
        }
    }

    /** Called after each step: steps done, steps in all, seconds since the request started. */
    @FunctionalInterface
    public interface Progress {
        void step(int done, int total, double seconds);
    }

    /**
     * One sampling request.
     *
     * @param context         encoder_hidden_states [B, L, D] of the prompts
     * @param uncondContext   [B, L, D] of the negative / empty prompts, or null for no guidance
     * @param latentShape     [B, C, F, H, W] (diffusers' layout)
     * @param guidanceRescale 0 = off; diffusers' guidance_rescale phi otherwise
     * @param knownFrames     frames given in advance, or null ({@link #withKnownFrames})
     */
    public record Request(Tensor context, Tensor uncondContext, long[] latentShape, long seed, SamplerPlan.Sampler sampler,
                          int steps, double guidance, double eta, double guidanceRescale, int window, int overlap,
                          Tensor initialLatent, int stopAfter, KnownFrames knownFrames) {
        public Request {
            latentShape = latentShape.clone();
        }

        /** A request without known frames. */
        public Request(Tensor context, Tensor uncondContext, long[] latentShape, long seed, SamplerPlan.Sampler sampler,
                       int steps, double guidance, double eta, double guidanceRescale, int window, int overlap,
                       Tensor initialLatent, int stopAfter) {
            this(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale, window, overlap,
                    initialLatent, stopAfter, null);
        }

        /** A request without temporal windows: the model sees all frames at once. */
        public Request(Tensor context, Tensor uncondContext, long[] latentShape, long seed, SamplerPlan.Sampler sampler,
                       int steps, double guidance, double eta, double guidanceRescale) {
            this(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale, 0, 0, null, 0);
        }

        /** The same request starting from latent [B, C, F, H, W] instead of the seed's noise tensor 0. */
        public Request withInitialLatent(Tensor latent) {
            return new Request(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale,
                    window, overlap, latent, stopAfter, knownFrames);
        }

        /** The same request stopped after `steps` of its plan: sample returns that intermediate latent. */
        public Request stoppedAfter(int count) {
            return new Request(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale,
                    window, overlap, initialLatent, count, knownFrames);
        }

        /** The same request with another seed. */
        public Request withSeed(long newSeed) {
            return new Request(context, uncondContext, latentShape, newSeed, sampler, steps, guidance, eta, guidanceRescale,
                    window, overlap, initialLatent, stopAfter, knownFrames);
        }

        /** The same request for another latent shape (e.g. one frame). */
        public Request withLatentShape(long... shape) {
            return new Request(context, uncondContext, shape, seed, sampler, steps, guidance, eta, guidanceRescale,
                    window, overlap, initialLatent, stopAfter, knownFrames);
        }

        /**
         * The same request with sliding temporal windows: for clips longer than the frames a model was
         * trained on, each step runs the model on windows of `frames` frames, `overlap` frames shared
         * between neighbours (the last window ends at the last frame), and averages the predictions of
         * every frame over the windows that contain it.
         */
        public Request withWindows(int frames, int overlap) {
            return new Request(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale,
                    frames, overlap, initialLatent, stopAfter, knownFrames);
        }

        /**
         * The same request conditioned on known frames (see the class comment): frames [B, C, K, H, W]
         * are the latents of frames `frameIndices` (K distinct indices in [0, F)) of this request's
         * latent; weight is w_r for RECONSTRUCTION and must be 0 for REPLACEMENT.
         */
        public Request withKnownFrames(Tensor frames, int[] frameIndices, Conditioning mode, double weight) {
            KnownFrames known = new KnownFrames(frames, frameIndices, mode, weight);
            checkKnownFrames("VideoSampler.Request.withKnownFrames", latentShape, known);
            return new Request(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale,
                    window, overlap, initialLatent, stopAfter, known);
        }

        /** withKnownFrames(frames, frameIndices, REPLACEMENT, 0). */
        public Request withKnownFrames(Tensor frames, int... frameIndices) {
            return withKnownFrames(frames, frameIndices, Conditioning.REPLACEMENT, 0.0);
        }

        @Override
        public long[] latentShape() {
            return latentShape.clone();
        }
    }

    /** Checks a conditioning mode and its weight (w_r >= 0 for RECONSTRUCTION, 0 for REPLACEMENT). */
    static void checkConditioning(String op, Conditioning mode, double weight) {
        if (mode == null) {
            throw new InvalidArgumentException(op, "mode", "REPLACEMENT or RECONSTRUCTION", "null");
        }
        if (!Double.isFinite(weight) || weight < 0) {
            throw new InvalidArgumentException(op, "weight", "a finite w_r >= 0", String.valueOf(weight));
        }
        if (mode == Conditioning.REPLACEMENT && weight != 0) {
            throw new InvalidArgumentException(op, "weight", "0 (REPLACEMENT takes no weight)", String.valueOf(weight));
        }
    }

    /** Checks known frames against latent shape [B, C, F, H, W]. */
    static void checkKnownFrames(String op, long[] latentShape, KnownFrames k) {
        checkConditioning(op, k.mode(), k.weight());
        int[] idx = k.indices();
        if (idx == null || idx.length == 0) {
            throw new InvalidArgumentException(op, "frameIndices", "at least one frame index",
                    idx == null ? "null" : "none");
        }
        if (latentShape == null || latentShape.length != 5) {
            throw new InvalidArgumentException(op, "latentShape", "[B, C, F, H, W]", Arrays.toString(latentShape));
        }
        long frames = latentShape[2];
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= frames) {
                throw new InvalidArgumentException(op, "frameIndices", "indices in [0, " + frames + ") (the latent's frames)",
                        "frameIndices[" + i + "] = " + idx[i]);
            }
            if (!seen.add(idx[i])) {
                throw new InvalidArgumentException(op, "frameIndices", "distinct indices", "frame " + idx[i] + " twice in "
                        + Arrays.toString(idx));
            }
        }
        if (k.frames() == null || k.frames().isClosed()) {
            throw new InvalidArgumentException(op, "frames", "an open tensor", String.valueOf(k.frames()));
        }
        long[] want = {latentShape[0], latentShape[1], idx.length, latentShape[3], latentShape[4]};
        if (!Arrays.equals(k.frames().shape(), want)) {
            throw new InvalidArgumentException(op, "frames", Arrays.toString(want) + " ([B, C, K, H, W] of the latent, K = "
                    + idx.length + " indices)", Arrays.toString(k.frames().shape()));
        }
    }

    private final Kinema runtime;
    private final StepModel model;
    private final SchedulerConfig scheduler;
    private final ExclusiveUse use = new ExclusiveUse("VideoSampler");

    public VideoSampler(Denoiser denoiser, SchedulerConfig scheduler) {
        this(denoiser.runtime(), StepModel.of(denoiser), scheduler);
    }

    /** A sampler of any step model on runtime (the tensors it is given live there). */
    VideoSampler(Kinema runtime, StepModel model, SchedulerConfig scheduler) {
        this.runtime = runtime;
        this.model = model;
        this.scheduler = scheduler;
    }

    /** Runs request; returns the final sample as a new host tensor [B, C, F, H, W]. */
    public Tensor sample(Request r, Progress progress, BooleanSupplier cancelled) {
        try (ExclusiveUse.Held held = use.enter("sample")) {
            return sampleAlone(r, progress, cancelled);
        }
    }

    private Tensor sampleAlone(Request r, Progress progress, BooleanSupplier cancelled) {
        long[] s = r.latentShape();
        if (s.length != 5 || Arrays.stream(s).anyMatch(d -> d < 1)) {
            throw new InvalidArgumentException("VideoSampler.sample", "latentShape", "[B, C, F, H, W], all >= 1",
                    Arrays.toString(s));
        }
        long batch = s[0];
        long[] ctxShape = r.context().shape();
        if (ctxShape.length != 3 || ctxShape[0] != batch) {
            throw new InvalidArgumentException("VideoSampler.sample", "context", "[" + batch + ", L, D]",
                    Arrays.toString(ctxShape));
        }
        boolean guided = r.uncondContext() != null;
        if (guided && !Arrays.equals(r.uncondContext().shape(), ctxShape)) {
            throw new InvalidArgumentException("VideoSampler.sample", "uncondContext", Arrays.toString(ctxShape),
                    Arrays.toString(r.uncondContext().shape()));
        }
        SamplerPlan plan = SamplerPlan.of(scheduler, r.sampler(), r.steps(), r.eta(), guided ? r.guidance() : 1.0);
        long rows = guided ? 2 * batch : batch;
        int frames = (int) s[2];
        int window = r.window() > 0 && r.window() < frames ? r.window() : frames;
        if (r.window() < 0 || r.overlap() < 0 || (window < frames && r.overlap() >= window)) {
            throw new InvalidArgumentException("VideoSampler.sample", "window/overlap",
                    "window >= 0 and 0 <= overlap < window", r.window() + "/" + r.overlap());
        }
        long[] modelSample = {rows, s[1], window, s[3], s[4]};
        long[] modelContext = {rows, ctxShape[1], ctxShape[2]};
        long[] latent = {batch, s[2], s[3], s[4], s[1]};  // channels-last, the graph's layout
        long frameBytes = s[3] * s[4] * s[1] * DType.F32.byteSize();
        if (window < frames && frameBytes % Tensor.VIEW_ALIGNMENT != 0) {
            throw new InvalidArgumentException("VideoSampler.sample", "latentShape",
                    "frames of a multiple of " + Tensor.VIEW_ALIGNMENT / 4 + " elements for temporal windows",
                    Arrays.toString(s));
        }
        long numel = Arrays.stream(latent).reduce(1, (a, b) -> a * b);
        if (guided && numel * DType.F32.byteSize() % Tensor.VIEW_ALIGNMENT != 0) {
            // the two halves of the guided batch are views of one tensor, at a 256-byte boundary
            throw new InvalidArgumentException("VideoSampler.sample", "latentShape",
                    "a latent of a multiple of " + Tensor.VIEW_ALIGNMENT / 4 + " elements for guidance", Arrays.toString(s));
        }
        if (r.initialLatent() != null && !Arrays.equals(r.initialLatent().shape(), s)) {
            throw new InvalidArgumentException("VideoSampler.sample", "initialLatent", Arrays.toString(s),
                    Arrays.toString(r.initialLatent().shape()));
        }
        KnownFrames known = r.knownFrames();
        if (known != null) {
            checkKnownFrames("VideoSampler.sample", s, known);
        }
        model.prepare(modelSample, modelContext);
        long start = System.nanoTime();
        int last = r.stopAfter() > 0 ? Math.min(r.stopAfter(), plan.steps().size()) : plan.steps().size();
        boolean reconstruct = known != null && known.mode() == Conditioning.RECONSTRUCTION && known.weight() > 0
                && known.indices().length < frames;
        // the known frames channels-last [B, K, H, W, C], like the latent
        float[] given = known == null ? null : Layouts.toChannelsLast(known.frames().toFloats(), known.frames().shape());
        try (Tensor x = r.initialLatent() != null
                ? runtime.fromFloats(Layouts.toChannelsLast(r.initialLatent().toFloats(), s), Layouts.channelsLastShape(s))
                : initialLatent(r.seed(), s, plan.initialScale());
             Tensor modelIn = runtime.allocate(DType.F32, rows, window, latent[2], latent[3], latent[4]);
             Tensor averaged = window < frames ? runtime.allocate(DType.F32, rows, latent[1], latent[2], latent[3],
                     latent[4]) : null;
             Tensor probe = reconstruct ? runtime.allocate(DType.F32, latent) : null;
             Tensor t = Tensor.host(DType.F32, rows);
             Tensor ctx = contexts(r, guided);
             FiniteCheck finite = new FiniteCheck();
             Pass pass = new Pass(modelIn, averaged, t, ctx, rows, batch, frames, window, r.overlap(), frameBytes);
             Update update = new Update()) {
            double[] timesteps = plan.timesteps();
            float[] ts = new float[(int) rows];
            java.lang.foreign.MemorySegment tsSegment = java.lang.foreign.MemorySegment.ofArray(ts);
            if (known != null) {
                DdimParams first = plan.steps().get(0);
                replaceKnown(x, given, known.indices(), s, r.seed(), KNOWN_FRAME_STREAM, first.alphaT(), first.sigmaT(), false);
            }
            for (int i = 0; i < last; i++) {
                if (cancelled != null && cancelled.getAsBoolean()) {
                    throw new CancellationException("sampling cancelled after " + i + " of " + last + " steps");
                }
                Arrays.fill(ts, (float) timesteps[i]);
                t.segment().copyFrom(tsSegment);
                Tensor out = pass.predict(x);
                finite.check(out, "model output", i + 1, last, timesteps[i]);
                DdimParams p = plan.steps().get(i);
                try (Tensor noise = p.eta() > 0 ? noise(r.seed(), i + 1, s) : null) {
                    if (reconstruct) {
                        reconstructionStep(pass, x, out, probe, guided, p, r.guidanceRescale(), noise, latent, given,
                                known.indices(), known.weight());
                    } else {
                        step(update, x, out, guided, p, r.guidanceRescale(), noise, latent);
                    }
                }
                if (known != null) {
                    replaceKnown(x, given, known.indices(), s, r.seed(), KNOWN_FRAME_STREAM + i + 1, p.alphaS(), p.sigmaS(),
                            i == plan.steps().size() - 1);
                }
                finite.check(x, "latent", i + 1, last, timesteps[i]);
                if (progress != null) {
                    progress.step(i + 1, last, (System.nanoTime() - start) / 1e9);
                }
            }
            try (Tensor host = x.toHost()) {
                return Layouts.toChannelsFirst(host);
            }
        }
    }

    /** The first frame of each window: every `window - overlap` frames, the last window ending at the last frame. */
    static int[] windowStarts(int frames, int window, int overlap) {
        int stride = window - overlap;
        int count = (frames - window + stride - 1) / stride + 1;
        int[] starts = new int[count];
        for (int k = 0; k < count; k++) {
            starts[k] = Math.min(k * stride, frames - window);
        }
        return starts;
    }

    /** One request's model inputs: the model's prediction for a latent at the current timestep. */
    private final class Pass implements AutoCloseable {
        final Tensor modelIn, averaged, t, ctx;
        final long rows, batch, frameBytes;
        final int frames, window, overlap;
        /** modelIn's rows as views of the latent's shape, made on first use (a step allocates nothing). */
        private Tensor[] rowViews;

        Pass(Tensor modelIn, Tensor averaged, Tensor t, Tensor ctx, long rows, long batch, int frames, int window,
             int overlap, long frameBytes) {
            this.modelIn = modelIn;
            this.averaged = averaged;
            this.t = t;
            this.ctx = ctx;
            this.rows = rows;
            this.batch = batch;
            this.frames = frames;
            this.window = window;
            this.overlap = overlap;
            this.frameBytes = frameBytes;
        }

        /**
         * The model output [rows, F, H, W, C] for latent z [B, F, H, W, C] (each of its rows mod B),
         * valid until the next prediction.
         */
        Tensor predict(Tensor z) {
            if (window == frames) {
                if (rowViews == null) {
                    rowViews = new Tensor[(int) (rows / batch)];
                    for (int b = 0; b < rowViews.length; b++) {
                        rowViews[b] = modelIn.view(b * z.byteSize(), DType.F32, z.shape());
                    }
                }
                for (Tensor row : rowViews) {
                    row.copyFrom(z);
                }
                return model.evaluate(modelIn, t, ctx);
            }
            windowedPrediction(z);
            return averaged;
        }

        /**
         * The model's prediction for all frames from windows of `window` frames: each window's rows (z of
         * row mod B, frames [start, start + window)) go through the model, and each frame's predictions
         * are averaged over the windows that hold it, into `averaged` [rows, F, H, W, C].
         */
        private void windowedPrediction(Tensor z) {
            long[] frameShape = {z.dim(2), z.dim(3), z.dim(4)};
            long[] windowShape = {window, frameShape[0], frameShape[1], frameShape[2]};
            int[] starts = windowStarts(frames, window, overlap);
            int[] count = new int[frames];
            for (int start : starts) {
                for (long row = 0; row < rows; row++) {
                    try (Tensor src = z.view(((row % batch) * frames + start) * frameBytes, DType.F32, windowShape);
                         Tensor dst = modelIn.view(row * window * frameBytes, DType.F32, windowShape)) {
                        dst.copyFrom(src);
                    }
                }
                Tensor out = model.evaluate(modelIn, t, ctx);
                for (long row = 0; row < rows; row++) {
                    for (int f = 0; f < window; f++) {
                        int frame = start + f;
                        try (Tensor o = out.view((row * window + f) * frameBytes, DType.F32, frameShape);
                             Tensor a = averaged.view((row * frames + frame) * frameBytes, DType.F32, frameShape)) {
                            if (count[frame] == 0) {
                                a.copyFrom(o);
                            } else {
                                runtime.elementwiseInto("add", a, o, 1.0, 1.0, a);
                            }
                        }
                    }
                }
                for (int f = 0; f < window; f++) {
                    count[start + f]++;
                }
            }
            // a / count as scale_add(1/count, a, 0, zeros): z may not alias y, and zeros keep 0 * z exact
            try (Tensor zeros = runtime.fromFloats(new float[(int) frameShape[2]], frameShape[2])) {
                for (long row = 0; row < rows; row++) {
                    for (int f = 0; f < frames; f++) {
                        if (count[f] > 1) {
                            try (Tensor a = averaged.view((row * frames + f) * frameBytes, DType.F32, frameShape)) {
                                runtime.elementwiseInto("scale_add", a, zeros, 1.0 / count[f], 0.0, a);
                            }
                        }
                    }
                }
            }
        }

        @Override
        public void close() {
            if (rowViews != null) {
                for (Tensor row : rowViews) {
                    row.close();
                }
            }
        }
    }

    /**
     * The known frames of latent x [B, F, H, W, C] set to alpha given + sigma eps (eps: noise tensor
     * `stream` of seed at those frames, indexed in [B, C, F, H, W] order), or to given itself when
     * exact. A round trip through the host: the latent is small next to a forward.
     */
    private static void replaceKnown(Tensor x, float[] given, int[] indices, long[] ncthw, long seed, long stream,
                                     double alpha, double sigma, boolean exact) {
        float[] v = x.toFloats();
        long batch = ncthw[0], channels = ncthw[1], frames = ncthw[2], plane = ncthw[3] * ncthw[4];
        int k = indices.length;
        float[] eps = new float[(int) plane];
        for (long b = 0; b < batch; b++) {
            for (int j = 0; j < k; j++) {
                long f = indices[j];
                for (long c = 0; c < channels; c++) {
                    if (!exact) {
                        NoiseGenerator.fill(seed, stream, ((b * channels + c) * frames + f) * plane, eps);
                    }
                    for (long p = 0; p < plane; p++) {
                        float a = given[(int) (((b * k + j) * plane + p) * channels + c)];
                        v[(int) (((b * frames + f) * plane + p) * channels + c)] = exact ? a : (float) (alpha * a + sigma * eps[(int) p]);
                    }
                }
            }
        }
        try (Tensor host = Tensor.hostFromFloats(v, x.shape())) {
            x.copyFrom(host);
        }
    }

    /**
     * One update with reconstruction guidance (class comment): x^ from the model output at x, r on the
     * known frames, J r by a forward difference through a second prediction at x + h r, x~_b = x^_b -
     * w_r alpha_t (J r)_b, then ddim_step with x~ as an x0 prediction.
     */
    private void reconstructionStep(Pass pass, Tensor x, Tensor out, Tensor probe, boolean guided, DdimParams p,
                                    double rescale, Tensor noise, long[] latent, float[] given, int[] indices, double weight) {
        float[] z = x.toFloats();
        double[] x0 = cleanPrediction(prediction(out, guided, p.guidance(), rescale, latent), z, p);
        long batch = latent[0], frames = latent[1], per = latent[2] * latent[3] * latent[4];
        int k = indices.length;
        boolean[] isKnown = new boolean[(int) frames];
        double[] r = new double[z.length];
        double rr = 0, zz = 0;
        for (long b = 0; b < batch; b++) {
            for (int j = 0; j < k; j++) {
                isKnown[indices[j]] = true;
                for (long e = 0; e < per; e++) {
                    int at = (int) ((b * frames + indices[j]) * per + e);
                    r[at] = x0[at] - given[(int) ((b * k + j) * per + e)];
                    rr += r[at] * r[at];
                }
            }
        }
        for (float v : z) {
            zz += (double) v * v;
        }
        if (rr > 0 && p.alphaT() > 0) {
            double h = DIFFERENCE_SCALE * Math.max(Math.sqrt(zz / z.length), 1.0) / Math.sqrt(rr / z.length);
            float[] moved = new float[z.length];
            for (int e = 0; e < z.length; e++) {
                moved[e] = (float) (z[e] + h * r[e]);
            }
            try (Tensor host = Tensor.hostFromFloats(moved, latent)) {
                probe.copyFrom(host);
            }
            double[] x0Moved = cleanPrediction(prediction(pass.predict(probe), guided, p.guidance(), rescale, latent), moved, p);
            double scale = weight * p.alphaT() / h;
            for (int e = 0; e < z.length; e++) {
                if (!isKnown[(int) ((e / per) % frames)]) {
                    x0[e] -= scale * (x0Moved[e] - x0[e]);
                }
            }
        }
        float[] guidedX0 = new float[x0.length];
        for (int e = 0; e < x0.length; e++) {
            guidedX0[e] = (float) x0[e];
        }
        try (Tensor m = runtime.fromFloats(guidedX0, latent)) {
            DdimParams asX0 = new DdimParams(p.alphaT(), p.sigmaT(), p.alphaS(), p.sigmaS(), 1.0, Prediction.X0, p.eta(),
                    p.clipX0());
            runtime.ddimStepInto(x, m, null, noise, asX0, x, null);
        }
    }

    /**
     * The (guided, rescaled) model output m on the host: cond, or u + w (c - u), rescaled when rescale
     * > 0; in double, so that the forward difference sees no rounding beyond the model's own.
     */
    private static double[] prediction(Tensor out, boolean guided, double w, double rescale, long[] latent) {
        long bytes = Arrays.stream(latent).reduce(1, (a, b) -> a * b) * DType.F32.byteSize();
        float[] uf = null, cf;
        try (Tensor c = out.view(guided ? bytes : 0, DType.F32, latent)) {
            cf = c.toFloats();
        }
        if (guided) {
            try (Tensor u = out.view(0, DType.F32, latent)) {
                uf = u.toFloats();
            }
            if (rescale > 0) {
                try (Tensor rescaled = rescaledGuidance(uf, cf, w, rescale, latent)) {
                    cf = rescaled.toFloats();
                    uf = null;
                }
            }
        }
        double[] m = new double[cf.length];
        for (int e = 0; e < m.length; e++) {
            m[e] = uf == null ? cf[e] : uf[e] + w * ((double) cf[e] - uf[e]);
        }
        return m;
    }

    /** x^ of ddim_step (OPS.md, without clipping) for model output m at latent z: eps, v or x0 prediction. */
    static double[] cleanPrediction(double[] m, float[] z, DdimParams p) {
        double[] x0 = new double[m.length];
        for (int e = 0; e < m.length; e++) {
            x0[e] = switch (p.prediction()) {
                case EPS -> (z[e] - p.sigmaT() * m[e]) / p.alphaT();
                case V -> p.alphaT() * z[e] - p.sigmaT() * m[e];
                case X0 -> m[e];
            };
        }
        return x0;
    }

    /**
     * The plain update (no noise, no guidance rescale) as a ddim_step prepared once per model output
     * tensor, with views of its halves made once: the update of a step allocates nothing.
     */
    private final class Update implements AutoCloseable {
        private Tensor out, u, c;
        private dev.kinema.PreparedDdimStep call;

        void run(Tensor x, Tensor modelOut, boolean guided, DdimParams p, long[] latent) {
            if (modelOut != out) {  // the first step, or the model handed out another tensor
                close();
                out = modelOut;
                if (guided) {
                    u = modelOut.view(0, DType.F32, latent);
                    c = modelOut.view(x.byteSize(), DType.F32, latent);
                } else {
                    c = modelOut.view(0, DType.F32, latent);
                }
                call = runtime.prepareDdimStep(x, c, u, null, x);
            }
            call.run(p);
        }

        @Override
        public void close() {
            if (call != null) {
                call.close();
            }
            if (u != null) {
                u.close();
            }
            if (c != null) {
                c.close();
            }
            call = null;
            u = null;
            c = null;
            out = null;
        }
    }

    /** The update of one step: ddim_step on x from the model output (both halves when guided). */
    private void step(Update update, Tensor x, Tensor out, boolean guided, DdimParams p, double rescale, Tensor noise,
                      long[] latent) {
        if (noise == null && rescale <= 0) {
            update.run(x, out, guided, p, latent);
            return;
        }
        if (!guided) {
            try (Tensor c = out.view(0, DType.F32, latent)) {
                runtime.ddimStepInto(x, c, null, noise, p, x, null);
            }
            return;
        }
        try (Tensor u = out.view(0, DType.F32, latent); Tensor c = out.view(x.byteSize(), DType.F32, latent)) {
            if (rescale <= 0) {
                runtime.ddimStepInto(x, c, u, noise, p, x, null);
                return;
            }
            try (Tensor rescaled = runtime.upload(rescaledGuidance(u.toFloats(), c.toFloats(), p.guidance(), rescale,
                    latent))) {
                DdimParams unguided = new DdimParams(p.alphaT(), p.sigmaT(), p.alphaS(), p.sigmaS(), 1.0, p.prediction(),
                        p.eta(), p.clipX0());
                runtime.ddimStepInto(x, rescaled, null, noise, unguided, x, null);
            }
        }
    }

    /**
     * diffusers' rescale_noise_cfg per sample: cfg = u + w (c - u); cfg' = cfg std(c) / std(cfg);
     * result = phi cfg' + (1 - phi) cfg, std over all of a sample's elements (population std).
     */
    static Tensor rescaledGuidance(float[] u, float[] c, double w, double phi, long[] latent) {
        int per = (int) (u.length / latent[0]);
        float[] out = new float[u.length];
        for (int b = 0; b < latent[0]; b++) {
            double[] cfg = new double[per];
            double sc = 0, sc2 = 0, sg = 0, sg2 = 0;
            for (int k = 0; k < per; k++) {
                int i = b * per + k;
                cfg[k] = u[i] + w * (c[i] - u[i]);
                sc += c[i];
                sc2 += (double) c[i] * c[i];
                sg += cfg[k];
                sg2 += cfg[k] * cfg[k];
            }
            double stdC = Math.sqrt(Math.max(0, sc2 / per - (sc / per) * (sc / per)));
            double stdG = Math.sqrt(Math.max(0, sg2 / per - (sg / per) * (sg / per)));
            double factor = stdG > 0 ? stdC / stdG : 1.0;
            for (int k = 0; k < per; k++) {
                out[b * per + k] = (float) (phi * cfg[k] * factor + (1 - phi) * cfg[k]);
            }
        }
        return Tensor.hostFromFloats(out, latent);
    }

    /**
     * The initial latent: noise tensor 0 of seed, indexed in diffusers' [B, C, F, H, W] order (so the
     * same seed gives the same video whatever the internal layout), times the plan's initial scale.
     */
    private Tensor initialLatent(long seed, long[] ncthw, double scale) {
        float[] v = NoiseGenerator.normal(seed, 0, Math.toIntExact(Arrays.stream(ncthw).reduce(1, (a, b) -> a * b)));
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] * scale);
        }
        return runtime.fromFloats(Layouts.toChannelsLast(v, ncthw), Layouts.channelsLastShape(ncthw));
    }

    /** Noise tensor `stream` of seed (the eta noise of step stream - 1), indexed like the initial latent. */
    private Tensor noise(long seed, long stream, long[] ncthw) {
        float[] v = NoiseGenerator.normal(seed, stream, Math.toIntExact(Arrays.stream(ncthw).reduce(1, (a, b) -> a * b)));
        return runtime.fromFloats(Layouts.toChannelsLast(v, ncthw), Layouts.channelsLastShape(ncthw));
    }

    /** [uncond; cond] (guided) or cond, as one host tensor of the model's batch. */
    private static Tensor contexts(Request r, boolean guided) {
        float[] c = r.context().toFloats();
        if (!guided) {
            return Tensor.hostFromFloats(c, r.context().shape());
        }
        float[] u = r.uncondContext().toFloats(), both = new float[2 * c.length];
        System.arraycopy(u, 0, both, 0, u.length);
        System.arraycopy(c, 0, both, u.length, c.length);
        long[] shape = r.context().shape();
        return Tensor.hostFromFloats(both, 2 * shape[0], shape[1], shape[2]);
    }
}
