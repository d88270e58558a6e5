// reference_ops.cpp - see reference_ops.h.
#include "reference_ops.h"

#include <algorithm>
#include <cmath>

#include "kinema.h"

namespace kinema::ref {

int64_t broadcast_index(const std::vector<int64_t> &xs, const std::vector<int64_t> &zs, int64_t i) {
    const size_t pad = xs.size() - zs.size();
    int64_t index = 0, z_stride = 1;
    for (size_t d = xs.size(); d-- > 0;) {
        const int64_t coord = i % xs[d];
        i /= xs[d];
        if (d < pad) continue;
        const int64_t zd = zs[d - pad];
        index += (zd == 1 ? 0 : coord) * z_stride;
        z_stride *= zd;
    }
    return index;
}

std::vector<int64_t> kv_frames_of(int32_t mode, int64_t t, int64_t kv_frames) {
    switch (mode) {
        case KN_KV_FRAMES_SAME: return {t};
        case KN_KV_FRAMES_SPARSE_CAUSAL: return {0, t - 1 > 0 ? t - 1 : 0};
        case KN_KV_FRAMES_ALL: {
            std::vector<int64_t> all;
            for (int64_t f = 0; f < kv_frames; ++f) all.push_back(f);
            return all;
        }
        default: return {0};  // first, context
    }
}

std::vector<double> conv3d_reference(const ConvShape &s, const float *x, const float *w, const float *bias,
                                     const float *residual) {
    const int64_t ho_count = s.out_height(), wo_count = s.out_width();
    const int pt = s.kt / 2, ph = s.kh / 2, pw = s.kw / 2;
    std::vector<double> y(static_cast<size_t>(s.output_count()));
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t t = 0; t < s.frames; ++t)
            for (int64_t ho = 0; ho < ho_count; ++ho)
                for (int64_t wo = 0; wo < wo_count; ++wo)
                    for (int64_t co = 0; co < s.out_channels; ++co) {
                        double acc = bias != nullptr ? bias[co] : 0.0;
                        for (int64_t ci = 0; ci < s.in_channels; ++ci)
                            for (int dt = 0; dt < s.kt; ++dt)
                                for (int dh = 0; dh < s.kh; ++dh)
                                    for (int dw = 0; dw < s.kw; ++dw) {
                                        const int64_t ti = t + dt - pt;
                                        const int64_t hi = ho * s.stride + dh - ph;
                                        const int64_t wi = wo * s.stride + dw - pw;
                                        if (ti < 0 || ti >= s.frames || hi < 0 || hi >= s.height || wi < 0 ||
                                            wi >= s.width)
                                            continue;
                                        const double xv =
                                            x[(((b * s.frames + ti) * s.height + hi) * s.width + wi) * s.in_channels +
                                              ci];
                                        const double wv =
                                            w[(((co * s.in_channels + ci) * s.kt + dt) * s.kh + dh) * s.kw + dw];
                                        acc += xv * wv;
                                    }
                        const int64_t out =
                            (((b * s.frames + t) * ho_count + ho) * wo_count + wo) * s.out_channels + co;
                        if (residual != nullptr) acc += residual[out];
                        y[static_cast<size_t>(out)] = acc;
                    }
    return y;
}

std::vector<double> ddim_reference(int64_t n, const DdimScalars &k, const float *x, const float *out_c,
                                   const float *out_u, const float *noise, std::vector<double> *x0_out) {
    std::vector<double> y(static_cast<size_t>(n));
    if (x0_out != nullptr) x0_out->assign(static_cast<size_t>(n), 0.0);
    const double at = k.alpha_t, st = k.sigma_t, as = k.alpha_s, ss = k.sigma_s;
    // Only eta > 0 needs sigma_eta; clamping the radicands keeps rounding below 0 from making NaN.
    double sigma_eta = 0.0;
    if (k.eta > 0) {
        const double r = at * ss / as;
        sigma_eta = k.eta * (ss / st) * std::sqrt(std::max(0.0, st * st - r * r));
    }
    for (int64_t i = 0; i < n; ++i) {
        const double xv = x[i];
        const double m = out_u != nullptr ? out_u[i] + k.guidance * (double(out_c[i]) - out_u[i]) : out_c[i];
        double x0, eps;
        if (k.prediction == KN_PREDICTION_EPS) {
            x0 = (xv - st * m) / at;
            eps = m;
        } else if (k.prediction == KN_PREDICTION_V) {
            x0 = at * xv - st * m;
            eps = st * xv + at * m;
        } else {
            x0 = m;
            eps = (xv - at * x0) / st;
        }
        if (k.clip_x0 > 0) {
            x0 = std::isnan(x0) ? x0 : std::min(std::max(x0, -k.clip_x0), k.clip_x0);
            eps = (xv - at * x0) / st;
        }
        double yv = as * x0 + std::sqrt(std::max(0.0, ss * ss - sigma_eta * sigma_eta)) * eps;
        if (noise != nullptr) yv += sigma_eta * noise[i];
        y[static_cast<size_t>(i)] = yv;
        if (x0_out != nullptr) (*x0_out)[static_cast<size_t>(i)] = x0;
    }
    return y;
}

}  // namespace kinema::ref
