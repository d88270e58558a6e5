package dev.kinema.models;

import dev.kinema.graph.Value;

/** UNet3DConditionModel as a {@link Denoiser.Architecture}: sample NCTHW [B, in_channels, T, H, W]. */
final class Unet3dArchitecture implements Denoiser.Architecture {
    private final Unet3dConfig cfg;
    private final String kvFrames;

    Unet3dArchitecture(Unet3dConfig cfg, String spatialAttention) {
        this.cfg = cfg;
        this.kvFrames = UnetInputs.kvFrames(spatialAttention);
    }

    @Override
    public String className() {
        return Unet3dConfig.CLASS_NAME;
    }

    @Override
    public void checkInputs(long[] sample, long[] context) {
        UnetInputs.check(sample, context, cfg.inChannels(), cfg.spatialMultiple(), cfg.crossAttentionDim());
    }

    @Override
    public long[] graphSampleShape(long[] s) {
        return Layouts.channelsLastShape(s);
    }

    @Override
    public Value build(Blocks blocks, Value sample, Value timestep, Value context) {
        return new Unet3dGraph(cfg, blocks, kvFrames).forward(sample, timestep, context);
    }

    @Override
    public long[][] probeShapes() {
        int m = cfg.spatialMultiple();
        return new long[][] {{1, cfg.inChannels(), 1, m, m}, {1, 1, cfg.crossAttentionDim()}};
    }
}
