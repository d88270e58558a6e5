package dev.kinema.models;

import dev.kinema.InvalidArgumentException;
import dev.kinema.graph.Value;

import java.util.Arrays;

/** LatteTransformer3DModel as a {@link Denoiser.Architecture}: sample [B, in_channels, F, H, W]. */
final class LatteArchitecture implements Denoiser.Architecture {
    private final LatteConfig cfg;

    LatteArchitecture(LatteConfig cfg) {
        this.cfg = cfg;
    }

    @Override
    public String className() {
        return LatteConfig.CLASS_NAME;
    }

    @Override
    public void checkInputs(long[] sample, long[] context) {
        int p = cfg.patchSize();
        if (sample.length != 5 || sample[0] < 1 || sample[1] != cfg.inChannels() || sample[3] < p || sample[4] < p
                || sample[3] % p != 0 || sample[4] % p != 0) {
            throw new InvalidArgumentException("Denoiser.forward", "sample",
                    "[B, " + cfg.inChannels() + ", F, H, W] with H and W multiples of patch_size " + p, Arrays.toString(sample));
        }
        // diffusers adds its [video_length, D] temporal table unsliced: any other F > 1 fails there too
        if (sample[2] != 1 && sample[2] != cfg.videoLength()) {
            throw new InvalidArgumentException("Denoiser.forward", "sample",
                    "F = 1 or F = video_length " + cfg.videoLength() + " frames", sample[2] + " frames");
        }
        if (context.length != 3 || context[0] != sample[0] || context[1] < 1 || context[2] != cfg.captionChannels()) {
            throw new InvalidArgumentException("Denoiser.forward", "encoder_hidden_states",
                    "[" + sample[0] + ", L, " + cfg.captionChannels() + "]", Arrays.toString(context));
        }
    }

    @Override
    public long[] graphSampleShape(long[] s) {
        return Layouts.channelsLastShape(s);
    }

    @Override
    public Value build(Blocks blocks, Value sample, Value timestep, Value context) {
        return new LatteGraph(cfg, blocks).forward(sample, timestep, context);
    }

    @Override
    public long[][] referenceShapes() {
        long[][] p = probeShapes();
        p[0][2] = cfg.videoLength();
        return p;
    }

    @Override
    public long[][] probeShapes() {
        int p = cfg.patchSize();
        return new long[][] {{1, cfg.inChannels(), 1, p, p}, {1, 1, cfg.captionChannels()}};
    }
}
