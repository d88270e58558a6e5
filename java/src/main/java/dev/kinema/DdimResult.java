package dev.kinema;

/** The outputs of ddim_step: the less noisy sample {@code y} and the predicted clean sample {@code x0}. */
public record DdimResult(Tensor y, Tensor x0) {
}
