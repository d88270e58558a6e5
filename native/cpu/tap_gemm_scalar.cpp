// tap_gemm_scalar.cpp - the portable tile kernel (any x86-64): up to 4 pixels x 8 output channels.
// Plain loops over a small accumulator block; the compiler may vectorize them with SSE2.
#include "tap_gemm.h"

namespace kinema::cpu {
namespace {

constexpr int kBlock = 8;
constexpr int kMaxPixels = 4;

template <int PIXELS>
void tile_kernel(const TapTile &t) {
    float acc[PIXELS][kBlock] = {};
    for (int k = 0; k < t.taps; ++k) {
        const float *a = t.a[k];
        const float *w = t.w[k];
        for (int64_t c = 0; c < t.ci; ++c, w += kBlock) {
            for (int m = 0; m < PIXELS; ++m) {
                const float x = a[m * t.a_stride + c];
                for (int j = 0; j < kBlock; ++j) acc[m][j] += x * w[j];
            }
        }
    }
    // + bias, + residual (read before y is written, so residual may be y itself).
    for (int m = 0; m < PIXELS; ++m) {
        float *y = t.y + m * t.y_stride;
        const float *r = t.residual != nullptr ? t.residual + m * t.y_stride : nullptr;
        for (int j = 0; j < t.channels; ++j) {
            float out = acc[m][j] + t.bias[j];
            if (r != nullptr) out += r[j];
            y[j] = out;
        }
    }
}

void tile_dispatch(const TapTile &t) {
    switch (t.pixels) {
        case 1: return tile_kernel<1>(t);
        case 2: return tile_kernel<2>(t);
        case 3: return tile_kernel<3>(t);
        case 4: return tile_kernel<4>(t);
    }
}

}  // namespace

TapGemm tap_gemm_scalar() { return {kBlock, kMaxPixels, tile_dispatch}; }

}  // namespace kinema::cpu
