// tap_gemm_avx512.cpp - the AVX-512 tile kernel: up to 14 pixels x 32 output channels.
//
// 14 x 2 zmm accumulators + 2 weight vectors + 1 broadcast = 31 of 32 registers. Per input channel
// and tap: 2 weight loads and 14 broadcasts feed 28 FMAs, so the two FMA pipes (not the loads) set
// the pace; at 14 pixels the 4-cycle FMA latency is hidden many times over. Weights stream from L2
// (a 32-channel block of a 3x3, Ci=128 conv is 147 KB) at ~10 bytes per FMA cycle, well within L2.
#include <immintrin.h>

#include "tap_gemm.h"

#define KN_AVX512 __attribute__((target("avx512f")))

namespace kinema::cpu {
namespace {

constexpr int kLanes = 16;
constexpr int kBlock = 32;
constexpr int kMaxPixels = 14;

KN_AVX512 inline __mmask16 lane_mask(int valid) {
    return valid >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << valid) - 1u);
}

// VECS = 1 serves a last block of at most 16 channels at half the work.
template <int PIXELS, int VECS>
KN_AVX512 void tile_kernel(const TapTile &t) {
    __m512 acc[PIXELS][VECS];
#pragma GCC unroll 16
    for (int m = 0; m < PIXELS; ++m)
#pragma GCC unroll 2
        for (int v = 0; v < VECS; ++v) acc[m][v] = _mm512_setzero_ps();

    const int64_t stride = t.a_stride;
    for (int k = 0; k < t.taps; ++k) {
        const float *a = t.a[k];
        const float *w = t.w[k];
        for (int64_t c = 0; c < t.ci; ++c, w += kBlock) {
            __m512 wv[VECS];
#pragma GCC unroll 2
            for (int v = 0; v < VECS; ++v) wv[v] = _mm512_load_ps(w + v * kLanes);
#pragma GCC unroll 16
            for (int m = 0; m < PIXELS; ++m) {
                const __m512 x = _mm512_set1_ps(a[m * stride + c]);
#pragma GCC unroll 2
                for (int v = 0; v < VECS; ++v) acc[m][v] = _mm512_fmadd_ps(x, wv[v], acc[m][v]);
            }
        }
    }

    // Epilogue: + bias, + residual (read before y is written, so residual may be y itself).
#pragma GCC unroll 2
    for (int v = 0; v < VECS; ++v) {
        const __mmask16 mask = lane_mask(t.channels - v * kLanes);
        const __m512 bias = _mm512_load_ps(t.bias + v * kLanes);
#pragma GCC unroll 16
        for (int m = 0; m < PIXELS; ++m) {
            __m512 out = _mm512_add_ps(acc[m][v], bias);
            if (t.residual != nullptr)
                out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(mask, t.residual + m * t.y_stride + v * kLanes));
            _mm512_mask_storeu_ps(t.y + m * t.y_stride + v * kLanes, mask, out);
        }
    }
}

template <int PIXELS>
KN_AVX512 void tile_kernel_any_width(const TapTile &t) {
    if (t.channels > kLanes)
        tile_kernel<PIXELS, 2>(t);
    else
        tile_kernel<PIXELS, 1>(t);
}

KN_AVX512 void tile_dispatch(const TapTile &t) {
    switch (t.pixels) {
        case 1: return tile_kernel_any_width<1>(t);
        case 2: return tile_kernel_any_width<2>(t);
        case 3: return tile_kernel_any_width<3>(t);
        case 4: return tile_kernel_any_width<4>(t);
        case 5: return tile_kernel_any_width<5>(t);
        case 6: return tile_kernel_any_width<6>(t);
        case 7: return tile_kernel_any_width<7>(t);
        case 8: return tile_kernel_any_width<8>(t);
        case 9: return tile_kernel_any_width<9>(t);
        case 10: return tile_kernel_any_width<10>(t);
        case 11: return tile_kernel_any_width<11>(t);
        case 12: return tile_kernel_any_width<12>(t);
        case 13: return tile_kernel_any_width<13>(t);
        case 14: return tile_kernel_any_width<14>(t);
    }
}

}  // namespace

TapGemm tap_gemm_avx512() { return {kBlock, kMaxPixels, tile_dispatch}; }

}  // namespace kinema::cpu
