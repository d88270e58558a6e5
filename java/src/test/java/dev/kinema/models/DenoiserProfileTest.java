package dev.kinema.models;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.graph.GraphExecutor;
import dev.kinema.graph.Profile;
import dev.kinema.io.Safetensors;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Denoiser.profile and Denoiser.graphExecutor: the same graph and the same output as forward. */
class DenoiserProfileTest {
    @Test
    void profileAndExecutorRunForwardsGraph() {
        try (Kinema rt = Kinema.open(Backend.CPU);
             Denoiser d = Denoiser.open(rt, ModelGoldens.folder("unet3d"));
             Safetensors.Contents io = Safetensors.read(ModelGoldens.folder("unet3d").resolve("io.safetensors"))) {
            Tensor sample = io.tensors().get("sample"), t = io.tensors().get("timestep"), ctx = io.tensors().get("encoder_hidden_states");
            GraphExecutor exec = d.graphExecutor(sample.shape(), ctx.shape());
            assertSame(exec.plan(), d.plan(sample.shape(), ctx.shape()), "one cached graph per shape");
            long nodes = exec.plan().schedule().stream().filter(n -> !n.isView()).count();
            Profile p = d.profile(sample, t, ctx);
            assertEquals(nodes, p.entries().size(), "every kernel node is timed");
            assertTrue(p.nanosByFamily().containsKey("conv") && p.nanosByFamily().containsKey("attention"));
            float[] profiled;
            try (Tensor out = exec.result("output").toHost()) {
                profiled = out.toFloats();
            }
            try (Tensor y = d.forward(sample, t, ctx); Tensor yl = Layouts.toChannelsLast(y, y.dtype())) {
                assertArrayEquals(yl.toFloats(), profiled, "profile leaves forward's output (channels-last) in the graph");
            }
            assertTrue(exec.graph().inputs().keySet().containsAll(Map.of("sample", 0, "timestep", 0,
                    "encoder_hidden_states", 0).keySet()));
        }
    }
}
