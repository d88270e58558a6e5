// tap_gemm.h - the register-blocked GEMM both convolutions run on.
//
// A 1xkxk or 3x1x1 convolution is, for a tile of consecutive output pixels, a sum over kernel taps
// of (pixels x Ci input) @ (Ci x Co weights). Each tap's input is the tile's first pixel in some
// input row; later pixels follow at a fixed stride (Ci, or 2*Ci for stride 2). The drivers
// (conv_spatial.cpp, conv_temporal.cpp) pick the rows and valid taps; the tile kernels here keep
// pixels x block_channels accumulators in registers and fuse bias and residual into the store.
#pragma once

#include <cstdint>

#include "cpu_ops.h"

namespace kinema::cpu {

constexpr int kMaxTaps = 9;

// One output tile: `pixels` consecutive output pixels x one packed block of output channels.
struct TapTile {
    const float *a[kMaxTaps];  // per valid tap: the tile's first pixel, channel 0, in the input
    const float *w[kMaxTaps];  // per valid tap: this block's packed weights [Ci][block_channels]
    int taps;                  // valid taps (0 leaves bias + residual)
    int pixels;                // 1..max_pixels
    int channels;              // valid output channels of this block, 1..block_channels
    int64_t ci;                // reduction length per tap
    int64_t a_stride;          // floats between consecutive pixels in the input
    const float *bias;         // block_channels floats (zeros where the op has no bias)
    const float *residual;     // the tile's first pixel in residual (same layout as y), or NULL
    float *y;                  // the tile's first pixel in y, at this block's first channel
    int64_t y_stride;          // floats between consecutive pixels in y and residual (Co)
};

using TileKernel = void (*)(const TapTile &tile);

struct TapGemm {
    int block_channels;  // output channels per packed block
    int max_pixels;      // most pixels one tile kernel call handles
    TileKernel kernel;
};

// The tile kernel of one instruction-set path.
TapGemm tap_gemm_scalar();
TapGemm tap_gemm_avx2();
TapGemm tap_gemm_avx512();
TapGemm tap_gemm_for(Isa isa);

// Floats of a packed weight buffer: ceil(co / block) blocks of [taps][ci][block].
int64_t packed_weight_floats(int64_t co, int64_t ci, int taps, int block_channels);

// Repacks w[co][ci][tap] (PyTorch's [Co, Ci, kt, kh, kw] with the taps flattened) into blocks of
// [tap][ci][block_channels], zero past co. Packs the blocks in [first_block, end_block).
void pack_weights(const float *w, int64_t co, int64_t ci, int taps, int block_channels, int64_t first_block,
                  int64_t end_block, float *packed);

// Bias padded with zeros to whole blocks (all zeros when bias is NULL).
void pack_bias(const float *bias, int64_t co, int64_t padded_co, float *packed);

// Splits `count` pixels into the fewest tiles of at most max_pixels, as even as possible; returns
// the number of tiles and the size of tile i is tile_size(count, tiles, i).
inline int64_t tile_count(int64_t count, int max_pixels) { return (count + max_pixels - 1) / max_pixels; }
inline int tile_size(int64_t count, int64_t tiles, int64_t i) {
    return int(count / tiles + (i < count % tiles ? 1 : 0));
}
inline int64_t tile_start(int64_t count, int64_t tiles, int64_t i) {
    const int64_t base = count / tiles, extra = count % tiles;
    return i * base + (i < extra ? i : extra);
}

// 64-byte aligned scratch of the calling thread (thread_scratch.h, slot gemm: one live per thread);
// data() is NULL when the allocation failed.
class Scratch {
public:
    explicit Scratch(int64_t floats);
    Scratch(const Scratch &) = delete;
    Scratch &operator=(const Scratch &) = delete;
    float *data() const { return data_; }

private:
    float *data_;
};

}  // namespace kinema::cpu
