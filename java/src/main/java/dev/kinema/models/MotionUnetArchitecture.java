package dev.kinema.models;

import dev.kinema.InvalidArgumentException;
import dev.kinema.graph.Value;


/** UNetMotionModel (AnimateDiff) as a {@link Denoiser.Architecture}: sample NCTHW [B, in_channels, F, H, W]. */
final class MotionUnetArchitecture implements Denoiser.Architecture {
    private final MotionUnetConfig cfg;
    private final String kvFrames;

    MotionUnetArchitecture(MotionUnetConfig cfg, String spatialAttention) {
        this.cfg = cfg;
        this.kvFrames = UnetInputs.kvFrames(spatialAttention);
    }

    @Override
    public String className() {
        return MotionUnetConfig.CLASS_NAME;
    }

    @Override
    public void checkInputs(long[] sample, long[] context) {
        UnetInputs.check(sample, context, cfg.inChannels(), cfg.spatialMultiple(), cfg.crossAttentionDim());
        // the motion modules' position table has motion_max_seq_length rows: more frames would overrun it
        if (sample[2] > cfg.motionMaxSeqLength()) {
            throw new InvalidArgumentException("Denoiser.forward", "sample",
                    "at most motion_max_seq_length " + cfg.motionMaxSeqLength() + " frames", sample[2] + " frames");
        }
    }

    @Override
    public long[] graphSampleShape(long[] s) {
        return Layouts.channelsLastShape(s);
    }

    @Override
    public Value build(Blocks blocks, Value sample, Value timestep, Value context) {
        return new MotionUnetGraph(cfg, blocks, kvFrames).forward(sample, timestep, context);
    }

    @Override
    public long[][] probeShapes() {
        int m = cfg.spatialMultiple();
        return new long[][] {{1, cfg.inChannels(), 1, m, m}, {1, 1, cfg.crossAttentionDim()}};
    }
}
