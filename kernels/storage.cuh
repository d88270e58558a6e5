// storage.cuh - the storage dtypes of the memory-bound kernels (ddim_step, elementwise, norms, resample):
// each kernel is a template on its storage type S (float, __half or __nv_bfloat16), loads S -> f32,
// computes in f32 and rounds once on the store (round to nearest even). The float instantiation is the
// same loads and stores as before the template, so f32 results are bit-identical.
// Vector forms move 4 elements in one access: float4 (16 bytes) for f32, uint2 (8 bytes, element 0 in
// the low half of .x, little endian) for the 16-bit types; callers check 16-byte alignment, which
// covers both.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "entries.cuh"

__device__ __forceinline__ float kn_load(const float *p) { return *p; }
__device__ __forceinline__ float kn_load(const __half *p) { return __half2float(*p); }
__device__ __forceinline__ float kn_load(const __nv_bfloat16 *p) { return __bfloat162float(*p); }

__device__ __forceinline__ void kn_store(float *p, float v) { *p = v; }
__device__ __forceinline__ void kn_store(__half *p, float v) { *p = __float2half_rn(v); }
__device__ __forceinline__ void kn_store(__nv_bfloat16 *p, float v) { *p = __float2bfloat16_rn(v); }

__device__ __forceinline__ float kn_bits_to_float(const __half *, uint32_t bits) {
    return __half2float(__ushort_as_half(static_cast<unsigned short>(bits)));
}
__device__ __forceinline__ float kn_bits_to_float(const __nv_bfloat16 *, uint32_t bits) {
    return __bfloat162float(__ushort_as_bfloat16(static_cast<unsigned short>(bits)));
}
__device__ __forceinline__ uint32_t kn_float_to_bits(const __half *, float v) {
    return __half_as_ushort(__float2half_rn(v));
}
__device__ __forceinline__ uint32_t kn_float_to_bits(const __nv_bfloat16 *, float v) {
    return __bfloat16_as_ushort(__float2bfloat16_rn(v));
}

// Elements [0, 4) at p (p 16-byte aligned for float, 8-byte for the 16-bit types).
__device__ __forceinline__ float4 kn_load4(const float *p) { return *reinterpret_cast<const float4 *>(p); }
template <typename S>
__device__ __forceinline__ float4 kn_load4(const S *p) {
    const uint2 v = *reinterpret_cast<const uint2 *>(p);
    return make_float4(kn_bits_to_float(p, v.x & 0xffffu), kn_bits_to_float(p, v.x >> 16),
                       kn_bits_to_float(p, v.y & 0xffffu), kn_bits_to_float(p, v.y >> 16));
}
__device__ __forceinline__ void kn_store4(float *p, float4 v) { *reinterpret_cast<float4 *>(p) = v; }
template <typename S>
__device__ __forceinline__ void kn_store4(S *p, float4 v) {
    uint2 w;
    w.x = kn_float_to_bits(p, v.x) | (kn_float_to_bits(p, v.y) << 16);
    w.y = kn_float_to_bits(p, v.z) | (kn_float_to_bits(p, v.w) << 16);
    *reinterpret_cast<uint2 *>(p) = w;
}

// The dtype every tensor of an op must share (libkinema validates this; the plugin checks again
// because it can be loaded and called directly): KN_OK when `t` is absent or has `dtype`, otherwise
// KN_ERR_UNSUPPORTED naming the op, the argument and both dtypes.
inline int32_t kn_cuda_require_dtype(const char *op, const char *arg, const kn_tensor &t, int32_t dtype) {
    if (t.data == nullptr || t.dtype == dtype) return KN_OK;
    kn_cuda_set_error(KN_CUDA_BACKEND_NAME " %s: %s has dtype %s (%d), expected %s like the op's first tensor; "
                      "this backend runs f32, f16 and bf16 with one dtype for all tensors of an op",
                      op, arg, kn_cuda_dtype_name(t.dtype), t.dtype, kn_cuda_dtype_name(dtype));
    return KN_ERR_UNSUPPORTED;
}

// KN_OK for f32, f16 and bf16 storage; KN_ERR_UNSUPPORTED for any other dtype of the op's first tensor.
inline int32_t kn_cuda_require_storage(const char *op, const char *arg, const kn_tensor &t) {
    if (t.dtype == KN_DTYPE_F32 || t.dtype == KN_DTYPE_F16 || t.dtype == KN_DTYPE_BF16) return KN_OK;
    kn_cuda_set_error(KN_CUDA_BACKEND_NAME " %s: %s has dtype %s (%d); this backend supports f32, f16 and bf16",
                      op, arg, kn_cuda_dtype_name(t.dtype), t.dtype);
    return KN_ERR_UNSUPPORTED;
}
