// conv_mma.cu - conv_spatial, conv_temporal and conv3d (OPS.md) for f16 and bf16 storage on tensor
// cores: an implicit GEMM Y[m, n] = sum_k A[m, k] B[k, n] with m = output pixel (b, t, oh, ow),
// n = output channel, k = (tap, ci), tap = (dt, dh, dw) of a KT x KS x KS kernel (KT, KS in {1, 3}).
// A is gathered from channels-last x into shared memory slice by slice (im2col on the fly; taps in
// the zero padding, rows past M and k past K are staged as zeros), B from the PyTorch-layout weights
// w[Co, Ci, KT, KS, KS] (element (k, n) = w[n][ci][tap]). Products and sums run in f32 (mma.sync
// m16n8k16, f32 accumulators); bias and residual (read before y is written, so residual may be y)
// are added in f32 and y is rounded once to the storage type.
//
// Tiling (the fragment layout of linear_mma.cu): a block of 4 warps (128 threads) computes 64 pixels
// x 64 channels; each warp 32x32 = 2 (M) x 4 (N) m16n8k16 tiles, 32 f32 accumulators per thread. K
// advances in slices of 32, staged as 16-bit pairs in [row][k] for A (row = pixel) and B (row = output
// channel), the "col" operand of mma.row.col, so every fragment register is one aligned 32-bit shared
// load; rows are padded 16 -> 20 words so a fragment load's 8 rows x 4 words hit 32 distinct banks.
// Two walks of K, picked by the host:
//  - VEC (Ci % 8 == 0, x 16-byte aligned): slice s is (32-channel chunk s / TAPS, tap s % TAPS), so a
//    staged A row is up to 32 contiguous channels of one shifted pixel, read as 16-byte vectors (each
//    wholly inside or outside Ci); a chunk's weight rows stay in L1 across its taps.
//  - flat (any Ci, e.g. 3 or 5): k = tap * Ci + ci runs through TAPS * Ci without per-tap padding, so
//    an RGB input conv (K = 27) uses one slice instead of nine; 16-bit loads.
// Each thread stages 16 consecutive k of one A row and one B row (flat and B) and keeps its pixels'
// origins from one 64-bit decomposition made before the accumulators are live.
//
// Napkin math (H100: 989 TFLOP/s bf16/f16 dense, 3.35 TB/s), 3x3, 16 frames of 64x64, Ci = Co = 320:
//   FLOPs 2*M*N*K = 2 * 65536 * 320 * 2880 = 121 GFLOP -> 0.12 ms at tensor peak; DRAM bytes
//   x + y + w = 42 + 42 + 1.8 MB = 86 MB -> 26 us: ~1400 FLOP/B, compute bound in principle (3x1x1:
//   40 GFLOP, 41 us vs 26 us; 1x1: 13 GFLOP, memory bound). This tile is not: a 64x64x32 slice does
//   262 kFLOP per 8 KB gathered through L1/L2 (32 FLOP/B), ~3.8 GB of L2 reads -> ~0.55 ms at ~7 TB/s,
//   ~220 TFLOP/s at best, and w is read as 16-bit loads strided by TAPS (not repacked). The next steps
//   are 128x128 tiles, a [tap][Co][Ci] weight repack at load time, ldmatrix and a cp.async pipeline.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "conv_igemm.cuh"
#include "conv_mma.cuh"
#include "mma_tile.cuh"

