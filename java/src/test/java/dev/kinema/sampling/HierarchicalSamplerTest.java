package dev.kinema.sampling;

import static dev.kinema.sampling.ClipTesting.context;
import static dev.kinema.sampling.ClipTesting.frame;
import static dev.kinema.sampling.ClipTesting.frames;
import static dev.kinema.sampling.ClipTesting.rejects;
import static dev.kinema.sampling.ClipTesting.scheduler;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.models.Denoiser;
import dev.kinema.sampling.VideoSampler.Conditioning;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * ControlVideo's hierarchical sampler: key frames placement, key frames from the key-frame sampler
 * exactly, each clip the clip sampler's run conditioned on its two key frames (with the documented
 * seeds), determinism, progress, cancellation, argument errors, and a run on small real UNet3Ds
 * (the key-frame one with full cross-frame attention).
 */
class HierarchicalSamplerTest {
    private static final long[] VIDEO = {1, 4, 10, 8, 8};

    @Test
    void keyFramesAreEveryStrideAndTheLast() {
        assertArrayEquals(new int[] {0, 3, 6, 7}, HierarchicalSampler.keyFrames(8, 3));
        assertArrayEquals(new int[] {0, 3, 6}, HierarchicalSampler.keyFrames(7, 3));
        assertArrayEquals(new int[] {0, 4, 8, 9}, HierarchicalSampler.keyFrames(10, 4));
        assertArrayEquals(new int[] {0, 4}, HierarchicalSampler.keyFrames(5, 4));
        assertArrayEquals(new int[] {0, 2}, HierarchicalSampler.keyFrames(3, 2));
    }

    @Test
    void keyFramesComeFromTheKeySamplerAndClipsAreConditionedOnThem() {
        try (Kinema rt = Kinema.open(Backend.CPU);
             HostModel keyModel = new HostModel(rt, HostModel.mixing(4, 0.8, 0.4, 0.1));
             HostModel clipModel = new HostModel(rt, HostModel.mixing(5, 0.6, 0.5, 0.3));
             Tensor cond = context(0.3); Tensor uncond = context(-0.2)) {
            VideoSampler keys = new VideoSampler(rt, keyModel, scheduler());
            VideoSampler clips = new VideoSampler(rt, clipModel, scheduler());
            VideoSampler.Request req = new VideoSampler.Request(cond, uncond, VIDEO, 12, SamplerPlan.Sampler.DDIM, 2, 2.0, 1.0,
                    0.0);
            for (Conditioning mode : Conditioning.values()) {
                double w = mode == Conditioning.REPLACEMENT ? 0 : 2.0;
                keyModel.shapes.clear();
                clipModel.shapes.clear();
                float[] video;
                try (Tensor v = new HierarchicalSampler(keys, clips).sample(req, 4, mode, w, null, null)) {
                    assertArrayEquals(VIDEO, v.shape());
                    video = v.toFloats();
                }
                // key frames 0, 4, 8, 9 as one 4-frame clip; clips 0..4 and 4..8 of 5 frames; 8..9 has no inner frame
                assertEquals(2, keyModel.shapes.size(), mode.toString());
                keyModel.shapes.forEach(s -> assertArrayEquals(new long[] {2, 4, 8, 8, 4}, s));
                assertEquals(mode == Conditioning.REPLACEMENT ? 4 : 8, clipModel.shapes.size(), mode.toString());
                clipModel.shapes.forEach(s -> assertArrayEquals(new long[] {2, 5, 8, 8, 4}, s));
                int[] at = {0, 4, 8, 9};
                float[] key;
                try (Tensor k = keys.sample(req.withLatentShape(1, 4, 4, 8, 8), null, null)) {
                    key = k.toFloats();
                }
                for (int j = 0; j < 4; j++) {
                    assertArrayEquals(frame(key, 4, 4, 64, j), frame(video, 4, 10, 64, at[j]), mode + " key frame " + at[j]);
                }
                for (int j = 0; j < 2; j++) {
                    float[] clip;
                    try (Tensor ends = frames(key, 4, 4, new int[] {j, j + 1});
                         Tensor out = clips.sample(req.withLatentShape(1, 4, 5, 8, 8)
                                 .withSeed(12 + (j + 1) * VideoExtender.CLIP_SEED_STEP)
                                 .withKnownFrames(ends, new int[] {0, 4}, mode, w), null, null)) {
                        clip = out.toFloats();
                    }
                    for (int f = 0; f < 5; f++) {
                        // inner frames are the clip's; its ends reproduce the key frames exactly
                        assertArrayEquals(frame(clip, 4, 5, 64, f), frame(video, 4, 10, 64, at[j] + f),
                                mode + " clip " + j + " frame " + f);
                    }
                }
            }
        }
    }

