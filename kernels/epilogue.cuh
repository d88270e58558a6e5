// epilogue.cuh - the activations of linear's fused epilogue (OPS.md), shared by the f32 SIMT kernel
// (linear.cu) and the f16/bf16 tensor-core kernel (linear_mma.cu) so both apply the same f32 math.
#pragma once

#include <math.h>

#include "kinema.h"

namespace kn_epilogue {

__device__ __forceinline__ float gelu_erf(float v) { return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); }

__device__ __forceinline__ float activate(int act, float v) {
    switch (act) {
        case KN_ACT_GELU: return gelu_erf(v);
        case KN_ACT_GELU_TANH: return 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
        case KN_ACT_SILU: return v / (1.0f + expf(-v));
        default: return v;
    }
}

}  // namespace kn_epilogue
