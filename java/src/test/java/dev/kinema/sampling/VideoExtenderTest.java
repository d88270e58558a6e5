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
 * VideoExtender: clip placement, each clip equal to the sampler's own run conditioned on the frames
 * before it (with the documented seeds), context frames reproduced, determinism, progress over all
 * clips, cancellation, argument errors, and a run on a small real UNet3D.
 */
class VideoExtenderTest {
    private static final long[] CLIP = {1, 4, 4, 8, 8};

    @Test
    void clipsOverlapByTheContextFramesAndTheLastEndsAtTheEnd() {
        assertArrayEquals(new int[] {0, 2, 3}, VideoExtender.clipStarts(7, 4, 2));
        assertArrayEquals(new int[] {0, 3, 6}, VideoExtender.clipStarts(10, 4, 1));
        assertArrayEquals(new int[] {0}, VideoExtender.clipStarts(4, 4, 3));
        assertArrayEquals(new int[] {0, 1}, VideoExtender.clipStarts(5, 4, 3));
    }

    @Test
    void eachClipIsTheSamplerConditionedOnTheVideoSoFar() {
        try (Kinema rt = Kinema.open(Backend.CPU); HostModel model = new HostModel(rt, HostModel.mixing(4, 0.6, 0.5, 0.2));
             Tensor cond = context(0.3); Tensor uncond = context(-0.2)) {
            VideoSampler sampler = new VideoSampler(rt, model, scheduler());
            VideoSampler.Request req = new VideoSampler.Request(cond, uncond, CLIP, 31, SamplerPlan.Sampler.DDIM, 3, 2.0, 1.0,
                    0.0);
            for (Conditioning mode : Conditioning.values()) {
                double w = mode == Conditioning.REPLACEMENT ? 0 : 2.0;
                float[] video;
                try (Tensor v = new VideoExtender(sampler).extend(req, 7, 2, mode, w, null, null)) {
                    assertArrayEquals(new long[] {1, 4, 7, 8, 8}, v.shape());
                    video = v.toFloats();
                }
                try (Tensor first = sampler.sample(req, null, null)) {
                    for (int f = 0; f < 4; f++) {
                        assertArrayEquals(frame(first.toFloats(), 4, 4, 64, f), frame(video, 4, 7, 64, f), mode + " frame " + f);
                    }
                }
                // clip 1: frames 2..5 given 2, 3; clip 2: frames 3..6 given 3, 4, 5
                int[][] context = {{2, 3}, {3, 4, 5}};
                int[] starts = {2, 3};
                for (int j = 1; j <= 2; j++) {
                    int[] known = context[j - 1];
                    float[] clip, free;
                    try (Tensor given = frames(video, 4, 7, known);
                         Tensor out = sampler.sample(req.withSeed(31 + j * VideoExtender.CLIP_SEED_STEP)
                                 .withKnownFrames(given, LatentFrames.range(known.length), mode, w), null, null);
                         Tensor unconditioned = sampler.sample(req.withSeed(31 + j * VideoExtender.CLIP_SEED_STEP), null,
                                 null)) {
                        clip = out.toFloats();
                        free = unconditioned.toFloats();
                    }
                    for (int f = 0; f < 4; f++) {
                        String what = mode + " clip " + j + " frame " + f;
                        assertArrayEquals(frame(clip, 4, 4, 64, f), frame(video, 4, 7, 64, starts[j - 1] + f), what);
                        if (f >= known.length) {
                            assertFalse(Arrays.equals(frame(free, 4, 4, 64, f), frame(clip, 4, 4, 64, f)), what + " conditioned");
                        }
                    }
                }
            }
        }
    }

