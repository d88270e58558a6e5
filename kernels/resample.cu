// resample.cu - upsample_nearest, patchify, unpatchify, alpha_blend, timestep_embedding, concat (OPS.md).
// upsample_nearest, patchify, unpatchify, alpha_blend and concat take f32, f16 or bf16 storage (one
// dtype for all tensors; the copies move elements unchanged, alpha_blend computes in f32 and rounds
// once; concat moves raw 4- or 2-byte words, so every bit pattern, NaN payloads included, survives).
// timestep_embedding stays f32 only: bf16 holds integers exactly only up to 256, so timesteps like 999
// would arrive already rounded; the embedding is a few KB and is cast by the caller if needed.
//
// Kernels: all grid-stride, 256 threads a block, one thread per OUTPUT element, so every output is
// written once and reads are the only scattered side. Channels-last keeps those reads coalesced:
// upsample_nearest's neighbouring threads read neighbouring channels of one pixel (each input pixel
// is read by 4 output pixels, the repeats hit L2); patchify/unpatchify map an output index to its
// source with integer divisions and read runs of p*C consecutive floats. alpha_blend folds alpha in
// double on the device from mix (read by every thread, one cached load) and does one FMA per element;
// y may be x_spatial or x_temporal (same thread reads then writes the element).
// timestep_embedding computes frequencies and sin/cos in double: B*dim outputs, a few hundred KB
// at most, so the double math is free next to the launch. concat: output element o of row o/(C1+C2)
// takes column c = o%(C1+C2) from x (c < C1) or z; neighbouring threads read neighbouring elements of
// one of the two rows, so reads and writes stay coalesced.
//
// Napkin math (H100: 3.35 TB/s): upsample_nearest moves 4 B in (once, from DRAM) + 16 B out per
// input element: a B=1,T=16,32x32,C=320 latent (5.2M floats, 21 MB in, 84 MB out) takes ~31 us.
// patchify/unpatchify 8 B per element (~13 us for the same tensor); alpha_blend 12 B per element
// (~19 us); concat 8 B per output element (a U-Net skip of 2 x [1,16,32,32,320]: 42 MB in, 42 MB out,
// ~25 us); all memory bound with ~0 FLOP/byte. timestep_embedding is launch bound.
#include "storage.cuh"

#include <math.h>

namespace kn_rs {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 4096;

unsigned blocks_for(int64_t count) {
    const int64_t needed = (count + kThreads - 1) / kThreads;
    return static_cast<unsigned>(needed < 1 ? 1 : (needed > kMaxBlocks ? kMaxBlocks : needed));
}

template <typename S>
__global__ void __launch_bounds__(kThreads)
    upsample_nearest_kernel(const S *x, S *y, int64_t count, int64_t H, int64_t W, int64_t C) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < count; o += stride) {
        const int64_t c = o % C, rest = o / C;
        const int64_t j = rest % (2 * W), rest2 = rest / (2 * W);
        const int64_t i = rest2 % (2 * H), frame = rest2 / (2 * H);
        y[o] = x[((frame * H + i / 2) * W + j / 2) * C + c];
    }
}

// kToTokens: out is the token tensor [BT, Hp*Wp, P*P*C] and in the image; else the reverse. Both
// directions index by the output element: token (n, k) <-> image (hp*P + ph, wp*P + pw, c).
template <typename S, bool kToTokens>
__global__ void __launch_bounds__(kThreads)
    patch_kernel(const S *in, S *out, int64_t count, int64_t H, int64_t W, int64_t C, int64_t P) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t Wp = W / P, tokens = (H / P) * Wp, token_len = P * P * C;
    for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < count; o += stride) {
        int64_t frame, h, w, c, n, k;
        if (kToTokens) {
            k = o % token_len;
            n = (o / token_len) % tokens;
            frame = o / (token_len * tokens);
            h = (n / Wp) * P + k / (P * C);
            w = (n % Wp) * P + (k / C) % P;
            c = k % C;
            out[o] = in[((frame * H + h) * W + w) * C + c];
        } else {
            c = o % C;
            w = (o / C) % W;
            h = (o / (C * W)) % H;
            frame = o / (C * W * H);
            n = (h / P) * Wp + w / P;
            k = ((h % P) * P + w % P) * C + c;
            out[o] = in[(frame * tokens + n) * token_len + k];
        }
    }
}

template <typename S>
__global__ void __launch_bounds__(kThreads)
    alpha_blend_kernel(const S *xs, const S *xt, const S *mix, S *y, int64_t count, int learned) {
    const double m = static_cast<double>(kn_load(mix));
    const double alpha = learned ? 1.0 / (1.0 + exp(-m)) : m;
    const float a = static_cast<float>(alpha), b = static_cast<float>(1.0 - alpha);
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride)
        kn_store(y + i, fmaf(a, kn_load(xs + i), b * kn_load(xt + i)));
}

