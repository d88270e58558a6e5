package dev.kinema.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kinema.Backend;
import dev.kinema.DType;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.graph.GraphExecutor;
import dev.kinema.io.Safetensors;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A whole UNet3DConditionModel step on cuda-emu: the denoiser's executor captures its node sequence on
 * the first forward and replays the graph on the next; both give bit-identical outputs to an executor
 * of the same graph that makes one prepared call per node.
 */
class CapturedDenoiserTest {
    @Test
    void unet3dReplayIsBitIdenticalToNodeByNode() {
        assumeTrue(Kinema.probe().get(Backend.CUDA_EMU) == null, "cuda-emu unavailable here");
        Path folder = ModelGoldens.folder("unet3d");
        try (Kinema rt = Kinema.open(Backend.CUDA_EMU);
             Denoiser unet = Denoiser.open(rt, folder);
             Safetensors.Contents io = Safetensors.read(folder.resolve("io.safetensors"))) {
            Tensor sample = io.tensors().get("sample");
            Tensor timestep = io.tensors().get("timestep");
            Tensor context = io.tensors().get("encoder_hidden_states");
            GraphExecutor exec = unet.graphExecutor(sample.shape(), context.shape());
            assertTrue(exec.capturesGraph());
            float[] first;
            float[] second;
            try (Tensor y = unet.forward(sample, timestep, context)) {
                first = y.toFloats();
            }
            long nodes = exec.capturedNodeCount();
            long opNodes = exec.graph().nodes().stream().filter(n -> !n.isView()).count();
            assertTrue(nodes >= opNodes, "captured " + nodes + " launches for " + opNodes + " op nodes");
            try (Tensor y = unet.forward(sample, timestep, context)) {
                second = y.toFloats();
            }
            assertEquals(nodes, exec.capturedNodeCount(), "the second forward replays the same graph");
            assertArrayEquals(first, second, "replay equals the capturing run");

            float[] replayed = exec.result("output").toFloats();
            long batch = sample.dim(0);
            float[] t = new float[(int) batch];
            float[] given = timestep.toFloats();
            for (int i = 0; i < batch; i++) {
                t[i] = given[given.length == 1 ? 0 : i];
            }
            try (GraphExecutor stepwise = new GraphExecutor(exec.graph(), rt, false);
                 Tensor x = Layouts.toChannelsLast(sample, DType.F32);
                 Tensor ts = Tensor.hostFromFloats(t, batch)) {
                stepwise.run(Map.of("sample", x, "timestep", ts, "encoder_hidden_states", context), Map.of());
                assertArrayEquals(stepwise.result("output").toFloats(), replayed, "captured vs node by node");
                assertEquals(0, stepwise.capturedNodeCount());
            }
        }
    }
}