    @Test
    void sameSeedSameVideoProgressOverAllClipsAndCancellation() {
        try (Kinema rt = Kinema.open(Backend.CPU); HostModel model = new HostModel(rt, HostModel.mixing(4, 0.6, 0.5, 0.2));
             Tensor cond = context(0.3)) {
            VideoExtender extender = new VideoExtender(new VideoSampler(rt, model, scheduler()));
            VideoSampler.Request req = new VideoSampler.Request(cond, null, CLIP, 8, SamplerPlan.Sampler.DDPM, 3, 1.0, 0.0, 0.0);
            List<Integer> done = new ArrayList<>();
            List<Integer> totals = new ArrayList<>();
            float[] a, b, c;
            try (Tensor x = extender.extend(req, 7, 2, Conditioning.RECONSTRUCTION, 1.5, (d, t, s) -> {
                done.add(d);
                totals.add(t);
            }, null);
                 Tensor y = extender.extend(req, 7, 2, Conditioning.RECONSTRUCTION, 1.5, null, null);
                 Tensor z = extender.extend(req.withSeed(9), 7, 2, Conditioning.RECONSTRUCTION, 1.5, null, null)) {
                a = x.toFloats();
                b = y.toFloats();
                c = z.toFloats();
            }
            assertArrayEquals(a, b, "same seed");
            assertFalse(Arrays.equals(a, c), "another seed");
            assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9), done);
            assertTrue(totals.stream().allMatch(t -> t == 9), totals.toString());
            List<Integer> seen = new ArrayList<>();
            assertThrows(CancellationException.class, () -> extender.extend(req, 7, 2, Conditioning.REPLACEMENT, 0,
                    (d, t, s) -> seen.add(d), () -> seen.size() == 4));
            assertEquals(List.of(1, 2, 3, 4), seen, "stopped in the second clip");
        }
    }

    @Test
    void badArgumentsAreRefusedBeforeAnyModelCall() {
        try (Kinema rt = Kinema.open(Backend.CPU); HostModel model = new HostModel(rt, HostModel.mixing(4, 1, 0, 0));
             Tensor cond = context(0); Tensor one = Tensor.hostFromFloats(new float[256], 1, 4, 1, 8, 8)) {
            VideoExtender x = new VideoExtender(new VideoSampler(rt, model, scheduler()));
            VideoSampler.Request req = new VideoSampler.Request(cond, null, CLIP, 1, SamplerPlan.Sampler.DDIM, 2, 1.0, 0.0, 0.0);
            Conditioning rep = Conditioning.REPLACEMENT;
            rejects("contextFrames", () -> x.extend(req, 8, 4, rep, 0, null, null));
            rejects("contextFrames", () -> x.extend(req, 8, 0, rep, 0, null, null));
            rejects("frames", () -> x.extend(req, 3, 1, rep, 0, null, null));
            rejects("mode", () -> x.extend(req, 8, 1, null, 0, null, null));
            rejects("weight", () -> x.extend(req, 8, 1, rep, 1.0, null, null));
            rejects("weight", () -> x.extend(req, 8, 1, Conditioning.RECONSTRUCTION, -2.0, null, null));
            rejects("request", () -> x.extend(req.withKnownFrames(one, 0), 8, 1, rep, 0, null, null));
            rejects("request", () -> x.extend(req.withInitialLatent(one), 8, 1, rep, 0, null, null));
            rejects("request", () -> x.extend(req.stoppedAfter(1), 8, 1, rep, 0, null, null));
            rejects("request", () -> x.extend(null, 8, 1, rep, 0, null, null));
            rejects("latentShape", () -> x.extend(req.withLatentShape(1, 4, 1, 8, 8), 8, 1, rep, 0, null, null));
            rejects("sampler", () -> new VideoExtender(null));
            assertEquals(0, model.shapes.size());
        }
    }

    @Test
    void extendsWithASmallRealUnet() throws Exception {
        try (Kinema rt = Kinema.open(Backend.CPU);
             Denoiser d = Denoiser.fromConfig(rt, ClipTesting.unet3dConfig(), Denoiser.Options.defaults(), 7);
             Tensor cond = context(0.5); Tensor uncond = Tensor.hostFromFloats(new float[160], 1, 5, 32)) {
            VideoSampler sampler = new VideoSampler(d, scheduler());
            VideoExtender extender = new VideoExtender(sampler);
            VideoSampler.Request req = new VideoSampler.Request(cond, uncond, new long[] {1, 4, 3, 8, 8}, 5,
                    SamplerPlan.Sampler.DDIM, 2, 3.0, 0.0, 0.0);
            for (Conditioning mode : Conditioning.values()) {
                double w = mode == Conditioning.REPLACEMENT ? 0 : 2.0;
                float[] video;
                try (Tensor v = extender.extend(req, 5, 1, mode, w, null, null);
                     Tensor again = extender.extend(req, 5, 1, mode, w, null, null)) {
                    assertArrayEquals(new long[] {1, 4, 5, 8, 8}, v.shape());
                    video = v.toFloats();
                    assertArrayEquals(video, again.toFloats(), mode + ": same seed");
                }
                assertTrue(ClipTesting.allFinite(video), mode.toString());
                try (Tensor first = sampler.sample(req, null, null);
                     Tensor given = frames(video, 4, 5, new int[] {2});
                     Tensor second = sampler.sample(req.withSeed(5 + VideoExtender.CLIP_SEED_STEP)
                             .withKnownFrames(given, new int[] {0}, mode, w), null, null)) {
                    for (int f = 0; f < 3; f++) {
                        assertArrayEquals(frame(first.toFloats(), 4, 3, 64, f), frame(video, 4, 5, 64, f), mode + " frame " + f);
                        // the second clip (frames 2..4) reproduces its context frame 2 exactly
                        assertArrayEquals(frame(second.toFloats(), 4, 3, 64, f), frame(video, 4, 5, 64, 2 + f),
                                mode + " frame " + (2 + f));
                    }
                }
            }
        }
    }
}