__global__ void __launch_bounds__(kThreads)
    timestep_embedding_f32(const float *t, float *y, int64_t count, int64_t half, double step, int flip) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < count; o += stride) {
        const int64_t b = o / (2 * half), col = o % (2 * half);
        const bool first_half = col < half;
        const int64_t i = first_half ? col : col - half;
        const double arg = static_cast<double>(t[b]) * exp(step * static_cast<double>(i));
        // Without flip the first half is sin; flip_sin_to_cos swaps the halves.
        const bool is_sin = first_half != (flip != 0);
        y[o] = static_cast<float>(is_sin ? sin(arg) : cos(arg));
    }
}

// W is the storage word: uint32_t for f32, uint16_t for f16 and bf16 (a copy, never a conversion).
template <typename W>
__global__ void __launch_bounds__(kThreads)
    concat_kernel(const W *x, const W *z, W *y, int64_t count, int64_t c1, int64_t c2) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x, cy = c1 + c2;
    for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < count; o += stride) {
        const int64_t row = o / cy, c = o - row * cy;
        y[o] = c < c1 ? x[row * c1 + c] : z[row * c2 + (c - c1)];
    }
}

int64_t numel(const kn_tensor &t) {
    int64_t n = 1;
    for (int32_t i = 0; i < t.rank; ++i) n *= t.shape[i];
    return n;
}

template <typename S>
void launch_upsample(const void *x, void *y, int64_t count, int64_t H, int64_t W, int64_t C, cudaStream_t stream) {
    KN_LAUNCH(upsample_nearest_kernel<S>, dim3(blocks_for(count)), dim3(kThreads), 0, stream, static_cast<const S *>(x),
              static_cast<S *>(y), count, H, W, C);
}

template <typename S, bool kToTokens>
void launch_patch(const void *in, void *out, int64_t count, int64_t H, int64_t W, int64_t C, int64_t P,
                  cudaStream_t stream) {
    void (*const patch_kernel_instance)(const S *, S *, int64_t, int64_t, int64_t, int64_t, int64_t) =
        patch_kernel<S, kToTokens>;
    KN_LAUNCH(patch_kernel_instance, dim3(blocks_for(count)), dim3(kThreads), 0, stream, static_cast<const S *>(in),
              static_cast<S *>(out), count, H, W, C, P);
}

template <bool kToTokens>
void launch_patch_dtype(int32_t dtype, const void *in, void *out, int64_t count, int64_t H, int64_t W, int64_t C,
                        int64_t P, cudaStream_t stream) {
    if (dtype == KN_DTYPE_F16)
        launch_patch<__half, kToTokens>(in, out, count, H, W, C, P, stream);
    else if (dtype == KN_DTYPE_BF16)
        launch_patch<__nv_bfloat16, kToTokens>(in, out, count, H, W, C, P, stream);
    else
        launch_patch<float, kToTokens>(in, out, count, H, W, C, P, stream);
}

template <typename S>
void launch_blend(const kn_alpha_blend_params *p, int64_t count, cudaStream_t stream) {
    const int learned = p->mode == KN_BLEND_LEARNED ? 1 : 0;
    KN_LAUNCH(alpha_blend_kernel<S>, dim3(blocks_for(count)), dim3(kThreads), 0, stream,
              static_cast<const S *>(p->x_spatial.data), static_cast<const S *>(p->x_temporal.data),
              static_cast<const S *>(p->mix.data), static_cast<S *>(p->y.data), count, learned);
}

}  // namespace kn_rs

int32_t kn_cuda_upsample_nearest(cudaStream_t stream, const kn_upsample_nearest_params *p) {
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage("upsample_nearest", "x", p->x)) ||
        (st = kn_cuda_require_dtype("upsample_nearest", "y", p->y, p->x.dtype)))
        return st;
    using namespace kn_rs;
    const int64_t count = numel(p->y);
    if (count == 0) return KN_OK;
    const int64_t H = p->x.shape[2], W = p->x.shape[3], C = p->x.shape[4];
    if (p->x.dtype == KN_DTYPE_F16)
        launch_upsample<__half>(p->x.data, p->y.data, count, H, W, C, stream);
    else if (p->x.dtype == KN_DTYPE_BF16)
        launch_upsample<__nv_bfloat16>(p->x.data, p->y.data, count, H, W, C, stream);
    else
        launch_upsample<float>(p->x.data, p->y.data, count, H, W, C, stream);
    return kn_cuda_check_launch("upsample_nearest_kernel");
}

