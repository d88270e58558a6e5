package dev.kinema.ref;

/**
 * The naive channels-last 3D convolution behind conv_spatial and conv_temporal:
 * {@code y = P⁻¹(F.conv3d(P(x), w, b, stride=(1,s,s), padding=(pt,ph,pw))) + residual},
 * one float64 accumulator per output element, zero padding.
 */
final class ReferenceConv {
    private ReferenceConv() {}

    /** Output extent of one dimension: floor((n + 2*pad - k) / stride) + 1, never negative. */
    static int outputSize(int n, int k, int pad, int stride) {
        return Math.max(0, Math.floorDiv(n + 2 * pad - k, stride) + 1);
    }

    /**
     * @param x        [B,T,H,W,Ci] channels-last
     * @param w        [Co,Ci,kt,kh,kw] (PyTorch layout)
     * @param bias     [Co] or null
     * @param residual [B,T',H',W',Co] output-shaped, or null
     * @return y [B,T',H',W',Co] with T' = T + 2*pt - kt + 1
     */
    static float[] conv3d(float[] x, int batch, int frames, int height, int width, int ci,
                          float[] w, int co, int kt, int kh, int kw,
                          float[] bias, float[] residual, int stride, int pt, int ph, int pw) {
        int outT = outputSize(frames, kt, pt, 1);
        int outH = outputSize(height, kh, ph, stride);
        int outW = outputSize(width, kw, pw, stride);
        float[] y = new float[Math.toIntExact((long) batch * outT * outH * outW * co)];
        int out = 0;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < outT; t++) {
                for (int oh = 0; oh < outH; oh++) {
                    for (int ow = 0; ow < outW; ow++) {
                        for (int o = 0; o < co; o++) {
                            double acc = bias == null ? 0.0 : bias[o];
                            for (int dt = 0; dt < kt; dt++) {
                                int ti = t - pt + dt;
                                if (ti < 0 || ti >= frames) {
                                    continue;
                                }
                                for (int dh = 0; dh < kh; dh++) {
                                    int hi = oh * stride - ph + dh;
                                    if (hi < 0 || hi >= height) {
                                        continue;
                                    }
                                    for (int dw = 0; dw < kw; dw++) {
                                        int wi = ow * stride - pw + dw;
                                        if (wi < 0 || wi >= width) {
                                            continue;
                                        }
                                        int xBase = (((b * frames + ti) * height + hi) * width + wi) * ci;
                                        for (int c = 0; c < ci; c++) {
                                            int wIndex = (((o * ci + c) * kt + dt) * kh + dh) * kw + dw;
                                            acc += (double) x[xBase + c] * (double) w[wIndex];
                                        }
                                    }
                                }
                            }
                            if (residual != null) {
                                acc += residual[out];
                            }
                            y[out++] = (float) acc;
                        }
                    }
                }
            }
        }
        return y;
    }
}
