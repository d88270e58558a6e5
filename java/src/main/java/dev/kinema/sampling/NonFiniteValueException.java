package dev.kinema.sampling;

import dev.kinema.KinemaException;

/**
 * Sampling produced NaN or infinite values: the message names the step, its timestep, whether the
 * model's output or the updated latent held them, and how many. The sampler stops there (the rest of
 * the render would only spread them); the runtime and the model stay usable.
 */
public final class NonFiniteValueException extends KinemaException {
    private static final long serialVersionUID = 1L;
    private final int step;

    public NonFiniteValueException(String message, int step) {
        super(message);
        this.step = step;
    }

    /** The 1-based step whose model output or update held the values. */
    public int step() {
        return step;
    }
}