int32_t kn_cuda_patchify(cudaStream_t stream, const kn_patch_params *p) {
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage("patchify", "x", p->x)) ||
        (st = kn_cuda_require_dtype("patchify", "y", p->y, p->x.dtype)))
        return st;
    const int64_t count = kn_rs::numel(p->y);
    if (count == 0) return KN_OK;
    kn_rs::launch_patch_dtype<true>(p->x.dtype, p->x.data, p->y.data, count, p->x.shape[2], p->x.shape[3],
                                    p->x.shape[4], p->p, stream);
    return kn_cuda_check_launch("patch_kernel<true>");
}

int32_t kn_cuda_unpatchify(cudaStream_t stream, const kn_patch_params *p) {
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage("unpatchify", "x", p->x)) ||
        (st = kn_cuda_require_dtype("unpatchify", "y", p->y, p->x.dtype)))
        return st;
    const int64_t count = kn_rs::numel(p->y);
    if (count == 0) return KN_OK;
    kn_rs::launch_patch_dtype<false>(p->x.dtype, p->x.data, p->y.data, count, p->y.shape[2], p->y.shape[3],
                                     p->y.shape[4], p->p, stream);
    return kn_cuda_check_launch("patch_kernel<false>");
}

int32_t kn_cuda_alpha_blend(cudaStream_t stream, const kn_alpha_blend_params *p) {
    const int32_t dt = p->x_spatial.dtype;
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage("alpha_blend", "x_spatial", p->x_spatial)) ||
        (st = kn_cuda_require_dtype("alpha_blend", "x_temporal", p->x_temporal, dt)) ||
        (st = kn_cuda_require_dtype("alpha_blend", "mix", p->mix, dt)) ||
        (st = kn_cuda_require_dtype("alpha_blend", "y", p->y, dt)))
        return st;
    using namespace kn_rs;
    const int64_t count = numel(p->y);
    if (count == 0) return KN_OK;
    if (dt == KN_DTYPE_F16)
        launch_blend<__half>(p, count, stream);
    else if (dt == KN_DTYPE_BF16)
        launch_blend<__nv_bfloat16>(p, count, stream);
    else
        launch_blend<float>(p, count, stream);
    return kn_cuda_check_launch("alpha_blend_kernel");
}

int32_t kn_cuda_timestep_embedding(cudaStream_t stream, const kn_timestep_embedding_params *p) {
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_f32("timestep_embedding", "t", p->t)) || (st = kn_cuda_require_f32("timestep_embedding", "y", p->y)))
        return st;
    using namespace kn_rs;
    const int64_t count = numel(p->y);
    if (count == 0) return KN_OK;
    const int64_t half = p->dim / 2;
    // The exponent's per-index step, folded on the host in double exactly as the validator checked it.
    const double step = -log(p->max_period) / (static_cast<double>(half) - p->downscale_freq_shift);
    KN_LAUNCH(timestep_embedding_f32, dim3(blocks_for(count)), dim3(kThreads), 0, stream,
              static_cast<const float *>(p->t.data), static_cast<float *>(p->y.data), count, half, step,
              p->flip_sin_to_cos);
    return kn_cuda_check_launch("timestep_embedding_f32");
}

int32_t kn_cuda_concat(cudaStream_t stream, const kn_concat_params *p) {
    const int32_t dt = p->x.dtype;
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage("concat", "x", p->x)) || (st = kn_cuda_require_dtype("concat", "z", p->z, dt)) ||
        (st = kn_cuda_require_dtype("concat", "y", p->y, dt)))
        return st;
    using namespace kn_rs;
    const int64_t count = numel(p->y);
    if (count == 0) return KN_OK;
    const int64_t c1 = p->x.shape[p->x.rank - 1], c2 = p->z.shape[p->z.rank - 1];
    if (dt == KN_DTYPE_F32)
        KN_LAUNCH(concat_kernel<uint32_t>, dim3(blocks_for(count)), dim3(kThreads), 0, stream,
                  static_cast<const uint32_t *>(p->x.data), static_cast<const uint32_t *>(p->z.data),
                  static_cast<uint32_t *>(p->y.data), count, c1, c2);
    else
        KN_LAUNCH(concat_kernel<uint16_t>, dim3(blocks_for(count)), dim3(kThreads), 0, stream,
                  static_cast<const uint16_t *>(p->x.data), static_cast<const uint16_t *>(p->z.data),
                  static_cast<uint16_t *>(p->y.data), count, c1, c2);
    return kn_cuda_check_launch("concat_kernel");
}
