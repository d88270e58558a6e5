package dev.kinema.render;

import dev.kinema.Tensor;
import dev.kinema.io.Safetensors;
import dev.kinema.video.Psnr;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Compares a fresh render with the golden float output a manifest points to, frame by frame, by
 * PSNR over the video's [-1, 1] range (peak-to-peak 2): a frame passes when its PSNR reaches the
 * threshold; identical frames score +infinity. Bit-identity (per-frame SHA-256 equal to the
 * manifest's) is reported too: it is what the same backend on the same machine gives.
 */
public final class RegressionCheck {
    /**
     * The default threshold. Re-renders on one backend are bit-identical; cpu against cuda-emu (a
     * different summation order in every kernel) measured 129 and 140 dB on two 25-step renders.
     */
    public static final double DEFAULT_PSNR_DB = 40.0;

    private RegressionCheck() {
    }

    /**
     * The result of checking one render.
     *
     * @param framePsnr per frame, dB (empty when the render could not be compared)
     * @param golden    the golden video [C, F, H, W] (null when it could not be read)
     * @param rendered  the new video (null when not rendered)
     * @param problem   why it failed without a comparison (model changed, shape differs), or null
     */
    public record Outcome(Manifest.Entry entry, boolean passed, double threshold, double[] framePsnr,
                          boolean bitIdentical, float[] golden, float[] rendered, String problem) {
        public static Outcome modelChanged(Manifest.Entry e, String actualSha256) {
            return new Outcome(e, false, 0, new double[0], false, null, null,
                    "model files changed: sha256 " + actualSha256 + ", manifest has " + e.modelSha256());
        }

        public double minPsnr() {
            return Arrays.stream(framePsnr).min().orElse(Double.NaN);
        }

        /** One line: PASS/FAIL, the name, the lowest frame PSNR or the problem. */
        public String summary() {
            String verdict = passed ? "PASS" : "FAIL";
            if (problem != null) {
                return verdict + " " + entry.name() + ": " + problem;
            }
            String min = Double.isInfinite(minPsnr()) ? "inf" : String.format("%.1f", minPsnr());
            return String.format("%s %s: lowest frame PSNR %s dB (threshold %.1f)%s", verdict, entry.name(), min, threshold,
                    bitIdentical ? ", bit-identical" : "");
        }
    }

    /** Compares render r with entry's golden in dir against threshold (dB). */
    public static Outcome compare(Path dir, Manifest.Entry entry, Renderer.Result r, double threshold) {
        RenderSettings s = entry.settings();
        long[] expected = {r.channels(), s.frames(), s.size(), s.size()};
        float[] golden;
        Path file = dir.resolve(entry.video());
        try (Safetensors.Contents c = Safetensors.read(file)) {
            Tensor video = c.tensors().get("video");
            if (video == null || !Arrays.equals(video.shape(), expected)) {
                String got = video == null ? "no tensor \"video\"" : Arrays.toString(video.shape());
                return new Outcome(entry, false, threshold, new double[0], false, null, r.video(),
                        file + ": expected video " + Arrays.toString(expected) + ", got " + got);
            }
            golden = video.toFloats();
        }
        double[] psnr = Psnr.perFrame(golden, r.video(), expected, Psnr.SIGNED_UNIT_RANGE);
        boolean passed = Arrays.stream(psnr).allMatch(p -> p >= threshold);
        boolean identical = r.frameSha256().equals(entry.frameSha256());
        return new Outcome(entry, passed, threshold, psnr, identical, golden, r.video(), null);
    }
}
