package dev.kinema;

/** The OPS.md semantics as plain loops in double: the oracle the backends are checked against. */
final class NaiveOps {
    private NaiveOps() {
    }

    /** y[B,T,H',W',Co] of conv_spatial; b and residual may be null. */
    static double[] convSpatial(float[] x, long[] xs, float[] w, long[] ws, float[] b, float[] residual, int stride) {
        int batch = (int) xs[0], frames = (int) xs[1], height = (int) xs[2], width = (int) xs[3], ci = (int) xs[4];
        int co = (int) ws[0], k = (int) ws[3], pad = k / 2;
        int oh = (height + 2 * pad - k) / stride + 1, ow = (width + 2 * pad - k) / stride + 1;
        double[] y = new double[batch * frames * oh * ow * co];
        int index = 0;
        for (int n = 0; n < batch; n++) {
            for (int t = 0; t < frames; t++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        for (int o = 0; o < co; o++) {
                            double sum = b == null ? 0 : b[o];
                            for (int c = 0; c < ci; c++) {
                                for (int kh = 0; kh < k; kh++) {
                                    for (int kw = 0; kw < k; kw++) {
                                        int h = i * stride - pad + kh, v = j * stride - pad + kw;
                                        if (h < 0 || h >= height || v < 0 || v >= width) {
                                            continue;
                                        }
                                        double xv = x[(((n * frames + t) * height + h) * width + v) * ci + c];
                                        double wv = w[((o * ci + c) * k + kh) * k + kw];
                                        sum += xv * wv;
                                    }
                                }
                            }
                            y[index] = sum + (residual == null ? 0 : residual[index]);
                            index++;
                        }
                    }
                }
            }
        }
        return y;
    }

    /** y[B,T,H,W,Co] of conv_temporal (3x1x1, zero padding in time). */
    static double[] convTemporal(float[] x, long[] xs, float[] w, long[] ws, float[] b, float[] residual) {
        int batch = (int) xs[0], frames = (int) xs[1], height = (int) xs[2], width = (int) xs[3], ci = (int) xs[4];
        int co = (int) ws[0];
        double[] y = new double[batch * frames * height * width * co];
        int index = 0;
        for (int n = 0; n < batch; n++) {
            for (int t = 0; t < frames; t++) {
                for (int h = 0; h < height; h++) {
                    for (int v = 0; v < width; v++) {
                        for (int o = 0; o < co; o++) {
                            double sum = b == null ? 0 : b[o];
                            for (int c = 0; c < ci; c++) {
                                for (int kt = 0; kt < 3; kt++) {
                                    int source = t + kt - 1;
                                    if (source < 0 || source >= frames) {
                                        continue;
                                    }
                                    sum += (double) x[(((n * frames + source) * height + h) * width + v) * ci + c]
                                            * w[(o * ci + c) * 3 + kt];
                                }
                            }
                            y[index] = sum + (residual == null ? 0 : residual[index]);
                            index++;
                        }
                    }
                }
            }
        }
        return y;
    }

    /** {y, x0} of ddim_step, element by element; outU and noise may be null. */
    static double[][] ddimStep(float[] x, float[] outC, float[] outU, float[] noise, DdimParams p) {
        double at = p.alphaT(), st = p.sigmaT(), as = p.alphaS(), ss = p.sigmaS(), c = p.clipX0();
        double ratio = at * ss / as;
        double sigmaEta = p.eta() == 0 ? 0 : p.eta() * (ss / st) * Math.sqrt(Math.max(0, st * st - ratio * ratio));
        double direction = Math.sqrt(Math.max(0, ss * ss - sigmaEta * sigmaEta));
        double[] y = new double[x.length];
        double[] x0 = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double m = outU == null ? outC[i] : outU[i] + p.guidance() * (outC[i] - outU[i]);
            double clean;
            double eps;
            switch (p.prediction()) {
                case EPS -> {
                    clean = (x[i] - st * m) / at;
                    eps = m;
                }
                case V -> {
                    clean = at * x[i] - st * m;
                    eps = st * x[i] + at * m;
                }
                default -> {
                    clean = m;
                    eps = (x[i] - at * clean) / st;
                }
            }
            if (c > 0) {
                clean = Math.max(-c, Math.min(c, clean));
                eps = (x[i] - at * clean) / st;
            }
            y[i] = as * clean + direction * eps + (noise == null ? 0 : sigmaEta * noise[i]);
            x0[i] = clean;
        }
        return new double[][] {y, x0};
    }
}
