package dev.kinema.models;

import dev.kinema.Tensor;
import dev.kinema.io.Json;
import dev.kinema.io.JsonException;
import dev.kinema.io.Safetensors;
import dev.kinema.io.SafetensorsFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of one model: a safetensors file, or a sharded checkpoint through its
 * {@code *.safetensors.index.json} (every shard validated before use). A model builder takes each
 * weight by key and expected shape; problems are collected instead of thrown one by one, and
 * {@link #verify} then reports all missing, unexpected and mis-shaped keys together. A weight that is
 * missing or mis-shaped is stood in for by zeros so that the build can go on to find the rest.
 * Weights are loaded as host copies in the requested dtype (f16/bf16 files convert on load).
 */
public final class Checkpoint extends TrackedWeights {
    /** Index files hold one line per key; a larger one is refused before it is parsed. */
    static final long MAX_INDEX_BYTES = 64L << 20;

    private final String source;
    private final List<SafetensorsFile> files = new ArrayList<>();
    private final Map<String, SafetensorsFile> owner = new LinkedHashMap<>();

    private Checkpoint(String source) {
        this.source = source;
    }

    /**
     * Opens a checkpoint: a {@code .safetensors} file, a {@code .safetensors.index.json}, or a
     * diffusers model folder (its {@code diffusion_pytorch_model.safetensors} or the index beside it).
     */
    public static Checkpoint open(Path path) {
        Path file = resolve(path);
        Checkpoint c = new Checkpoint(file.toString());
        try {
            if (file.getFileName().toString().endsWith(".index.json")) {
                c.openShards(file);
            } else {
                c.add(Safetensors.open(file));
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Several checkpoints read as one (a U-Net and the MotionAdapter whose modules go into it); a key
     * in two of them is refused.
     */
    public static Checkpoint open(List<Path> paths) {
        if (paths.size() == 1) {
            return open(paths.get(0));
        }
        Checkpoint all = new Checkpoint(String.join(" + ", paths.stream().map(Path::toString).toList()));
        try {
            for (Path path : paths) {
                Checkpoint part = open(path);
                all.files.addAll(part.files);
                for (Map.Entry<String, SafetensorsFile> e : part.owner.entrySet()) {
                    if (all.owner.putIfAbsent(e.getKey(), e.getValue()) != null) {
                        throw new CheckpointFormatException(path.toString(), e.getKey(),
                                "a key that no other checkpoint of the model holds", "also in " + all.owner.get(e.getKey()).file());
                    }
                }
            }
            return all;
        } catch (RuntimeException e) {
            all.close();
            throw e;
        }
    }

    private static Path resolve(Path path) {
        if (!Files.isDirectory(path)) {
            return path;
        }
        for (String name : List.of("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors.index.json",
                "model.safetensors", "model.safetensors.index.json")) {
            if (Files.isRegularFile(path.resolve(name))) {
                return path.resolve(name);
            }
        }
        throw new CheckpointFormatException(path.toString(), "folder",
                "diffusion_pytorch_model.safetensors or its .index.json inside", "neither");
    }

    @SuppressWarnings("unchecked")
    private void openShards(Path index) {
        Object root;
        try {
            long size = Files.size(index);
            if (size > MAX_INDEX_BYTES) {
                throw new CheckpointFormatException(index.toString(), "size", "at most " + MAX_INDEX_BYTES + " bytes",
                        size + " bytes");
            }
            root = Json.parse(new String(Files.readAllBytes(index), StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw new CheckpointFormatException(index.toString(), "(file)", "valid JSON", e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + index, e);
        }
        if (!(root instanceof Map<?, ?> map) || !(map.get("weight_map") instanceof Map<?, ?> weightMap)) {
            throw new CheckpointFormatException(index.toString(), "weight_map", "an object of key -> shard file",
                    root instanceof Map<?, ?> m ? String.valueOf(m.get("weight_map")) : "no JSON object");
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Path dir = index.toAbsolutePath().getParent();
        for (Map.Entry<?, ?> e : weightMap.entrySet()) {
            String key = (String) e.getKey();
            if (!(e.getValue() instanceof String shard) || shard.contains("/") || shard.contains("\\")
                    || shard.equals("..") || shard.isEmpty()) {
                throw new CheckpointFormatException(index.toString(), "weight_map." + key,
                        "a shard file name in the same folder", String.valueOf(e.getValue()));
            }
            SafetensorsFile f = shards.get(shard);
            if (f == null) {
                f = Safetensors.open(dir.resolve(shard));
                shards.put(shard, f);
                files.add(f);
            }
            if (!f.names().contains(key)) {
                throw new CheckpointFormatException(index.toString(), "weight_map." + key,
                        "a key present in " + shard, "not in that shard");
            }
            owner.put(key, f);
        }
        for (Map.Entry<String, SafetensorsFile> e : shards.entrySet()) {
            for (String key : e.getValue().names()) {
                if (owner.get(key) != e.getValue()) {
                    throw new CheckpointFormatException(index.toString(), "weight_map",
                            "every tensor of " + e.getKey() + " listed once", key + " missing or listed elsewhere");
                }
            }
        }
    }

    private void add(SafetensorsFile f) {
        files.add(f);
        for (String key : f.names()) {
            owner.put(key, f);
        }
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public Set<String> keys() {
        return owner.keySet();
    }

    public boolean contains(String key) {
        return owner.containsKey(key);
    }

    /** The shape of key in the file, or null when absent. */
    public long[] shapeOf(String key) {
        SafetensorsFile f = owner.get(key);
        return f == null ? null : f.info(key).shape();
    }

    @Override
    long[] storedShape(String key) {
        return shapeOf(key);
    }

    @Override
    Tensor load(String key) {
        return owner.get(key).load(key);
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