namespace kn_conv_mma {

using namespace kn_mma_tile;  // tile shape, storage conversions, mma and the warp's slice loop

struct Args {
    kn_conv::ConvArgs g;       // geometry only (pixels, T, H, W, Ho, Wo, Ci, Co, stride); its pointers unused
    const uint16_t *x;         // [B, T, H, W, Ci]
    const uint16_t *w;         // [Co, Ci, KT, KS, KS]
    const uint16_t *bias;      // [Co] or nullptr
    const uint16_t *residual;  // [B, T, Ho, Wo, Co] or nullptr; may equal y
    uint16_t *y;               // [B, T, Ho, Wo, Co]
};

// x element ci of tap (dt, dh, dw) of pixel origin o, or zero in the padding / past Ci.
template <int KT, int KS>
__device__ __forceinline__ uint32_t x_at(const Args &a, const kn_conv::PixelOrigin &o, int tap, int ci) {
    const int dt = tap / (KS * KS), dh = (tap / KS) % KS, dw = tap % KS;
    if (ci >= a.g.in_channels || !kn_conv::tap_inside<KT, KS>(a.g, o, dt, dh, dw)) return 0u;
    return a.x[o.offset + kn_conv::tap_offset<KT, KS>(a.g, dt, dh, dw) + ci];
}

template <bool BF16, int KT, int KS, bool VEC>
__global__ void __launch_bounds__(kThreads) conv_mma(Args a) {
    constexpr int kTaps = KT * KS * KS;
    __shared__ __align__(16) uint32_t xs[kBlockM][kRowWords];
    __shared__ __align__(16) uint32_t ws[kBlockN][kRowWords];
    const int tid = threadIdx.x;
    const int warp = tid >> 5, lane = tid & 31;
    const int g = lane >> 2, t = lane & 3;  // PTX fragment groupID and threadID_in_group
    const int wm = (warp >> 1) * kWarpM, wn = (warp & 1) * kWarpN;
    const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kBlockM;
    const int32_t n0 = blockIdx.y * kBlockN;
    const int32_t ci_count = a.g.in_channels, co_count = a.g.out_channels;
    const int32_t k_total = kTaps * ci_count;  // < 2^31: make_conv_args caps Ci at INT32_MAX / 32

    // Staging roles. VEC A: rows tid/4 and tid/4 + 32, 8-channel vector tid % 4 (of the chunk's 4).
    // Flat A and all B: row tid/2, 16 consecutive k starting at 16 * (tid % 2).
    const int half_k = 16 * (tid & 1);
    const int b_row = tid >> 1;
    const int32_t b_n = n0 + b_row;
    const uint16_t *w_row = b_n < co_count ? a.w + static_cast<int64_t>(b_n) * k_total : nullptr;
    kn_conv::PixelOrigin origin[VEC ? 2 : 1];
#pragma unroll
    for (int i = 0; i < (VEC ? 2 : 1); ++i)
        origin[i] = kn_conv::pixel_origin<KT, KS>(a.g, m0 + (VEC ? (tid >> 2) + 32 * i : tid >> 1));

    const int32_t slices = VEC ? ((ci_count + kSliceK - 1) / kSliceK) * kTaps : (k_total + kSliceK - 1) / kSliceK;
    float acc[kTilesM][kTilesN][4] = {};
    for (int32_t s = 0; s < slices; ++s) {
        // (tap, ci) of this thread's first staged k; VEC keeps the tap, flat wraps ci into the next tap.
        int tap, ci;
        if constexpr (VEC) {
            tap = s % kTaps;
            ci = (s / kTaps) * kSliceK + half_k;
        } else {
            const int32_t k = s * kSliceK + half_k;
            tap = k / ci_count;
            ci = k - tap * ci_count;
        }
        // B: w[n][ci][tap] for the 16 k of this thread.
        {
            int bt = tap, bc = ci;
#pragma unroll
            for (int p = 0; p < 8; ++p) {
                uint32_t pair = 0;
#pragma unroll
                for (int e = 0; e < 2; ++e) {
                    if (w_row != nullptr && bc < ci_count && bt < kTaps)
                        pair |= static_cast<uint32_t>(w_row[static_cast<int64_t>(bc) * kTaps + bt]) << (16 * e);
                    if (++bc == ci_count && !VEC) bc = 0, ++bt;
                }
                ws[b_row][half_k / 2 + p] = pair;
            }
        }
        // A: the gathered pixels.
        if constexpr (VEC) {
            const int dt = tap / (KS * KS), dh = (tap / KS) % KS, dw = tap % KS;
            const int64_t toff = kn_conv::tap_offset<KT, KS>(a.g, dt, dh, dw);
            const int q = tid & 3;
            const int c8 = (s / kTaps) * kSliceK + q * 8;
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                uint4 v = make_uint4(0u, 0u, 0u, 0u);
                if (c8 < ci_count && kn_conv::tap_inside<KT, KS>(a.g, origin[i], dt, dh, dw))
                    v = *reinterpret_cast<const uint4 *>(a.x + origin[i].offset + toff + c8);
                const int r = (tid >> 2) + 32 * i;
                xs[r][q * 4 + 0] = v.x;
                xs[r][q * 4 + 1] = v.y;
                xs[r][q * 4 + 2] = v.z;
                xs[r][q * 4 + 3] = v.w;
            }
        } else {
            int at = tap, ac = ci;
#pragma unroll
            for (int p = 0; p < 8; ++p) {
                uint32_t pair = 0;
#pragma unroll
                for (int e = 0; e < 2; ++e) {
                    if (at < kTaps) pair |= x_at<KT, KS>(a, origin[0], at, ac) << (16 * e);
                    if (++ac == ci_count) ac = 0, ++at;
                }
                xs[tid >> 1][half_k / 2 + p] = pair;
            }
        }
        __syncthreads();
        warp_slice<BF16>(acc, xs, ws, wm, wn, g, t);
        __syncthreads();
    }

    // Accumulator c[2h + e] of tile (mi, ni) is pixel m0 + wm + 16 mi + g + 8h, channel n0 + wn + 8 ni + 2t + e.
#pragma unroll
    for (int mi = 0; mi < kTilesM; ++mi) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int64_t m = m0 + wm + mi * 16 + g + 8 * h;
            if (m >= a.g.pixels) continue;
#pragma unroll
            for (int ni = 0; ni < kTilesN; ++ni) {
#pragma unroll
                for (int e = 0; e < 2; ++e) {
                    const int32_t col = n0 + wn + ni * 8 + 2 * t + e;
                    if (col >= co_count) continue;
                    float v = acc[mi][ni][2 * h + e];
                    if (a.bias) v += to_float<BF16>(a.bias[col]);
                    const int64_t at = m * co_count + col;
                    if (a.residual) v += to_float<BF16>(a.residual[at]);
                    a.y[at] = to_bits<BF16>(v);
                }
            }
        }
    }
}

