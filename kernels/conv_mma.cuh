// conv_mma.cuh - the f16/bf16 tensor-core path of conv_spatial, conv_temporal and conv3d
// (conv_mma.cu). Their entries forward f16 and bf16 calls here before their f32 dtype checks.
#pragma once

#include "entries.cuh"

// y = conv(x, w) (+ b) (+ residual) with every tensor f16 (or every tensor bf16), f32 accumulation,
// for kernels KT x KS x KS with KT, KS in {1, 3}, padding (KT/2, KS/2, KS/2), spatial `stride`.
// `op` names the calling op in error messages.
int32_t kn_cuda_conv_mma(cudaStream_t stream, const char *op, const kn_tensor &x, const kn_tensor &w,
                         const kn_tensor &b, const kn_tensor &residual, const kn_tensor &y, int32_t stride);
