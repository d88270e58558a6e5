package dev.kinema.sampling;

import dev.kinema.DType;
import dev.kinema.DdimParams;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.graph.GraphExecutor;
import dev.kinema.models.Denoiser;
import dev.kinema.models.Layouts;

import java.util.Arrays;
import java.util.Map;
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
 * <p>Reusable across requests; not thread-safe (one sampler, like one Denoiser, per thread).
 * Progress is reported after every step; a request is cancelled between steps when `cancelled`
 * answers true (CancellationException).
 */
public final class VideoSampler {
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
     */
    public record Request(Tensor context, Tensor uncondContext, long[] latentShape, long seed, SamplerPlan.Sampler sampler,
                          int steps, double guidance, double eta, double guidanceRescale, int window, int overlap,
                          Tensor initialLatent, int stopAfter) {
        public Request {
            latentShape = latentShape.clone();
        }

        /** A request without temporal windows: the model sees all frames at once. */
        public Request(Tensor context, Tensor uncondContext, long[] latentShape, long seed, SamplerPlan.Sampler sampler,
                       int steps, double guidance, double eta, double guidanceRescale) {
            this(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale, 0, 0, null, 0);
        }

        /** The same request starting from latent [B, C, F, H, W] instead of the seed's noise tensor 0. */
        public Request withInitialLatent(Tensor latent) {
            return new Request(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale,
                    window, overlap, latent, stopAfter);
        }

        /** The same request stopped after `steps` of its plan: sample returns that intermediate latent. */
        public Request stoppedAfter(int count) {
            return new Request(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale,
                    window, overlap, initialLatent, count);
        }

        /** The same request for another latent shape (e.g. one frame). */
        public Request withLatentShape(long... shape) {
            return new Request(context, uncondContext, shape, seed, sampler, steps, guidance, eta, guidanceRescale,
                    window, overlap, initialLatent, stopAfter);
        }

        /**
         * The same request with sliding temporal windows: for clips longer than the frames a model was
         * trained on, each step runs the model on windows of `frames` frames, `overlap` frames shared
         * between neighbours (the last window ends at the last frame), and averages the predictions of
         * every frame over the windows that contain it.
         */
        public Request withWindows(int frames, int overlap) {
            return new Request(context, uncondContext, latentShape, seed, sampler, steps, guidance, eta, guidanceRescale,
                    frames, overlap, initialLatent, stopAfter);
        }

        @Override
        public long[] latentShape() {
            return latentShape.clone();
        }
    }

    private final Denoiser denoiser;
    private final Kinema runtime;
    private final SchedulerConfig scheduler;

    public VideoSampler(Denoiser denoiser, SchedulerConfig scheduler) {
        this.denoiser = denoiser;
        this.runtime = denoiser.runtime();
        this.scheduler = scheduler;
    }

    /** Runs request; returns the final sample as a new host tensor [B, C, F, H, W]. */
    public Tensor sample(Request r, Progress progress, BooleanSupplier cancelled) {
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
        GraphExecutor exec = denoiser.graphExecutor(modelSample, modelContext);
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
        long start = System.nanoTime();
        if (r.initialLatent() != null && !Arrays.equals(r.initialLatent().shape(), s)) {
            throw new InvalidArgumentException("VideoSampler.sample", "initialLatent", Arrays.toString(s),
                    Arrays.toString(r.initialLatent().shape()));
        }
        int last = r.stopAfter() > 0 ? Math.min(r.stopAfter(), plan.steps().size()) : plan.steps().size();
        try (Tensor x = r.initialLatent() != null
                ? runtime.fromFloats(Layouts.toChannelsLast(r.initialLatent().toFloats(), s), Layouts.channelsLastShape(s))
                : initialLatent(r.seed(), s, plan.initialScale());
             Tensor modelIn = runtime.allocate(DType.F32, rows, window, latent[2], latent[3], latent[4]);
             Tensor averaged = window < frames ? runtime.allocate(DType.F32, rows, latent[1], latent[2], latent[3],
                     latent[4]) : null;
             Tensor t = Tensor.host(DType.F32, rows);
             Tensor ctx = contexts(r, guided)) {
            double[] timesteps = plan.timesteps();
            float[] ts = new float[(int) rows];
            for (int i = 0; i < last; i++) {
                if (cancelled != null && cancelled.getAsBoolean()) {
                    throw new CancellationException("sampling cancelled after " + i + " of " + last + " steps");
                }
                Arrays.fill(ts, (float) timesteps[i]);
                t.segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(ts));
                Map<String, Tensor> in = Map.of("sample", modelIn, "timestep", t, "encoder_hidden_states", ctx);
                Tensor out;
                if (window == frames) {
                    for (long b = 0; b < rows / batch; b++) {
                        try (Tensor half = modelIn.view(b * x.byteSize(), DType.F32, latent)) {
                            half.copyFrom(x);
                        }
                    }
                    exec.run(in, Map.of());
                    out = exec.result("output");
                } else {
                    windowedPrediction(exec, in, x, averaged, rows, batch, frames, window, r.overlap(), frameBytes);
                    out = averaged;
                }
                DdimParams p = plan.steps().get(i);
                try (Tensor noise = p.eta() > 0 ? noise(r.seed(), i + 1, s) : null) {
                    step(x, out, guided, p, r.guidanceRescale(), noise, latent);
                }
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

    /**
     * The model's prediction for all frames from windows of `window` frames: each window's rows (x of
     * row mod B, frames [start, start + window)) go through the graph, and each frame's predictions
     * are averaged over the windows that hold it, into `averaged` [rows, F, H, W, C].
     */
    private void windowedPrediction(GraphExecutor exec, Map<String, Tensor> in, Tensor x, Tensor averaged, long rows,
                                    long batch, int frames, int window, int overlap, long frameBytes) {
        long[] frameShape = {x.dim(2), x.dim(3), x.dim(4)};
        long[] windowShape = {window, frameShape[0], frameShape[1], frameShape[2]};
        int[] starts = windowStarts(frames, window, overlap);
        int[] count = new int[frames];
        for (int start : starts) {
            for (long row = 0; row < rows; row++) {
                try (Tensor src = x.view(((row % batch) * frames + start) * frameBytes, DType.F32, windowShape);
                     Tensor dst = in.get("sample").view(row * window * frameBytes, DType.F32, windowShape)) {
                    dst.copyFrom(src);
                }
            }
            exec.run(in, Map.of());
            Tensor out = exec.result("output");
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

    /** The update of one step: ddim_step on x from the model output (both halves when guided). */
    private void step(Tensor x, Tensor out, boolean guided, DdimParams p, double rescale, Tensor noise, long[] latent) {
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
