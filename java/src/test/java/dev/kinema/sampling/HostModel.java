package dev.kinema.sampling;

import dev.kinema.Kinema;
import dev.kinema.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A step model computed on the host: out[row, f] = sum_g M[f][g] z[row, g] + bias(row) at every
 * pixel and channel of the channels-last sample, bias(row) the first value of the row's context
 * (so the unconditional and conditional rows differ). Linear in z with Jacobian M along frames.
 * Records the sample shape of every call.
 */
final class HostModel implements StepModel, AutoCloseable {
    private final Kinema runtime;
    private final double[][] mix;
    private Tensor last;
    final List<long[]> shapes = new ArrayList<>();

    HostModel(Kinema runtime, double[][] mix) {
        this.runtime = runtime;
        this.mix = mix;
    }

    /** M[f][g] = base + (f == g ? diag : 0) + skew (f - g) / frames: symmetric when skew is 0. */
    static double[][] mixing(int frames, double base, double diag, double skew) {
        double[][] m = new double[frames][frames];
        for (int f = 0; f < frames; f++) {
            for (int g = 0; g < frames; g++) {
                m[f][g] = base / frames + (f == g ? diag : 0) + skew * (f - g) / frames + 0.05 * Math.cos(f + g);
            }
        }
        return m;
    }

    /** The model as a function of a channels-last sample [rows, F, H, W, C] (double, for references). */
    static double[] apply(double[][] mix, double[] z, long[] shape, double[] bias) {
        int rows = (int) shape[0], frames = (int) shape[1], per = (int) (shape[2] * shape[3] * shape[4]);
        double[] out = new double[z.length];
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < frames; f++) {
                for (int e = 0; e < per; e++) {
                    double sum = bias[r];
                    for (int g = 0; g < frames; g++) {
                        sum += mix[f][g] * z[(r * frames + g) * per + e];
                    }
                    out[(r * frames + f) * per + e] = sum;
                }
            }
        }
        return out;
    }

    @Override
    public Tensor evaluate(Tensor sample, Tensor timestep, Tensor context) {
        long[] shape = sample.shape();
        shapes.add(shape);
        float[] in = sample.toFloats(), ctx = context.toFloats();
        int rows = (int) shape[0], perRow = ctx.length / rows;
        double[] z = new double[in.length], bias = new double[rows];
        for (int i = 0; i < in.length; i++) {
            z[i] = in[i];
        }
        for (int r = 0; r < rows; r++) {
            bias[r] = ctx[r * perRow];
        }
        double[] out = apply(mix, z, shape, bias);
        float[] f = new float[out.length];
        for (int i = 0; i < out.length; i++) {
            f[i] = (float) out[i];
        }
        if (last != null) {
            last.close();
        }
        last = runtime.fromFloats(f, shape);
        return last;
    }

    @Override
    public void close() {
        if (last != null) {
            last.close();
        }
    }
}
