// linear_mma.cuh - the f16/bf16 tensor-core path of linear (linear_mma.cu). kn_cuda_linear
// (linear.cu) forwards f16 and bf16 calls here; f32 stays on its SIMT kernel.
#pragma once

#include "entries.cuh"

// y = epilogue(x @ w.T + b) with every tensor f16 (or every tensor bf16), f32 accumulation.
int32_t kn_cuda_linear_mma(cudaStream_t stream, const kn_linear_params *p);
