package dev.kinema.modelfile;

import java.util.List;

/** A denoiser's graph at one reference input shape (diffusers layouts), as stored in a .kinema file. */
public record GraphSnapshot(long[] sampleShape, long[] contextShape, List<NodeRecord> nodes) {
    public GraphSnapshot {
        sampleShape = sampleShape.clone();
        contextShape = contextShape.clone();
        nodes = List.copyOf(nodes);
    }

    @Override
    public long[] sampleShape() {
        return sampleShape.clone();
    }

    @Override
    public long[] contextShape() {
        return contextShape.clone();
    }
}
