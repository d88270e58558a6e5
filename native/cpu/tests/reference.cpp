// reference.cpp - see reference.h.
#include "reference.h"

#include <algorithm>
#include <cmath>

#include "kinema.h"

namespace kinema::test {

std::vector<double> conv_spatial_reference(const ConvShape &s, int k, int stride, const float *x, const float *w,
                                           const float *bias, const float *residual) {
    const int64_t pad = k / 2;
    const int64_t oh_n = (s.h + 2 * pad - k) / stride + 1, ow_n = (s.w + 2 * pad - k) / stride + 1;
    std::vector<double> y(size_t(s.batch * s.frames * oh_n * ow_n * s.co));
    size_t out = 0;
    for (int64_t bt = 0; bt < s.batch * s.frames; ++bt)
        for (int64_t oh = 0; oh < oh_n; ++oh)
            for (int64_t ow = 0; ow < ow_n; ++ow)
                for (int64_t o = 0; o < s.co; ++o, ++out) {
                    double sum = bias != nullptr ? bias[o] : 0.0;
                    for (int64_t kh = 0; kh < k; ++kh)
                        for (int64_t kw = 0; kw < k; ++kw) {
                            const int64_t ih = oh * stride + kh - pad, iw = ow * stride + kw - pad;
                            if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                            for (int64_t c = 0; c < s.ci; ++c)
                                sum += double(x[((bt * s.h + ih) * s.w + iw) * s.ci + c]) *
                                       double(w[((o * s.ci + c) * k + kh) * k + kw]);
                        }
                    y[out] = sum + (residual != nullptr ? residual[out] : 0.0);
                }
    return y;
}

std::vector<double> conv_temporal_reference(const ConvShape &s, const float *x, const float *w, const float *bias,
                                            const float *residual) {
    const int64_t hw = s.h * s.w;
    std::vector<double> y(size_t(s.batch * s.frames * hw * s.co));
    size_t out = 0;
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t t = 0; t < s.frames; ++t)
            for (int64_t p = 0; p < hw; ++p)
                for (int64_t o = 0; o < s.co; ++o, ++out) {
                    double sum = bias != nullptr ? bias[o] : 0.0;
                    for (int64_t kt = 0; kt < 3; ++kt) {
                        const int64_t ts = t + kt - 1;
                        if (ts < 0 || ts >= s.frames) continue;
                        for (int64_t c = 0; c < s.ci; ++c)
                            sum += double(x[((b * s.frames + ts) * hw + p) * s.ci + c]) *
                                   double(w[(o * s.ci + c) * 3 + kt]);
                    }
                    y[out] = sum + (residual != nullptr ? residual[out] : 0.0);
                }
    return y;
}

std::vector<double> ddim_step_reference(int64_t n, const DdimAttrs &a, const float *x, const float *out_c,
                                        const float *out_u, const float *noise, std::vector<double> *x0_out) {
    std::vector<double> y(static_cast<size_t>(n));
    if (x0_out != nullptr) x0_out->assign(size_t(n), 0.0);
    const double at = a.alpha_t, st = a.sigma_t, as = a.alpha_s, ss = a.sigma_s;
    double sigma_eta = 0.0;
    if (a.eta > 0) {
        const double r = at * ss / as;
        sigma_eta = a.eta * (ss / st) * std::sqrt(std::max(0.0, st * st - r * r));
    }
    for (int64_t i = 0; i < n; ++i) {
        const double xi = x[i];
        const double m = out_u != nullptr ? out_u[i] + a.guidance * (double(out_c[i]) - out_u[i]) : out_c[i];
        double x0, eps;
        if (a.prediction == KN_PREDICTION_EPS) {
            x0 = (xi - st * m) / at;
            eps = m;
        } else if (a.prediction == KN_PREDICTION_V) {
            x0 = at * xi - st * m;
            eps = st * xi + at * m;
        } else {
            x0 = m;
            eps = (xi - at * x0) / st;
        }
        if (a.clip_x0 > 0) {
            x0 = std::isnan(x0) ? x0 : std::min(std::max(x0, -a.clip_x0), a.clip_x0);
            eps = (xi - at * x0) / st;
        }
        double yi = as * x0 + std::sqrt(std::max(0.0, ss * ss - sigma_eta * sigma_eta)) * eps;
        if (noise != nullptr) yi += sigma_eta * noise[i];
        y[size_t(i)] = yi;
        if (x0_out != nullptr) (*x0_out)[size_t(i)] = x0;
    }
    return y;
}

}  // namespace kinema::test
