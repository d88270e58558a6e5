// reference.cpp - see reference.h: the cpu tests' shapes mapped onto native/reference's loops.
#include "reference.h"

#include "reference_ops.h"

namespace kinema::test {

std::vector<double> conv_spatial_reference(const ConvShape &s, int k, int stride, const float *x, const float *w,
                                           const float *bias, const float *residual) {
    const ref::ConvShape shape{s.batch, s.frames, s.h, s.w, s.ci, s.co, 1, k, k, stride};
    return ref::conv3d_reference(shape, x, w, bias, residual);
}

std::vector<double> conv_temporal_reference(const ConvShape &s, const float *x, const float *w, const float *bias,
                                            const float *residual) {
    const ref::ConvShape shape{s.batch, s.frames, s.h, s.w, s.ci, s.co, 3, 1, 1, 1};
    return ref::conv3d_reference(shape, x, w, bias, residual);
}

std::vector<double> ddim_step_reference(int64_t n, const DdimAttrs &a, const float *x, const float *out_c,
                                        const float *out_u, const float *noise, std::vector<double> *x0_out) {
    return ref::ddim_reference(n, a, x, out_c, out_u, noise, x0_out);
}

}  // namespace kinema::test
