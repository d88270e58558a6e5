// frame_attention_mma.cuh - what frame_attention.cu (f32) and frame_attention_mma.cu (f16/bf16 on
// tensor cores) share: the checked index space of one `attention` call, and the tensor-core entry that
// kn_cuda_attention forwards f16 and bf16 calls to.
#pragma once

#include "entries.cuh"

// One attention call in the int widths the kernels index with.
struct KnFrameAttentionDims {
    int64_t queries, token;  // token = heads * D values between tokens
    int keys, frames, kv_frames, heads, dim, mode, row_tiles;
    float scale;
    int64_t blocks;  // B * T * heads * row_tiles; 0: nothing to do
};

// The f-th k/v frame that frame t attends to; kv_frame_count frames in all (OPS.md's KV(t)): walked by
// index arithmetic, never gathered.
__device__ inline int kv_frame_count(const KnFrameAttentionDims &a) {
    return a.mode == KN_KV_FRAMES_ALL ? a.kv_frames : a.mode == KN_KV_FRAMES_SPARSE_CAUSAL ? 2 : 1;
}
__device__ inline int kv_frame(const KnFrameAttentionDims &a, int t, int f) {
    switch (a.mode) {
        case KN_KV_FRAMES_SAME: return t;
        case KN_KV_FRAMES_SPARSE_CAUSAL: return f == 0 ? 0 : max(t - 1, 0);
        case KN_KV_FRAMES_ALL: return f;
        default: return 0;  // first, context
    }
}

// Fills d for a kernel of rows_per_block query rows a block and head dims up to max_dim; KN_OK, or
// KN_ERR_UNSUPPORTED with a message naming the limit (frame_attention.cu).
int32_t kn_cuda_frame_attention_dims(const kn_attention_params *p, int rows_per_block, int max_dim,
                                     const char *dtypes, KnFrameAttentionDims *d);

// Every tensor f16 (or every tensor bf16), f32 scores, softmax and accumulation; D <= 160.
int32_t kn_cuda_attention_mma(cudaStream_t stream, const kn_attention_params *p);
