// resample.cu - upsample_nearest, patchify, unpatchify, alpha_blend, timestep_embedding (OPS.md), f32.
//
// Kernels: all grid-stride, 256 threads a block, one thread per OUTPUT element, so every output is
// written once and reads are the only scattered side. Channels-last keeps those reads coalesced:
// upsample_nearest's neighbouring threads read neighbouring channels of one pixel (each input pixel
// is read by 4 output pixels, the repeats hit L2); patchify/unpatchify map an output index to its
// source with integer divisions and read runs of p*C consecutive floats. alpha_blend folds alpha in
// double on the device from mix (read by every thread, one cached load) and does one FMA per element;
// y may be x_spatial or x_temporal (same thread reads then writes the element).
// timestep_embedding computes frequencies and sin/cos in double: B*dim outputs, a few hundred KB
// at most, so the double math is free next to the launch.
//
// Napkin math (H100: 3.35 TB/s): upsample_nearest moves 4 B in (once, from DRAM) + 16 B out per
// input element: a B=1,T=16,32x32,C=320 latent (5.2M floats, 21 MB in, 84 MB out) takes ~31 us.
// patchify/unpatchify 8 B per element (~13 us for the same tensor); alpha_blend 12 B per element
// (~19 us); all memory bound with ~0 FLOP/byte. timestep_embedding is launch bound.
#include "entries.cuh"

#include <math.h>

namespace kn_rs {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 4096;

unsigned blocks_for(int64_t count) {
    const int64_t needed = (count + kThreads - 1) / kThreads;
    return static_cast<unsigned>(needed < 1 ? 1 : (needed > kMaxBlocks ? kMaxBlocks : needed));
}

__global__ void __launch_bounds__(kThreads)
    upsample_nearest_f32(const float *x, float *y, int64_t count, int64_t H, int64_t W, int64_t C) {
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
template <bool kToTokens>
__global__ void __launch_bounds__(kThreads)
    patch_f32(const float *in, float *out, int64_t count, int64_t H, int64_t W, int64_t C, int64_t P) {
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

__global__ void __launch_bounds__(kThreads)
    alpha_blend_f32(const float *xs, const float *xt, const float *mix, float *y, int64_t count, int learned) {
    const double m = static_cast<double>(*mix);
    const double alpha = learned ? 1.0 / (1.0 + exp(-m)) : m;
    const float a = static_cast<float>(alpha), b = static_cast<float>(1.0 - alpha);
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride)
        y[i] = fmaf(a, xs[i], b * xt[i]);
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

int64_t numel(const kn_tensor &t) {
    int64_t n = 1;
    for (int32_t i = 0; i < t.rank; ++i) n *= t.shape[i];
    return n;
}

void launch_upsample(const float *x, float *y, int64_t count, int64_t H, int64_t W, int64_t C, cudaStream_t stream) {
    KN_LAUNCH(upsample_nearest_f32, dim3(blocks_for(count)), dim3(kThreads), 0, stream, x, y, count, H, W, C);
}

template <bool kToTokens>
void launch_patch(const float *in, float *out, int64_t count, int64_t H, int64_t W, int64_t C, int64_t P,
                  cudaStream_t stream) {
    void (*const patch_kernel)(const float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t) = patch_f32<kToTokens>;
    KN_LAUNCH(patch_kernel, dim3(blocks_for(count)), dim3(kThreads), 0, stream, in, out, count, H, W, C, P);
}

}  // namespace kn_rs

int32_t kn_cuda_upsample_nearest(cudaStream_t stream, const kn_upsample_nearest_params *p) {
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_f32("upsample_nearest", "x", p->x)) || (st = kn_cuda_require_f32("upsample_nearest", "y", p->y)))
        return st;
    const int64_t count = kn_rs::numel(p->y);
    if (count == 0) return KN_OK;
    kn_rs::launch_upsample(static_cast<const float *>(p->x.data), static_cast<float *>(p->y.data), count, p->x.shape[2],
                           p->x.shape[3], p->x.shape[4], stream);
    return kn_cuda_check_launch("upsample_nearest_f32");
}

int32_t kn_cuda_patchify(cudaStream_t stream, const kn_patch_params *p) {
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_f32("patchify", "x", p->x)) || (st = kn_cuda_require_f32("patchify", "y", p->y))) return st;
    const int64_t count = kn_rs::numel(p->y);
    if (count == 0) return KN_OK;
    kn_rs::launch_patch<true>(static_cast<const float *>(p->x.data), static_cast<float *>(p->y.data), count,
                              p->x.shape[2], p->x.shape[3], p->x.shape[4], p->p, stream);
    return kn_cuda_check_launch("patch_f32<true>");
}

int32_t kn_cuda_unpatchify(cudaStream_t stream, const kn_patch_params *p) {
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_f32("unpatchify", "x", p->x)) || (st = kn_cuda_require_f32("unpatchify", "y", p->y))) return st;
    const int64_t count = kn_rs::numel(p->y);
    if (count == 0) return KN_OK;
    kn_rs::launch_patch<false>(static_cast<const float *>(p->x.data), static_cast<float *>(p->y.data), count,
                               p->y.shape[2], p->y.shape[3], p->y.shape[4], p->p, stream);
    return kn_cuda_check_launch("patch_f32<false>");
}

int32_t kn_cuda_alpha_blend(cudaStream_t stream, const kn_alpha_blend_params *p) {
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_f32("alpha_blend", "x_spatial", p->x_spatial)) ||
        (st = kn_cuda_require_f32("alpha_blend", "x_temporal", p->x_temporal)) ||
        (st = kn_cuda_require_f32("alpha_blend", "mix", p->mix)) || (st = kn_cuda_require_f32("alpha_blend", "y", p->y)))
        return st;
    using namespace kn_rs;
    const int64_t count = numel(p->y);
    if (count == 0) return KN_OK;
    const int learned = p->mode == KN_BLEND_LEARNED ? 1 : 0;
    KN_LAUNCH(alpha_blend_f32, dim3(blocks_for(count)), dim3(kThreads), 0, stream,
              static_cast<const float *>(p->x_spatial.data), static_cast<const float *>(p->x_temporal.data),
              static_cast<const float *>(p->mix.data), static_cast<float *>(p->y.data), count, learned);
    return kn_cuda_check_launch("alpha_blend_f32");
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
