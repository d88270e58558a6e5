package dev.kinema.bench.peers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One model and input shape that every system of the peer comparison runs: the two embedded models at
 * their render shape (batch 2: the conditional and unconditional rows of classifier-free guidance,
 * batched into one forward) and the two larger reference configurations of benchmarks/configs at batch 1.
 * benchmarks/peers/torch_worker.py and export_onnx.py hold the same table.
 *
 * @param name         the workload's name in tables and the JSON line
 * @param embedded     an embedded text-to-video model (models/NAME), rendered as well as stepped
 * @param source       models/shapes-... for an embedded model, benchmarks/configs/ARCH for a reference one
 * @param sample       sample shape [B, C, F, H, W]
 * @param context      encoder_hidden_states shape [B, L, D]
 * @param renderPrompt the regression prompt a render uses (embedded models only)
 * @param renderSeed   its seed
 */
public record PeerWorkload(String name, boolean embedded, String source, long[] sample, long[] context,
                           String renderPrompt, long renderSeed) {

    public static final List<PeerWorkload> ALL = List.of(
            new PeerWorkload("shapes-unet3d", true, "models/shapes-unet3d", new long[] {2, 3, 8, 32, 32},
                    new long[] {2, 4, 64}, "red square moving right", 1),
            new PeerWorkload("shapes-latte", true, "models/shapes-latte", new long[] {2, 3, 8, 32, 32},
                    new long[] {2, 4, 64}, "magenta circle moving right", 5),
            new PeerWorkload("ref-unet3d", false, "benchmarks/configs/unet3d", new long[] {1, 4, 8, 32, 32},
                    new long[] {1, 16, 256}, null, 0),
            new PeerWorkload("ref-latte", false, "benchmarks/configs/latte", new long[] {1, 4, 8, 32, 32},
                    new long[] {1, 16, 256}, null, 0));

    /** The workload called name; IllegalArgumentException listing the names otherwise. */
    public static PeerWorkload named(String name) {
        for (PeerWorkload w : ALL) {
            if (w.name.equals(name)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + name + "'; expected one of "
                + ALL.stream().map(PeerWorkload::name).toList());
    }

    /**
     * The denoiser weights every system loads. Embedded: the committed folder (models/NAME/unet or
     * transformer). Reference: the config.json + f32 safetensors export_onnx.py wrote from PyTorch's
     * seeded initialisation into MODELS/NAME, so all systems run the same numbers; null when they are
     * not there (no PyTorch to make them).
     */
    public Path denoiserFolder(Path root, Path models) {
        if (embedded) {
            Path unet = root.resolve(source).resolve("unet");
            return Files.isDirectory(unet) ? unet : root.resolve(source).resolve("transformer");
        }
        Path exported = models.resolve(name);
        return Files.isRegularFile(exported.resolve("diffusion_pytorch_model.safetensors")) ? exported : null;
    }

    /** The ONNX export of this workload (written by export_onnx.py). */
    public Path onnxFile(Path models) {
        return models.resolve(name).resolve("model.onnx");
    }

    public long sampleElements() {
        long n = 1;
        for (long d : sample) {
            n *= d;
        }
        return n;
    }

    public long contextElements() {
        return context[0] * context[1] * context[2];
    }

    /**
     * The standard inputs, identical in every system and free of any generator: sample[i] =
     * 0.5 sin(0.37 i) over the flat NCTHW index, context[j] = 0.5 cos(0.11 j), timestep 500 per row.
     */
    public float[] standardSample() {
        float[] x = new float[Math.toIntExact(sampleElements())];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.5 * Math.sin(0.37 * i));
        }
        return x;
    }

    public float[] standardContext() {
        float[] c = new float[Math.toIntExact(contextElements())];
        for (int j = 0; j < c.length; j++) {
            c[j] = (float) (0.5 * Math.cos(0.11 * j));
        }
        return c;
    }

    public float[] standardTimesteps() {
        float[] t = new float[(int) sample[0]];
        java.util.Arrays.fill(t, 500f);
        return t;
    }
}
