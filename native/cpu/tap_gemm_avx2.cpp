// tap_gemm_avx2.cpp - the AVX2+FMA tile kernel: up to 6 pixels x 16 output channels.
//
// 6 x 2 ymm accumulators + 2 weight vectors + 1 broadcast = 15 of 16 registers (the classic 6x16
// Haswell shape): 2 weight loads and 6 broadcasts feed 12 FMAs per input channel and tap.
#include <immintrin.h>

#include "tap_gemm.h"

#define KN_AVX2 __attribute__((target("avx2,fma")))

namespace kinema::cpu {
namespace {

constexpr int kLanes = 8;
constexpr int kBlock = 16;
constexpr int kMaxPixels = 6;

// All-ones lanes below `valid`: the mask maskload/maskstore take.
KN_AVX2 inline __m256i lane_mask(int valid) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), lane);
}

template <int PIXELS, int VECS>
KN_AVX2 void tile_kernel(const TapTile &t) {
    __m256 acc[PIXELS][VECS];
#pragma GCC unroll 8
    for (int m = 0; m < PIXELS; ++m)
#pragma GCC unroll 2
        for (int v = 0; v < VECS; ++v) acc[m][v] = _mm256_setzero_ps();

    const int64_t stride = t.a_stride;
    for (int k = 0; k < t.taps; ++k) {
        const float *a = t.a[k];
        const float *w = t.w[k];
        for (int64_t c = 0; c < t.ci; ++c, w += kBlock) {
            __m256 wv[VECS];
#pragma GCC unroll 2
            for (int v = 0; v < VECS; ++v) wv[v] = _mm256_load_ps(w + v * kLanes);
#pragma GCC unroll 8
            for (int m = 0; m < PIXELS; ++m) {
                const __m256 x = _mm256_broadcast_ss(a + m * stride + c);
#pragma GCC unroll 2
                for (int v = 0; v < VECS; ++v) acc[m][v] = _mm256_fmadd_ps(x, wv[v], acc[m][v]);
            }
        }
    }

    // Epilogue: + bias, + residual (read before y is written, so residual may be y itself).
#pragma GCC unroll 2
    for (int v = 0; v < VECS; ++v) {
        const int valid = t.channels - v * kLanes;
        const __m256i mask = lane_mask(valid);
        const __m256 bias = _mm256_load_ps(t.bias + v * kLanes);
#pragma GCC unroll 8
        for (int m = 0; m < PIXELS; ++m) {
            __m256 out = _mm256_add_ps(acc[m][v], bias);
            float *y = t.y + m * t.y_stride + v * kLanes;
            if (valid >= kLanes) {
                if (t.residual != nullptr)
                    out = _mm256_add_ps(out, _mm256_loadu_ps(t.residual + m * t.y_stride + v * kLanes));
                _mm256_storeu_ps(y, out);
            } else {
                if (t.residual != nullptr)
                    out = _mm256_add_ps(out, _mm256_maskload_ps(t.residual + m * t.y_stride + v * kLanes, mask));
                _mm256_maskstore_ps(y, mask, out);
            }
        }
    }
}

template <int PIXELS>
KN_AVX2 void tile_kernel_any_width(const TapTile &t) {
    if (t.channels > kLanes)
        tile_kernel<PIXELS, 2>(t);
    else
        tile_kernel<PIXELS, 1>(t);
}

KN_AVX2 void tile_dispatch(const TapTile &t) {
    switch (t.pixels) {
        case 1: return tile_kernel_any_width<1>(t);
        case 2: return tile_kernel_any_width<2>(t);
        case 3: return tile_kernel_any_width<3>(t);
        case 4: return tile_kernel_any_width<4>(t);
        case 5: return tile_kernel_any_width<5>(t);
        case 6: return tile_kernel_any_width<6>(t);
    }
}

}  // namespace

TapGemm tap_gemm_avx2() { return {kBlock, kMaxPixels, tile_dispatch}; }

}  // namespace kinema::cpu
