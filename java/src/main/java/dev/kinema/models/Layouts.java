package dev.kinema.models;

import dev.kinema.DType;
import dev.kinema.Tensor;

/**
 * Host-side layout changes at a denoiser's boundary: diffusers passes video latents as
 * [B, C, T, H, W] (NCTHW); the graphs run channels-last [B, T, H, W, C]. A latent is small (a
 * 16-frame 64x64x4 latent is 1 MB), so one pass over it on the host is cheap next to a forward.
 */
final class Layouts {
    private Layouts() {
    }

    /** [B, C, T, H, W] -> a new host tensor [B, T, H, W, C]. */
    static Tensor toChannelsLast(Tensor ncthw, DType dtype) {
        long[] s = ncthw.shape();
        long b = s[0], c = s[1], t = s[2], h = s[3], w = s[4];
        float[] in = ncthw.toFloats(), out = new float[in.length];
        long plane = t * h * w;
        for (long bi = 0; bi < b; bi++) {
            for (long ci = 0; ci < c; ci++) {
                long src = (bi * c + ci) * plane;
                for (long p = 0; p < plane; p++) {
                    out[(int) ((bi * plane + p) * c + ci)] = in[(int) (src + p)];
                }
            }
        }
        return Tensor.hostFromFloats(dtype, out, b, t, h, w, c);
    }

    /** [B, T, H, W, C] -> a new host tensor [B, C, T, H, W]. */
    static Tensor toChannelsFirst(Tensor nthwc) {
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
