package dev.kinema.ref;

/** The elementwise float64 reference of ddim_step (OPS.md), one element at a time. */
final class ReferenceDdim {
    enum Prediction { EPS, V, X0 }

    /** The scalar attributes; sigmaEta and the eps coefficient are derived once per call. */
    record Params(double alphaT, double sigmaT, double alphaS, double sigmaS, double guidance,
                  Prediction prediction, double eta, double clipX0) {
        /** σ_η = eta * (σ_s/σ_t) * sqrt(σ_t² - (α_t σ_s / α_s)²); exactly 0 when eta = 0. */
        double sigmaEta() {
            if (eta == 0) {
                return 0;
            }
            double r = alphaT * sigmaS / alphaS;
            return eta * (sigmaS / sigmaT) * Math.sqrt(sigmaT * sigmaT - r * r);
        }
    }

    private ReferenceDdim() {}

    /**
     * @param outU  unconditional output, or null (no guidance)
     * @param noise or null: treated as zeros (the σ_η·noise term vanishes)
     * @param x0Out receives the (clipped) x0 prediction
     * @return y
     */
    static float[] step(float[] x, float[] outC, float[] outU, float[] noise, Params p, float[] x0Out) {
        double sigmaEta = p.sigmaEta();
        double epsCoefficient = Math.sqrt(p.sigmaS() * p.sigmaS() - sigmaEta * sigmaEta);
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            double m = outU == null ? outC[i] : outU[i] + p.guidance() * ((double) outC[i] - outU[i]);
            double x0;
            double eps;
            switch (p.prediction()) {
                case EPS -> {
                    x0 = (xi - p.sigmaT() * m) / p.alphaT();
                    eps = m;
                }
                case V -> {
                    x0 = p.alphaT() * xi - p.sigmaT() * m;
                    eps = p.sigmaT() * xi + p.alphaT() * m;
                }
                default -> {
                    x0 = m;
                    eps = (xi - p.alphaT() * x0) / p.sigmaT();
                }
            }
            if (p.clipX0() > 0) {
                x0 = Math.min(Math.max(x0, -p.clipX0()), p.clipX0());
                eps = (xi - p.alphaT() * x0) / p.sigmaT();
            }
            double n = noise == null ? 0.0 : noise[i];
            y[i] = (float) (p.alphaS() * x0 + epsCoefficient * eps + sigmaEta * n);
            x0Out[i] = (float) x0;
        }
        return y;
    }
}
