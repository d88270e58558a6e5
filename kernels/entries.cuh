// entries.cuh - the op entry points of kernels/ (one per op file) and the checks they share.
// backend.cu wraps each entry into the kn_backend_ops table after selecting the device.
#pragma once

#include "common.cuh"

// "cuda" when built by nvcc, "cuda-emu" when built against the emulation shim; prefixes every message.
#if defined(KN_CUDA_EMU)
#define KN_CUDA_BACKEND_NAME "cuda-emu"
#else
#define KN_CUDA_BACKEND_NAME "cuda"
#endif

int32_t kn_cuda_conv_spatial(cudaStream_t stream, const kn_conv_spatial_params *p);
int32_t kn_cuda_conv_temporal(cudaStream_t stream, const kn_conv_temporal_params *p);
int32_t kn_cuda_ddim_step(cudaStream_t stream, const kn_ddim_step_params *p);
int32_t kn_cuda_group_norm(cudaStream_t stream, const kn_group_norm_params *p);  // norm.cu
int32_t kn_cuda_layer_norm(cudaStream_t stream, const kn_layer_norm_params *p);  // norm.cu
int32_t kn_cuda_temporal_attention(cudaStream_t stream, const kn_temporal_attention_params *p);
int32_t kn_cuda_linear(cudaStream_t stream, const kn_linear_params *p);  // linear.cu
int32_t kn_cuda_conv3d(cudaStream_t stream, const kn_conv3d_params *p);  // linear.cu
int32_t kn_cuda_attention(cudaStream_t stream, const kn_attention_params *p);  // frame_attention.cu
int32_t kn_cuda_elementwise(cudaStream_t stream, const kn_elementwise_params *p);  // elementwise.cu
int32_t kn_cuda_upsample_nearest(cudaStream_t stream, const kn_upsample_nearest_params *p);  // resample.cu
int32_t kn_cuda_patchify(cudaStream_t stream, const kn_patch_params *p);  // resample.cu
int32_t kn_cuda_unpatchify(cudaStream_t stream, const kn_patch_params *p);  // resample.cu
int32_t kn_cuda_alpha_blend(cudaStream_t stream, const kn_alpha_blend_params *p);  // resample.cu
int32_t kn_cuda_timestep_embedding(cudaStream_t stream, const kn_timestep_embedding_params *p);  // resample.cu
int32_t kn_cuda_concat(cudaStream_t stream, const kn_concat_params *p);  // resample.cu

inline const char *kn_cuda_dtype_name(int32_t dtype) {
    switch (dtype) {
        case KN_DTYPE_F32: return "f32";
        case KN_DTYPE_F16: return "f16";
        case KN_DTYPE_BF16: return "bf16";
        default: return "unknown";
    }
}

// KN_OK when tensor `arg` of `op` is absent or f32; KN_ERR_UNSUPPORTED with a message otherwise.
inline int32_t kn_cuda_require_f32(const char *op, const char *arg, const kn_tensor &t) {
    if (t.data == nullptr || t.dtype == KN_DTYPE_F32) return KN_OK;
    kn_cuda_set_error(KN_CUDA_BACKEND_NAME " %s: %s has dtype %s (%d); this backend supports f32 only", op, arg,
                      kn_cuda_dtype_name(t.dtype), t.dtype);
    return KN_ERR_UNSUPPORTED;
}
