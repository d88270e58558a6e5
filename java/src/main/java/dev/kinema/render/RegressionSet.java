package dev.kinema.render;

import java.util.List;

/**
 * The fixed prompts and seeds `./kinema render` renders when given no prompt: every colour, shape
 * and direction of the shapes vocabulary appears at least once across the two embedded models, so a
 * regression in either denoiser family (3D U-Net, DiT) or in any sampler path they share shows up
 * in the committed goldens (regression/goldens).
 */
public final class RegressionSet {
    /** One entry: a model folder under the Kinema home, a prompt, a seed; the model's default settings. */
    public record Entry(String model, String prompt, long seed) {
    }

    public static final String UNET3D = "models/shapes-unet3d";
    public static final String LATTE = "models/shapes-latte";

    public static final List<Entry> ENTRIES = List.of(
            new Entry(UNET3D, "red square moving right", 1),
            new Entry(UNET3D, "blue circle moving left", 2),
            new Entry(UNET3D, "green triangle moving up", 3),
            new Entry(UNET3D, "yellow square moving down", 4),
            new Entry(LATTE, "magenta circle moving right", 5),
            new Entry(LATTE, "cyan triangle moving down", 6),
            new Entry(LATTE, "white square moving left", 7));

    private RegressionSet() {
    }
}
