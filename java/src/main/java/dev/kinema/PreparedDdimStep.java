package dev.kinema;

import java.lang.foreign.MemorySegment;

/**
 * ddim_step on tensors fixed once, with the step's scalars given per call: what a sampler runs at every
 * step. {@link Kinema#prepareDdimStep} checks the tensors (as {@link Kinema#ddimStepInto} does) and
 * fills the native parameter struct once; {@link #run} checks the scalars, writes them into that struct
 * and makes the native call, allocating nothing on the Java heap or natively. Bit-identical to
 * ddimStepInto with the same tensors and parameters. One thread at a time; close it before its tensors.
 */
public final class PreparedDdimStep implements AutoCloseable {
    private final PreparedOp op;
    private final MemorySegment params;
    private final boolean hasNoise;

    PreparedDdimStep(PreparedOp op, MemorySegment params, boolean hasNoise) {
        this.op = op;
        this.params = params;
        this.hasNoise = hasNoise;
    }

    /**
     * One step with these scalars (OPS.md ddim_step: alpha_t, sigma_t, alpha_s, sigma_s, guidance,
     * prediction, eta, clip_x0).
     *
     * @throws InvalidArgumentException for scalars ddim_step refuses, or eta > 0 without a noise tensor
     * @throws IllegalStateException when this call, its runtime or one of its tensors is closed
     */
    public void run(DdimParams p) {
        if (p == null) {
            throw new InvalidArgumentException(DdimOp.DDIM_STEP, "params", "DdimParams", "null");
        }
        p.validate();
        if (p.eta() > 0 && !hasNoise) {
            throw new InvalidArgumentException(DdimOp.DDIM_STEP, "eta",
                    "0: this step was prepared without a noise tensor", Double.toString(p.eta()));
        }
        DdimOp.writeScalars(params, p);
        op.run();
    }

    /** Frees the parameter struct; idempotent. The tensors are the caller's and stay open. */
    @Override
    public void close() {
        op.close();
    }
}
