// reference_ops.h - the oracle: OPS.md's definitions as naive loops in double, independent of kernels/.
#pragma once

#include <cstdint>
#include <vector>

// Channels-last 3D convolution, stride (1, s, s), zero padding (kt/2, kh/2, kw/2):
// x[B,T,H,W,Ci], w[Co,Ci,kt,kh,kw] (PyTorch layout), bias[Co] and residual[B,T,Ho,Wo,Co] optional (empty).
struct ConvShape {
    int64_t batch, frames, height, width, in_channels, out_channels;
    int kt, kh, kw, stride;
    int64_t out_height() const { return (height + 2 * (kh / 2) - kh) / stride + 1; }
    int64_t out_width() const { return (width + 2 * (kw / 2) - kw) / stride + 1; }
    int64_t input_count() const { return batch * frames * height * width * in_channels; }
    int64_t weight_count() const { return out_channels * in_channels * kt * kh * kw; }
    int64_t output_count() const { return batch * frames * out_height() * out_width() * out_channels; }
};

std::vector<double> conv3d_reference(const ConvShape &s, const std::vector<float> &x, const std::vector<float> &w,
                                     const std::vector<float> &bias, const std::vector<float> &residual);

// ddim_step per OPS.md; out_u and noise optional (empty). Returns y; x0 receives the second output.
struct DdimScalars {
    double alpha_t, sigma_t, alpha_s, sigma_s, guidance, eta, clip_x0;
    int prediction;  // enum kn_prediction
};

std::vector<double> ddim_reference(const DdimScalars &k, const std::vector<float> &x, const std::vector<float> &out_c,
                                   const std::vector<float> &out_u, const std::vector<float> &noise,
                                   std::vector<double> *x0);
