package dev.kinema.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kinema.DdimParams;
import dev.kinema.Prediction;
import dev.kinema.render.PromptEncoder;
import dev.kinema.sampling.SamplerPlan;
import dev.kinema.sampling.SchedulerConfig;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ONNX Runtime's worker in the peer comparison: the Java API (com.microsoft.onnxruntime) on the ONNX
 * export of the workload (benchmarks/peers/export_onnx.py), CPU execution provider, all graph
 * optimisations, sequential execution with the given intra-op threads. A step is one session.run on
 * input tensors made once; a render is the regression prompt's 25 DDIM steps with classifier-free
 * guidance batched like Kinema's (one forward of batch 2 per step), the prompt encoded by Kinema's
 * PromptEncoder and the update done in plain Java (a few hundred thousand multiply-adds a step).
 *
 * <pre>
 *   java -cp benchmarks.jar dev.kinema.bench.peers.OrtWorker ROOT MODELS WORKLOAD THREADS
 * </pre>
 */
public final class OrtWorker implements WorkerLoop.Model {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final PeerWorkload workload;
    private final Path root;
    private final Map<String, OnnxTensor> inputs;

    private OrtWorker(Path root, Path models, PeerWorkload workload, int threads) throws OrtException {
        this.root = root;
        this.workload = workload;
        Path onnx = workload.onnxFile(models);
        if (!Files.isRegularFile(onnx)) {
            throw new IllegalArgumentException("no ONNX export at " + onnx + " (benchmarks/peers/export_onnx.py makes it)");
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(onnx.toString(), options);
        inputs = Map.of(
                "sample", tensor(workload.standardSample(), workload.sample()),
                "timestep", tensor(workload.standardTimesteps(), workload.sample()[0]),
                "encoder_hidden_states", tensor(workload.standardContext(), workload.context()));
    }

    private OnnxTensor tensor(float[] data, long... shape) throws OrtException {
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
    }

    @Override
    public void step() {
        try (OrtSession.Result result = session.run(inputs)) {
            result.get(0);
        } catch (OrtException e) {
            throw new IllegalStateException("onnxruntime: " + e.getMessage(), e);
        }
    }

    @Override
    public float[] output() {
        try (OrtSession.Result result = session.run(inputs)) {
            FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] values = new float[out.remaining()];
            out.get(values);
            return values;
        } catch (OrtException e) {
            throw new IllegalStateException("onnxruntime: " + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, Object> render() {
        if (!workload.embedded()) {
            throw new UnsupportedOperationException("workload " + workload.name() + " has no render (not an embedded model)");
        }
        Path folder = root.resolve(workload.source());
        SchedulerConfig scheduler = SchedulerConfig.read(folder.resolve("scheduler").resolve("scheduler_config.json"));
        int steps = 25;
        double guidance = 4.0;
        SamplerPlan plan = SamplerPlan.of(scheduler, SamplerPlan.Sampler.DDIM, steps, 0.0, guidance);
        PromptEncoder encoder = PromptEncoder.open(folder.resolve("text_encoder"));
        float[] cond = encoder.encode(workload.renderPrompt()), uncond = encoder.encode("");
        float[] context = new float[cond.length * 2];
        System.arraycopy(cond, 0, context, 0, cond.length);
        System.arraycopy(uncond, 0, context, cond.length, uncond.length);
        long[] shape = workload.sample();  // [2, C, F, H, W]: the conditional row, then the unconditional one
        int n = Math.toIntExact(workload.sampleElements() / 2);
        float[] x = new float[n];
        SplittableRandom random = new SplittableRandom(workload.renderSeed());
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * plan.initialScale());
        }
        float[] batch = new float[2 * n];
        double[] timesteps = plan.timesteps();
        try (OnnxTensor ctx = tensor(context, workload.context())) {
            for (int s = 0; s < steps; s++) {
                System.arraycopy(x, 0, batch, 0, n);
                System.arraycopy(x, 0, batch, n, n);
                float t = (float) timesteps[s];
                try (OnnxTensor sample = tensor(batch, shape); OnnxTensor ts = tensor(new float[] {t, t}, 2);
                     OrtSession.Result result = session.run(Map.of("sample", sample, "timestep", ts,
                             "encoder_hidden_states", ctx))) {
                    FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
                    ddimUpdate(x, out, n, plan.steps().get(s));
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("onnxruntime: " + e.getMessage(), e);
        }
        return Map.of("steps", steps);
    }

    /** OPS.md's ddim_step with guidance, eta 0, on the host: x := alpha_s x0 + sigma_s eps. */
    private static void ddimUpdate(float[] x, FloatBuffer out, int n, DdimParams p) {
        for (int i = 0; i < n; i++) {
            double c = out.get(i), u = out.get(n + i);
            double m = u + p.guidance() * (c - u);
            double xt = x[i], x0, eps;
            if (p.prediction() == Prediction.V) {
                x0 = p.alphaT() * xt - p.sigmaT() * m;
            } else if (p.prediction() == Prediction.X0) {
                x0 = m;
            } else {
                x0 = (xt - p.sigmaT() * m) / p.alphaT();
            }
            if (p.clipX0() > 0) {
                x0 = Math.max(-p.clipX0(), Math.min(p.clipX0(), x0));
            }
            eps = (xt - p.alphaT() * x0) / p.sigmaT();
            x[i] = (float) (p.alphaS() * x0 + p.sigmaS() * eps);
        }
    }

    public static void main(String[] args) throws IOException, OrtException {
        if (args.length != 4) {
            System.err.println("usage: OrtWorker ROOT MODELS WORKLOAD THREADS");
            System.exit(2);
        }
        long start = System.nanoTime();
        OrtWorker worker = new OrtWorker(Path.of(args[0]), Path.of(args[1]), PeerWorkload.named(args[2]),
                Integer.parseInt(args[3]));
        WorkerLoop.serve("onnxruntime", OrtEnvironment.getEnvironment().getVersion(), (System.nanoTime() - start) / 1e9, worker);
    }
}
