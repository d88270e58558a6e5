// reference.h - the obviously-correct float64 loops the cpu backend is checked against, in the cpu
// tests' terms; the loops themselves are native/reference's (shared with the kernels tests, no code
// shared with the cpu backend or the kernels).
#pragma once

#include <cstdint>
#include <vector>

#include "reference_ops.h"

namespace kinema::test {

struct ConvShape {
    int64_t batch, frames, h, w, ci, co;
};

// y[b,t,oh,ow,o] = bias[o] + sum x[b,t,oh*s+kh-k/2,ow*s+kw-k/2,c] * w[o,c,0,kh,kw] (+ residual);
// bias and residual may be NULL. Output [B,T,H',W',Co] with H' = (H + 2*(k/2) - k)/s + 1.
std::vector<double> conv_spatial_reference(const ConvShape &s, int k, int stride, const float *x, const float *w,
                                           const float *bias, const float *residual);

// y[b,t,p,o] = bias[o] + sum over kt with 0 <= t+kt-1 < T of x[b,t+kt-1,p,c] * w[o,c,kt] (+ residual).
std::vector<double> conv_temporal_reference(const ConvShape &s, const float *x, const float *w, const float *bias,
                                            const float *residual);

// alpha_t, sigma_t, alpha_s, sigma_s, guidance, eta, clip_x0, prediction (enum kn_prediction).
using DdimAttrs = ref::DdimScalars;

// OPS.md's ddim_step line by line; out_u and noise may be NULL. Returns y and fills x0_out.
std::vector<double> ddim_step_reference(int64_t n, const DdimAttrs &a, const float *x, const float *out_c,
                                        const float *out_u, const float *noise, std::vector<double> *x0_out);

}  // namespace kinema::test
