package dev.kinema.models;

import dev.kinema.DType;
import dev.kinema.InvalidArgumentException;
import dev.kinema.Kinema;
import dev.kinema.Tensor;
import dev.kinema.graph.GraphBuilder;
import dev.kinema.graph.GraphExecutor;
import dev.kinema.graph.Value;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One diffusers CrossAttnDownBlockSpatioTemporal (Stable Video Diffusion's learned spatio-temporal
 * mixing; no downsampler) loaded from its config.json and a checkpoint with the block's own diffusers
 * keys ({@code resnets.N.*}, {@code attentions.N.*}, as under {@code down_blocks.K.} of a
 * UNetSpatioTemporalConditionModel) and run on one {@link Kinema} runtime. Per layer: a
 * SpatioTemporalResBlock, then a TransformerSpatioTemporalModel (see {@link SpatioTemporalBlocks}).
 *
 * <p>{@link #forward} takes diffusers' own inputs, frames folded into the batch b-major:
 * hidden_states [B*F, C_in, H, W], temb [B*F, temb_channels], encoder_hidden_states
 * [B*F, L, cross_attention_dim] and image_only_indicator [B, F] (1 = an image-only frame, which takes
 * the spatial path alone). Weights are uploaded once at open, where a checkpoint that does not fit the
 * config is refused with every missing, unexpected and mis-shaped key in one
 * {@link CheckpointMismatchException}. A graph is planned per input shape (and per "some frame is
 * image-only") and kept. Not thread-safe.
 */
public final class SpatioTemporalBlock implements AutoCloseable {
    private static final int MAX_CACHED_GRAPHS = 4;
    private static final String RESNET_OUTPUT = "resnet_output";

    private final Kinema runtime;
    private final SpatioTemporalBlockConfig config;
    private final Weights weights;
    private final Map<List<Long>, Planned> graphs = new LinkedHashMap<>(8, 0.75f, true);
    private boolean closed;

    /** A planned graph and the mixer inputs it declared (input name -> mix_factor key). */
    private record Planned(GraphExecutor exec, Map<String, String> alphaInputs) {
    }

    /**
     * What {@link #forward} returns, host tensors in diffusers' layout: the block's output
     * [B*F, C_out, H, W] and the first SpatioTemporalResBlock's output (same shape), to locate errors.
     */
    public record Result(Tensor output, Tensor resnetOutput) implements AutoCloseable {
        @Override
        public void close() {
            output.close();
            resnetOutput.close();
        }
    }

    private SpatioTemporalBlock(Kinema runtime, SpatioTemporalBlockConfig config, Weights weights) {
        this.runtime = runtime;
        this.config = config;
        this.weights = weights;
    }

    /**
     * Opens the block: configJson (CrossAttnDownBlockSpatioTemporal's arguments) and checkpoint (a
     * .safetensors file, its .index.json, or a folder holding diffusion_pytorch_model.safetensors).
     */
    public static SpatioTemporalBlock open(Kinema runtime, Path configJson, Path checkpoint) {
        if (runtime == null) {
            throw new InvalidArgumentException("SpatioTemporalBlock.open", "runtime", "an open Kinema runtime", "null");
        }
        SpatioTemporalBlockConfig config = SpatioTemporalBlockConfig.read(ConfigReader.read(configJson));
        try (Checkpoint source = Checkpoint.open(checkpoint)) {
            Weights weights = new Weights(runtime, DType.F32, source);
            SpatioTemporalBlock block = new SpatioTemporalBlock(runtime, config, weights);
            try {
                block.build(1, 2, 1, 1, 1, false);  // a probe graph takes every weight once
                source.verify();
                weights.detachCheckpoint();
                return block;
            } catch (RuntimeException e) {
                block.close();
                throw e;
            }
        }
    }

    public SpatioTemporalBlockConfig config() {
        return config;
    }

    /**
     * One forward pass on diffusers' inputs (host or device tensors, f32; see the class note); returns
     * new host tensors the caller closes.
     */
    public Result forward(Tensor hiddenStates, Tensor temb, Tensor encoderHiddenStates, Tensor imageOnlyIndicator) {
        if (closed) {
            throw new IllegalStateException("block is closed");
        }
        check("hidden_states", hiddenStates, 4);
        check("temb", temb, 2);
        check("encoder_hidden_states", encoderHiddenStates, 3);
        check("image_only_indicator", imageOnlyIndicator, 2);
        long batch = imageOnlyIndicator.dim(0), frames = imageOnlyIndicator.dim(1);
        long[] hs = hiddenStates.shape(), ehs = encoderHiddenStates.shape();
        long bf = batch * frames;
        require("hidden_states", hs[0] == bf && hs[1] == config.inChannels() && hs[2] >= 1 && hs[3] >= 1,
                "[" + bf + " (B*F of image_only_indicator), " + config.inChannels() + ", H, W]", hs);
        require("temb", temb.dim(0) == bf && temb.dim(1) == config.tembChannels(),
                "[" + bf + ", " + config.tembChannels() + "]", temb.shape());
        require("encoder_hidden_states", ehs[0] == bf && ehs[1] >= 1 && ehs[2] == config.crossAttentionDim(),
                "[" + bf + ", L, " + config.crossAttentionDim() + "]", ehs);
        float[] indicator = imageOnlyIndicator.toFloats();
        boolean withImages = false;
        for (float v : indicator) {
            withImages |= v != 0;
        }
        Planned planned = executor(batch, frames, hs[2], hs[3], ehs[1], withImages);
        Map<String, Tensor> in = new HashMap<>();
        try {
            in.put("hidden_states", channelsLast(hiddenStates, batch, frames));
            in.put("temb", Tensor.hostFromFloats(DType.F32, temb.toFloats(), batch, frames, config.tembChannels()));
            float[] states = encoderHiddenStates.toFloats();
            in.put("encoder_hidden_states", Tensor.hostFromFloats(DType.F32, states, batch, frames, ehs[1], ehs[2]));
            in.put("first_frame_encoder_hidden_states", firstFrame(states, batch, frames, ehs[1] * ehs[2], ehs));
            for (Map.Entry<String, String> e : planned.alphaInputs().entrySet()) {
                in.put(e.getKey(), alphas(e.getKey(), e.getValue(), indicator, batch, frames));
            }
            planned.exec().run(in, Map.of());
            Tensor out = channelsFirst(planned.exec().result("output"));
            try {
                return new Result(out, channelsFirst(planned.exec().result(RESNET_OUTPUT)));
            } catch (RuntimeException e) {
                out.close();
                throw e;
            }
        } finally {
            in.values().forEach(Tensor::close);
        }
    }

    private Planned executor(long batch, long frames, long height, long width, long tokens, boolean withImages) {
        List<Long> key = List.of(batch, frames, height, width, tokens, withImages ? 1L : 0L);
        Planned p = graphs.get(key);
        if (p == null) {
            Built built = build(batch, frames, height, width, tokens, withImages);
            p = new Planned(new GraphExecutor(built.graph().build(), runtime), built.alphaInputs());
            graphs.put(key, p);
            if (graphs.size() > MAX_CACHED_GRAPHS) {
                var eldest = graphs.entrySet().iterator().next();
                eldest.getValue().exec().close();
                graphs.remove(eldest.getKey());
            }
        }
        return p;
    }

    private record Built(GraphBuilder graph, Map<String, String> alphaInputs) {
    }

    /** The graph: channels-last hidden_states [B, F, H, W, C_in] -> output [B, F, H, W, C_out]. */
    private Built build(long batch, long frames, long height, long width, long tokens, boolean withImages) {
        GraphBuilder g = new GraphBuilder();
        Blocks b = new Blocks(g, weights);
        SpatioTemporalBlocks st = new SpatioTemporalBlocks(b, withImages);
        Value h = g.input("hidden_states", DType.F32, batch, frames, height, width, config.inChannels());
        Value temb = g.input("temb", DType.F32, batch, frames, config.tembChannels());
        Value context = g.input("encoder_hidden_states", DType.F32, batch, frames, tokens, config.crossAttentionDim());
        Value first = g.input("first_frame_encoder_hidden_states", DType.F32, batch, tokens, config.crossAttentionDim());
        Value embAct = b.op("temb_act", "silu", Map.of(), "x", temb);
        for (int i = 0; i < config.numLayers(); i++) {
            h = st.resBlock("resnets." + i, h, config.outChannels(), embAct);
            if (i == 0) {
                g.output(RESNET_OUTPUT, h);
            }
            h = st.transformer("attentions." + i, h, context, first, config.transformerLayersPerBlock()[i],
                    config.numAttentionHeads(), config.headDim());
        }
        g.output("output", h);
        return new Built(g, st.alphaInputs());
    }

    /** [B*F, C, H, W] -> a new host tensor [B, F, H, W, C]. */
    private static Tensor channelsLast(Tensor nchw, long batch, long frames) {
        long[] s = nchw.shape();
        try (Tensor five = Tensor.hostFromFloats(DType.F32, nchw.toFloats(), s[0], s[1], 1, s[2], s[3]);
             Tensor cl = Layouts.toChannelsLast(five, DType.F32)) {
            return Tensor.hostFromFloats(DType.F32, cl.toFloats(), batch, frames, s[2], s[3], s[1]);
        }
    }

    /** [B, F, H, W, C] -> a new host tensor [B*F, C, H, W]. */
    private static Tensor channelsFirst(Tensor nfhwc) {
        long[] s = nfhwc.shape();
        try (Tensor five = Tensor.hostFromFloats(DType.F32, nfhwc.toFloats(), s[0] * s[1], 1, s[2], s[3], s[4]);
             Tensor cf = Layouts.toChannelsFirst(five)) {
            return Tensor.hostFromFloats(DType.F32, cf.toFloats(), s[0] * s[1], s[4], s[2], s[3]);
        }
    }

    /** diffusers' time_context: the encoder states of frame 0 of each video, [B, L, D]. */
    private static Tensor firstFrame(float[] states, long batch, long frames, long perFrame, long[] shape) {
        float[] out = new float[(int) (batch * perFrame)];
        for (int bi = 0; bi < batch; bi++) {
            System.arraycopy(states, (int) (bi * frames * perFrame), out, (int) (bi * perFrame), (int) perFrame);
        }
        return Tensor.hostFromFloats(DType.F32, out, batch, shape[1], shape[2]);
    }

    /**
     * alpha = where(indicator, 1, sigmoid(mix_factor)) per (b, f) as [B, F, 1, 1, 1] (or 1 - alpha for
     * a "*.one_minus_alpha" input), computed in double and rounded once.
     */
    private Tensor alphas(String input, String mixKey, float[] indicator, long batch, long frames) {
        double mix = weights.loaded(mixKey).toFloats()[0];
        double learned = 1 / (1 + Math.exp(-mix));
        boolean complement = input.endsWith(".one_minus_alpha");
        float[] v = new float[indicator.length];
        for (int i = 0; i < v.length; i++) {
            double alpha = indicator[i] != 0 ? 1 : learned;
            v[i] = (float) (complement ? 1 - alpha : alpha);
        }
        return Tensor.hostFromFloats(DType.F32, v, batch, frames, 1, 1, 1);
    }

    private static void check(String name, Tensor t, int rank) {
        if (t == null || t.isClosed()) {
            throw new InvalidArgumentException("SpatioTemporalBlock.forward", name, "an open tensor", String.valueOf(t));
        }
        require(name, t.rank() == rank && t.dtype() == DType.F32, "an f32 tensor of rank " + rank, t.shape());
    }

    private static void require(String name, boolean ok, String expected, long[] actual) {
        if (!ok) {
            throw new InvalidArgumentException("SpatioTemporalBlock.forward", name, expected, Arrays.toString(actual));
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            graphs.values().forEach(p -> p.exec().close());
            graphs.clear();
            weights.close();
        }
    }
}
