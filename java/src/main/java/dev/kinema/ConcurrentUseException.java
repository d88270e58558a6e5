package dev.kinema;

/**
 * An object that runs one call at a time (a Denoiser, a graph executor, a sampler, a renderer) was
 * called from a second thread while a first call was still running on it. Nothing was run or changed
 * by the refused call; the first call goes on undisturbed. Use one such object per thread.
 */
public final class ConcurrentUseException extends KinemaException {
    private static final long serialVersionUID = 1L;

    public ConcurrentUseException(String message) {
        super(message);
    }
}
