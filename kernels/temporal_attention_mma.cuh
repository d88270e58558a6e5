// temporal_attention_mma.cuh - what temporal_attention.cu (f32) and temporal_attention_mma.cu
// (f16/bf16 on tensor cores) share: the checked index space of one call, and the tensor-core entry
// that kn_cuda_temporal_attention forwards f16 and bf16 calls to.
#pragma once

#include "entries.cuh"

// One temporal_attention call in the widths the kernels index with.
struct KnTemporalAttentionDims {
    int64_t frame_stride;  // H*W*heads*D
    int64_t positions;     // H*W
    int64_t columns;       // B*H*W*heads; 0: nothing to do
    int frames, dim, heads, window, causal, tmax;
    float scale;
};

// Fills d for head dims up to max_dim; KN_OK, or KN_ERR_UNSUPPORTED with a message naming the limit
// (temporal_attention.cu).
int32_t kn_cuda_temporal_attention_dims(const kn_temporal_attention_params *p, int max_dim, const char *dtypes,
                                        KnTemporalAttentionDims *d);

// Every tensor f16 (or every tensor bf16, rel_bias included), f32 scores and accumulation; D <= 160.
int32_t kn_cuda_temporal_attention_mma(cudaStream_t stream, const kn_temporal_attention_params *p);
