// reference_ops.h - the oracle both native test suites check against (kernels/tests for the cuda and
// cuda-emu plugins, native/cpu/tests for the cpu backend): OPS.md's definitions as naive loops in
// double. It shares no code with kernels/ or native/cpu/, so neither suite checks a backend against
// itself.
#pragma once

#include <cstdint>
#include <vector>

namespace kinema::ref {

// Channels-last 3D convolution, stride (1, s, s), zero padding (kt/2, kh/2, kw/2):
// x[B,T,H,W,Ci], w[Co,Ci,kt,kh,kw] (PyTorch layout), y[B,T,Ho,Wo,Co]. conv_spatial is kt = 1, kh = kw = k;
// conv_temporal is kt = 3, kh = kw = 1, stride 1.
struct ConvShape {
    int64_t batch, frames, height, width, in_channels, out_channels;
    int kt, kh, kw, stride;
    int64_t out_height() const { return (height + 2 * (kh / 2) - kh) / stride + 1; }
    int64_t out_width() const { return (width + 2 * (kw / 2) - kw) / stride + 1; }
    int64_t input_count() const { return batch * frames * height * width * in_channels; }
    int64_t weight_count() const { return out_channels * in_channels * kt * kh * kw; }
    int64_t output_count() const { return batch * frames * out_height() * out_width() * out_channels; }
};

// OPS.md's KV(t) for attention: the k/v frames frame t of q attends to, in concatenation order, for a
// kv_frames mode (KN_KV_FRAMES_*: same, first, sparse_causal, all; context is frame 0 of [B,L,heads,D]).
std::vector<int64_t> kv_frames_of(int32_t mode, int64_t t, int64_t kv_frames);

// y = bias[o] + sum over in-range taps of x * w (+ residual); bias[Co] and residual[B,T,Ho,Wo,Co] may be NULL.
std::vector<double> conv3d_reference(const ConvShape &s, const float *x, const float *w, const float *bias,
                                     const float *residual);

struct DdimScalars {
    double alpha_t, sigma_t, alpha_s, sigma_s, guidance, eta, clip_x0;
    int prediction;  // enum kn_prediction
};

// OPS.md's ddim_step line by line over n elements; out_u and noise may be NULL. Returns y; fills x0_out
// (when not NULL) with the second output.
std::vector<double> ddim_reference(int64_t n, const DdimScalars &k, const float *x, const float *out_c,
                                   const float *out_u, const float *noise, std::vector<double> *x0_out);

// NumPy broadcasting, dimension by dimension: the flat index into z (shape zs, rank <= rank of xs,
// aligned right) of x's flat element i: each x coordinate is kept where z's dimension equals x's and
// dropped (0) where z's dimension is 1. For the elementwise ops' z operand.
int64_t broadcast_index(const std::vector<int64_t> &xs, const std::vector<int64_t> &zs, int64_t i);

// NULL for an empty vector: the tests hold an absent optional input as an empty vector.
inline const float *data_or_null(const std::vector<float> &v) { return v.empty() ? nullptr : v.data(); }

}  // namespace kinema::ref
