package dev.kinema.sampling;

import dev.kinema.Tensor;
import dev.kinema.graph.GraphExecutor;
import dev.kinema.models.Denoiser;

import java.util.Map;

/**
 * The model evaluation of one sampling step as a plain function: all that {@link VideoSampler} asks
 * of a network. A {@link Denoiser}'s graph is the production implementation ({@link #of}); tests put
 * closed-form functions here, so that the sampler's arithmetic can be checked against formulas.
 */
interface StepModel {
    /**
     * Checks (and may plan for) a sample of shape [rows, C, F, H, W] (diffusers' layout) with context
     * [rows, L, D], before a request touches the runtime.
     */
    default void prepare(long[] sampleShape, long[] contextShape) {
    }

    /**
     * The model output [rows, F, H, W, C] for sample [rows, F, H, W, C] (a tensor of the sampler's
     * runtime, channels-last), timestep [rows] and context [rows, L, D] (host tensors). The result
     * belongs to the model: read it before the next call and do not close it.
     */
    Tensor evaluate(Tensor sample, Tensor timestep, Tensor context);

    /** The denoiser's graph for each input shape (planned once and kept by the denoiser). */
    static StepModel of(Denoiser denoiser) {
        return new StepModel() {
            @Override
            public void prepare(long[] sampleShape, long[] contextShape) {
                denoiser.graphExecutor(sampleShape, contextShape);
            }

            @Override
            public Tensor evaluate(Tensor sample, Tensor timestep, Tensor context) {
                long[] s = sample.shape();
                // looked up per call: the denoiser keeps a few graphs and may close one it evicted
                GraphExecutor exec = denoiser.graphExecutor(new long[] {s[0], s[4], s[1], s[2], s[3]}, context.shape());
                exec.run(Map.of("sample", sample, "timestep", timestep, "encoder_hidden_states", context), Map.of());
                return exec.result("output");
            }
        };
    }
}