template <bool BF16, int KT, int KS>
int32_t launch(const Args &a, dim3 grid, bool vec, cudaStream_t stream) {
    static const char *const names[2][2] = {{"conv_mma_f16 (flat K)", "conv_mma_f16 (16-byte loads)"},
                                            {"conv_mma_bf16 (flat K)", "conv_mma_bf16 (16-byte loads)"}};
    if (vec) {
        KN_LAUNCH((conv_mma<BF16, KT, KS, true>), grid, dim3(kThreads), 0, stream, a);
    } else {
        KN_LAUNCH((conv_mma<BF16, KT, KS, false>), grid, dim3(kThreads), 0, stream, a);
    }
    return kn_cuda_check_launch(names[BF16][vec]);
}

template <bool BF16>
int32_t launch_kernel(const Args &a, int kt, int ks, dim3 grid, bool vec, cudaStream_t stream) {
    if (kt == 3 && ks == 3) return launch<BF16, 3, 3>(a, grid, vec, stream);
    if (kt == 3) return launch<BF16, 3, 1>(a, grid, vec, stream);
    if (ks == 3) return launch<BF16, 1, 3>(a, grid, vec, stream);
    return launch<BF16, 1, 1>(a, grid, vec, stream);
}

}  // namespace kn_conv_mma

int32_t kn_cuda_conv_mma(cudaStream_t stream, const char *op, const kn_tensor &x, const kn_tensor &w,
                         const kn_tensor &b, const kn_tensor &residual, const kn_tensor &y, int32_t stride) {
    using namespace kn_conv_mma;
    const int32_t dtype = x.dtype;
    if (dtype != KN_DTYPE_F16 && dtype != KN_DTYPE_BF16) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " %s: x has dtype %s (%d); the tensor-core path takes f16 or bf16", op,
                          kn_cuda_dtype_name(dtype), dtype);
        return KN_ERR_UNSUPPORTED;
    }
    const kn_tensor *tensors[] = {&w, &b, &residual, &y};
    const char *names[] = {"w", "b", "residual", "y"};
    for (int i = 0; i < 4; ++i) {
        const kn_tensor &t = *tensors[i];
        if (t.data != nullptr && t.dtype != dtype) {
            kn_cuda_set_error(KN_CUDA_BACKEND_NAME " %s: %s has dtype %s (%d), expected x's dtype %s", op, names[i],
                              kn_cuda_dtype_name(t.dtype), t.dtype, kn_cuda_dtype_name(dtype));
            return KN_ERR_UNSUPPORTED;
        }
    }
    const int64_t kt = w.shape[2], kh = w.shape[3], kw = w.shape[4];
    if (kh != kw || (kh != 1 && kh != 3) || (kt != 1 && kt != 3)) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " %s: kernel %lldx%lldx%lld in %s; this backend's f16/bf16 path takes "
                          "KT x KS x KS with KT, KS in {1, 3}", op, static_cast<long long>(kt),
                          static_cast<long long>(kh), static_cast<long long>(kw), kn_cuda_dtype_name(dtype));
        return KN_ERR_UNSUPPORTED;
    }
    Args a;
    if (const int32_t st = kn_conv::make_conv_args(op, x, w, b, residual, y, stride, &a.g)) return st;
    if (a.g.pixels == 0 || a.g.out_channels == 0) return KN_OK;
    a.x = static_cast<const uint16_t *>(x.data);
    a.w = static_cast<const uint16_t *>(w.data);
    a.bias = static_cast<const uint16_t *>(b.data);
    a.residual = static_cast<const uint16_t *>(residual.data);
    a.y = static_cast<uint16_t *>(y.data);
    const int64_t row_blocks = (a.g.pixels + kBlockM - 1) / kBlockM;
    if (row_blocks > INT32_MAX) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " %s: %lld output pixels exceed this backend's grid limit", op,
                          static_cast<long long>(a.g.pixels));
        return KN_ERR_UNSUPPORTED;
    }
    const dim3 grid(static_cast<unsigned>(row_blocks), static_cast<unsigned>((a.g.out_channels + kBlockN - 1) / kBlockN));
    const bool vec = a.g.in_channels % 8 == 0 && kn_conv::aligned16(a.x);
    const int k_t = static_cast<int>(kt), k_s = static_cast<int>(kh);
    if (dtype == KN_DTYPE_BF16) return launch_kernel<true>(a, k_t, k_s, grid, vec, stream);
    return launch_kernel<false>(a, k_t, k_s, grid, vec, stream);
}
