package dev.kinema.sampling;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Prediction;
import dev.kinema.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model that goes bad mid-sampling (a NaN or an infinity in its output at one step) stops the request
 * at that step with NonFiniteValueException naming it and the model output as the source (with
 * v-prediction and x0 clipping on); the sampler then renders the next request as if nothing had happened.
 */
class NonFiniteSamplingTest {
    static final long[] VIDEO = {1, 4, 4, 8, 8};

    /** HostModel whose output gets `value` at one element on call `badCall` (1-based), when armed. */
    static final class FaultyModel implements StepModel {
        final HostModel inner;
        int calls, badCall;
        float value;

        FaultyModel(Kinema rt) {
            inner = new HostModel(rt, HostModel.mixing(4, 0.6, 0.5, 0));
        }

        @Override
        public Tensor evaluate(Tensor sample, Tensor timestep, Tensor context) {
            Tensor out = inner.evaluate(sample, timestep, context);
            if (++calls == badCall) {
                float[] v = out.toFloats();
                v[v.length / 3] = value;
                try (Tensor damaged = Tensor.hostFromFloats(v, out.shape())) {
                    out.copyFrom(damaged);
                }
            }
            return out;
        }
    }

    /** v-prediction with x0 clipping, like the embedded models. */
    static SchedulerConfig clippingScheduler() {
        return new SchedulerConfig("DDIMScheduler", 1000, 0.00085, 0.012, NoiseSchedule.Betas.SCALED_LINEAR, Prediction.V,
                "trailing", 0, true, true, 1.0, false, false);
    }

    @Test
    void aNanOrInfinityMidSamplingStopsAtItsStepAndTheSamplerStaysUsable() {
        try (Kinema rt = Kinema.open(Backend.CPU); Tensor cond = ClipTesting.context(0.3);
             Tensor uncond = ClipTesting.context(-0.2)) {
            FaultyModel model = new FaultyModel(rt);
            VideoSampler sampler = new VideoSampler(rt, model, clippingScheduler());
            VideoSampler.Request req = new VideoSampler.Request(cond, uncond, VIDEO, 5, SamplerPlan.Sampler.DDIM, 6, 3.0,
                    0.0, 0.0);
            float[] clean;
            try (Tensor v = sampler.sample(req, null, null)) {
                clean = v.toFloats();
            }
            assertTrue(ClipTesting.allFinite(clean));

            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
                model.calls = 0;
                model.badCall = 4;
                model.value = bad;
                NonFiniteValueException e = assertThrows(NonFiniteValueException.class, () -> sampler.sample(req, null, null));
                assertEquals(4, e.step());
                assertTrue(e.getMessage().contains("model output at step 4 of 6"), e.getMessage());
                assertTrue(e.getMessage().contains(Float.isNaN(bad) ? "holds 1 NaN and 0 infinite" : "holds 0 NaN and 1 infinite"),
                        e.getMessage());
            }

            model.badCall = 0;
            try (Tensor v = sampler.sample(req, null, null)) {
                assertArrayEquals(clean, v.toFloats(), "the next request renders as before");
            }
        }
    }
}
