package dev.kinema.models;

import dev.kinema.Tensor;
import dev.kinema.modelfile.ModelFile;

import java.util.Set;

/** The weights of a .kinema file as a {@link WeightSource}. */
final class ModelFileWeights extends TrackedWeights {
    private final ModelFile file;

    ModelFileWeights(ModelFile file) {
        this.file = file;
    }

    @Override
    public String source() {
        return file.file().toString();
    }

    @Override
    public Set<String> keys() {
        return file.tensors().keySet();
    }

    @Override
    long[] storedShape(String key) {
        ModelFile.Entry e = file.tensors().get(key);
        return e == null ? null : e.shape();
    }

    @Override
    Tensor load(String key) {
        return file.load(key);
    }

    @Override
    public void close() {
        // the ModelFile is owned by the caller
    }
}