    @Test
    void sameSeedSameVideoProgressAndCancellation() {
        try (Kinema rt = Kinema.open(Backend.CPU); HostModel keyModel = new HostModel(rt, HostModel.mixing(4, 0.8, 0.4, 0));
             HostModel clipModel = new HostModel(rt, HostModel.mixing(5, 0.6, 0.5, 0.3)); Tensor cond = context(0.3)) {
            HierarchicalSampler h = new HierarchicalSampler(new VideoSampler(rt, keyModel, scheduler()),
                    new VideoSampler(rt, clipModel, scheduler()));
            VideoSampler.Request req = new VideoSampler.Request(cond, null, VIDEO, 3, SamplerPlan.Sampler.DDPM, 2, 1.0, 0.0, 0.0);
            List<Integer> done = new ArrayList<>();
            List<Integer> totals = new ArrayList<>();
            float[] a, b, c;
            try (Tensor x = h.sample(req, 4, Conditioning.REPLACEMENT, 0, (d, t, s) -> {
                done.add(d);
                totals.add(t);
            }, null);
                 Tensor y = h.sample(req, 4, Conditioning.REPLACEMENT, 0, null, null);
                 Tensor z = h.sample(req.withSeed(4), 4, Conditioning.REPLACEMENT, 0, null, null)) {
                a = x.toFloats();
                b = y.toFloats();
                c = z.toFloats();
            }
            assertArrayEquals(a, b, "same seed");
            assertFalse(Arrays.equals(a, c), "another seed");
            assertEquals(List.of(1, 2, 3, 4, 5, 6), done, "key frames then two clips of 2 steps");
            assertTrue(totals.stream().allMatch(t -> t == 6), totals.toString());
            List<Integer> seen = new ArrayList<>();
            assertThrows(CancellationException.class, () -> h.sample(req, 4, Conditioning.REPLACEMENT, 0,
                    (d, t, s) -> seen.add(d), () -> seen.size() == 3));
            assertEquals(List.of(1, 2, 3), seen);
        }
    }

    @Test
    void badArgumentsAreRefusedBeforeAnyModelCall() {
        try (Kinema rt = Kinema.open(Backend.CPU); HostModel model = new HostModel(rt, HostModel.mixing(4, 1, 0, 0));
             Tensor cond = context(0); Tensor one = Tensor.hostFromFloats(new float[256], 1, 4, 1, 8, 8)) {
            VideoSampler s = new VideoSampler(rt, model, scheduler());
            HierarchicalSampler h = new HierarchicalSampler(s, s);
            VideoSampler.Request req = new VideoSampler.Request(cond, null, VIDEO, 1, SamplerPlan.Sampler.DDIM, 2, 1.0, 0.0, 0.0);
            Conditioning rep = Conditioning.REPLACEMENT;
            rejects("stride", () -> h.sample(req, 1, rep, 0, null, null));
            rejects("stride", () -> h.sample(req, 10, rep, 0, null, null));
            rejects("latentShape", () -> h.sample(req.withLatentShape(1, 4, 2, 8, 8), 2, rep, 0, null, null));
            rejects("latentShape", () -> h.sample(req.withLatentShape(1, 4, 10, 8), 2, rep, 0, null, null));
            rejects("mode", () -> h.sample(req, 3, null, 0, null, null));
            rejects("weight", () -> h.sample(req, 3, rep, 0.5, null, null));
            rejects("request", () -> h.sample(req.withKnownFrames(one, 0), 3, rep, 0, null, null));
            rejects("request", () -> h.sample(null, 3, rep, 0, null, null));
            rejects("keyFrames", () -> new HierarchicalSampler(null, s));
            rejects("clips", () -> new HierarchicalSampler(s, null));
            assertEquals(0, model.shapes.size());
        }
    }

    @Test
    void samplesWithSmallRealUnetsTheKeyFramesWithFullCrossFrameAttention() throws Exception {
        try (Kinema rt = Kinema.open(Backend.CPU);
             Denoiser all = Denoiser.fromConfig(rt, ClipTesting.unet3dConfig(),
                     Denoiser.Options.defaults().withSpatialAttention("all"), 7);
             Denoiser perFrame = Denoiser.fromConfig(rt, ClipTesting.unet3dConfig(), Denoiser.Options.defaults(), 7);
             Tensor cond = context(0.5); Tensor uncond = Tensor.hostFromFloats(new float[160], 1, 5, 32)) {
            VideoSampler keys = new VideoSampler(all, scheduler());
            HierarchicalSampler h = new HierarchicalSampler(keys, new VideoSampler(perFrame, scheduler()));
            VideoSampler.Request req = new VideoSampler.Request(cond, uncond, new long[] {1, 4, 5, 8, 8}, 6,
                    SamplerPlan.Sampler.DDIM, 2, 3.0, 0.0, 0.0);
            float[] key;
            try (Tensor k = keys.sample(req.withLatentShape(1, 4, 3, 8, 8), null, null)) {
                key = k.toFloats();
            }
            for (Conditioning mode : Conditioning.values()) {
                double w = mode == Conditioning.REPLACEMENT ? 0 : 2.0;
                try (Tensor v = h.sample(req, 2, mode, w, null, null); Tensor again = h.sample(req, 2, mode, w, null, null)) {
                    assertArrayEquals(new long[] {1, 4, 5, 8, 8}, v.shape());
                    float[] video = v.toFloats();
                    assertArrayEquals(video, again.toFloats(), mode + ": same seed");
                    assertTrue(ClipTesting.allFinite(video), mode.toString());
                    int[] at = {0, 2, 4};
                    for (int j = 0; j < 3; j++) {
                        assertArrayEquals(frame(key, 4, 3, 64, j), frame(video, 4, 5, 64, at[j]), mode + " key frame " + at[j]);
                    }
                }
            }
        }
    }
}
