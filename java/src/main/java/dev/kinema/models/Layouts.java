package dev.kinema.models;

import dev.kinema.DType;
import dev.kinema.Tensor;

/**
 * Host-side layout changes at a denoiser's boundary: diffusers passes video latents as
 * [B, C, T, H, W] (NCTHW); the graphs run channels-last [B, T, H, W, C]. A latent is small (a
 * 16-frame 64x64x4 latent is 1 MB), so one pass over it on the host is cheap next to a forward.
 */
public final class Layouts {
    private Layouts() {
    }

    /** The channels-last shape [B, T, H, W, C] of an NCTHW shape. */
    public static long[] channelsLastShape(long[] ncthw) {
        return new long[] {ncthw[0], ncthw[2], ncthw[3], ncthw[4], ncthw[1]};
    }

    /** Values of an NCTHW tensor of shape ncthw, reordered to [B, T, H, W, C]. */
    public static float[] toChannelsLast(float[] in, long[] ncthw) {
        long b = ncthw[0], c = ncthw[1], plane = ncthw[2] * ncthw[3] * ncthw[4];
        float[] out = new float[in.length];
        for (long bi = 0; bi < b; bi++) {
            for (long ci = 0; ci < c; ci++) {
                long src = (bi * c + ci) * plane;
                for (long p = 0; p < plane; p++) {
                    out[(int) ((bi * plane + p) * c + ci)] = in[(int) (src + p)];
                }
            }
        }
        return out;
    }

    /** [B, C, T, H, W] -> a new host tensor [B, T, H, W, C] of dtype. */
    public static Tensor toChannelsLast(Tensor ncthw, DType dtype) {
        long[] s = ncthw.shape();
        return Tensor.hostFromFloats(dtype, toChannelsLast(ncthw.toFloats(), s), channelsLastShape(s));
    }

    /** [B, T, H, W, C] -> a new host tensor [B, C, T, H, W]. */
    public static Tensor toChannelsFirst(Tensor nthwc) {
        long[] s = nthwc.shape();
        long b = s[0], t = s[1], h = s[2], w = s[3], c = s[4];
        float[] in = nthwc.toFloats(), out = new float[in.length];
        long plane = t * h * w;
        for (long bi = 0; bi < b; bi++) {
            for (long p = 0; p < plane; p++) {
                long src = (bi * plane + p) * c;
                for (long ci = 0; ci < c; ci++) {
                    out[(int) ((bi * c + ci) * plane + p)] = in[(int) (src + ci)];
                }
            }
        }
        return Tensor.hostFromFloats(nthwc.dtype(), out, b, c, t, h, w);
    }
}
