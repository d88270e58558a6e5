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

    /**
     * The denoiser's graph for each input shape (planned once and kept by the denoiser). The executor
     * and the input map are kept while the same three tensors come back (a request's every step), so a
     * step allocates nothing; they are looked up again for other tensors or when the denoiser has closed
     * the executor (it keeps a few graphs and evicts the oldest).
     */
    static StepModel of(Denoiser denoiser) {
        return new StepModel() {
            private Tensor lastSample, lastTimestep, lastContext;
            private GraphExecutor executor;
            private Map<String, Tensor> inputs;

            @Override
            public void prepare(long[] sampleShape, long[] contextShape) {
                denoiser.graphExecutor(sampleShape, contextShape);
            }

            @Override
            public Tensor evaluate(Tensor sample, Tensor timestep, Tensor context) {
                if (sample != lastSample || timestep != lastTimestep || context != lastContext || executor == null
                        || executor.isClosed()) {
                    executor = denoiser.graphExecutor(new long[] {sample.dim(0), sample.dim(4), sample.dim(1),
                            sample.dim(2), sample.dim(3)}, context.shape());
                    inputs = Map.of("sample", sample, "timestep", timestep, "encoder_hidden_states", context);
                    lastSample = sample;
                    lastTimestep = timestep;
                    lastContext = context;
                }
                executor.run(inputs, Map.of());
                return executor.result("output");
            }
        };
    }
}
