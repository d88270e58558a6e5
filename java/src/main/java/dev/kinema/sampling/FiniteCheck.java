package dev.kinema.sampling;

import dev.kinema.DType;
import dev.kinema.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Checks tensors of one request for NaN and infinities after every step, through host buffers made on
 * first use and reused (a step allocates nothing). The model output is checked before the update and
 * the latent after it, so the error says which of the two went bad first, at which step.
 */
final class FiniteCheck implements AutoCloseable {
    private Tensor output, latent;

    /** Throws NonFiniteValueException when t (what: "model output" or "latent") holds NaN or infinities. */
    void check(Tensor t, String what, int step, int steps, double timestep) {
        Tensor host = hostFor(t, what.equals("latent"));
        host.copyFrom(t);
        MemorySegment m = host.segment();
        long n = host.numel(), nan = 0, inf = 0;
        for (long i = 0; i < n; i++) {
            float v = m.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (Float.isNaN(v)) {
                nan++;
            } else if (Float.isInfinite(v)) {
                inf++;
            }
        }
        if (nan + inf > 0) {
            throw new NonFiniteValueException("VideoSampler.sample: the " + what + " at step " + step + " of " + steps
                    + " (timestep " + timestep + ") holds " + nan + " NaN and " + inf + " infinite values of " + n
                    + " " + Arrays.toString(t.shape()), step);
        }
    }

    private Tensor hostFor(Tensor t, boolean isLatent) {
        Tensor h = isLatent ? latent : output;
        if (h == null || !Arrays.equals(h.shape(), t.shape())) {
            if (h != null) {
                h.close();
            }
            h = Tensor.host(DType.F32, t.shape());
            if (isLatent) {
                latent = h;
            } else {
                output = h;
            }
        }
        return h;
    }

    @Override
    public void close() {
        if (output != null) {
            output.close();
        }
        if (latent != null) {
            latent.close();
        }
    }
}
