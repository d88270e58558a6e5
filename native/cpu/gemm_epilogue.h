// gemm_epilogue.h - the elementwise tail of linear (and of conv3d when its taps do not fit one tile
// call): activation, geglu pairing, per-batch gate and residual, applied to a tile of h held in
// per-thread scratch while it is still in L1.
#pragma once

#include <cstdint>

#include "cpu_ops.h"

namespace kinema::cpu {

// One tile of h: `pixels` rows of `h_stride` floats. For KN_ACT_GEGLU the row holds the tile's
// `a` columns at [0, half) and its `g` columns at [half, 2*half); outputs are `channels` <= half.
// Otherwise outputs are the first `channels` columns. gate (channels floats) and residual (pixels
// rows of y_stride) may be NULL; residual is read before y is written, so it may be y itself.
struct EpilogueTile {
    const float *h;
    int64_t h_stride;
    int half;
    int pixels;
    int channels;
    int act;  // enum kn_activation
    const float *gate;
    const float *residual;
    float *y;
    int64_t y_stride;
};

using EpilogueFn = void (*)(const EpilogueTile &t);

EpilogueFn epilogue_for(Isa isa);

}  // namespace kinema::cpu
