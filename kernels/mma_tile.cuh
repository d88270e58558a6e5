// mma_tile.cuh - the tensor-core tile both f16/bf16 GEMMs share (linear_mma.cu, conv_mma.cu).
//
// A block of 4 warps (2 along M x 2 along N) computes a 64 x 64 tile; each warp owns 32 x 32 as
// 2 x 4 mma.sync m16n8k16 tiles with f32 accumulators. K advances in slices of 32 halves staged in
// shared memory as 16-bit pairs, rows padded from 16 to 20 words so that the fragment loads of a warp
// hit 32 distinct banks. The kernels differ only in how they stage A (rows of x, or pixels gathered
// from x) and in their epilogues.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

#include "common.cuh"
#include "storage.cuh"

namespace kn_mma_tile {

constexpr int kBlockM = 64;
constexpr int kBlockN = 64;
constexpr int kSliceK = 32;                 // halves per staged slice
constexpr int kSliceWords = kSliceK / 2;    // 32-bit pairs per staged row
constexpr int kRowWords = kSliceWords + 4;  // padded row: conflict-free fragment loads
constexpr int kThreads = 128;               // 4 warps, 2 (M) x 2 (N)
constexpr int kWarpM = 32;
constexpr int kWarpN = 32;
constexpr int kTilesM = kWarpM / 16;
constexpr int kTilesN = kWarpN / 8;

// Storage <-> f32 of one 16-bit value, through storage.cuh's conversions.
template <bool BF16>
using Storage16 = std::conditional_t<BF16, __nv_bfloat16, __half>;

template <bool BF16>
__device__ __forceinline__ float to_float(uint16_t bits) {
    return kn_bits_to_float(static_cast<const Storage16<BF16> *>(nullptr), bits);
}

template <bool BF16>
__device__ __forceinline__ uint16_t to_bits(float v) {
    return static_cast<uint16_t>(kn_float_to_bits(static_cast<const Storage16<BF16> *>(nullptr), v));
}

template <bool BF16>
__device__ __forceinline__ void mma(float d[4], const uint32_t a[4], const uint32_t b[2]) {
    if constexpr (BF16) {
        kn_mma_m16n8k16_bf16(d, a, b, d);
    } else {
        kn_mma_m16n8k16_f16(d, a, b, d);
    }
}

// One staged K slice into a warp's accumulators: xs holds A as [row][k pair], ws holds B as
// [column][k pair] (B's columns are K-major, mma's col operand). (wm, wn) is the warp's corner in the
// block tile, g = lane >> 2 and t = lane & 3 as in the PTX fragment layouts (common.cuh).
template <bool BF16>
__device__ __forceinline__ void warp_slice(float (&acc)[kTilesM][kTilesN][4], const uint32_t (*xs)[kRowWords],
                                           const uint32_t (*ws)[kRowWords], int wm, int wn, int g, int t) {
#pragma unroll
    for (int ks = 0; ks < kSliceWords; ks += 8) {  // one m16n8k16 k step = 8 words
        uint32_t af[kTilesM][4];
#pragma unroll
        for (int mi = 0; mi < kTilesM; ++mi) {
            const int r = wm + mi * 16 + g;
            af[mi][0] = xs[r][ks + t];
            af[mi][1] = xs[r + 8][ks + t];
            af[mi][2] = xs[r][ks + t + 4];
            af[mi][3] = xs[r + 8][ks + t + 4];
        }
#pragma unroll
        for (int ni = 0; ni < kTilesN; ++ni) {
            const int c = wn + ni * 8 + g;
            const uint32_t bf[2] = {ws[c][ks + t], ws[c][ks + t + 4]};
#pragma unroll
            for (int mi = 0; mi < kTilesM; ++mi) mma<BF16>(acc[mi][ni], af[mi], bf);
        }
    }
}

}  // namespace kn_mma_tile
