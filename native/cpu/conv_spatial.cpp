// conv_spatial.cpp - the 1xkxk convolution (k in {1, 3}, stride 1 or 2, padding k/2), channels-last.
//
// Work: 2 * B*T*H'*W' * Co * Ci * k*k FLOPs; at the reference shape (B=1, T=16, 32x32, Ci=Co=128,
// k=3) that is 4.8 GFLOP against 8 MB in + 8 MB out, so it is compute bound. Plan per call:
//  1. repack w[Co][Ci][1][k][k] into blocks of [kh][kw][Ci][block] (tap_gemm.h) - 147 KB here,
//     cheap next to the FLOPs, and never cached across calls (a pointer says nothing about content);
//  2. one task per (output row, channel block), split into contiguous ranges per thread;
//  3. for k = 3 each input row is copied once into a zero-padded row buffer [W+2][Ci] (a ring of
//     three per thread, keyed by row), so every tap of every pixel is in bounds and a row of output
//     is a handful of uniform tiles; out-of-range rows (top/bottom padding) are skipped taps.
// A 1x1 stride-1 conv is a plain GEMM over all pixels, tiled over the flattened pixel range.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "tap_gemm.h"
#include "parallel.h"

namespace kinema::cpu {
namespace {

struct Geometry {
    int64_t batch_frames, h, w, ci, co, out_h, out_w;
    int k, stride, taps;
};

// The ring of zero-padded input rows of one thread (k = 3 only).
class PaddedRows {
public:
    PaddedRows(float *buffer, const Geometry &g) : buffer_(buffer), g_(g) {
        if (g.k != 3) return;  // 1x1 convs read x directly
        const int64_t row_floats = (g.w + 2) * g.ci;
        for (int slot = 0; slot < 3; ++slot) {
            float *row = buffer_ + slot * row_floats;
            std::fill(row, row + g.ci, 0.0f);                          // left padding column
            std::fill(row + (g.w + 1) * g.ci, row + row_floats, 0.0f);  // right padding column
        }
    }

    // Row `ih` of frame `frame` of x, padded: column 0 and W+1 are zeros, column j+1 is x's column j.
    const float *row(const float *x, int64_t frame, int64_t ih) {
        const int slot = int(ih % 3);  // rows oh*s-1 .. oh*s+1 never collide for s in {1, 2}
        const int64_t tag = frame * g_.h + ih;
        float *dst = buffer_ + slot * (g_.w + 2) * g_.ci;
        if (tags_[slot] != tag) {
            std::memcpy(dst + g_.ci, x + tag * g_.w * g_.ci, size_t(g_.w * g_.ci) * sizeof(float));
            tags_[slot] = tag;
        }
        return dst;
    }

private:
    float *buffer_;
    const Geometry &g_;
    int64_t tags_[3] = {-1, -1, -1};  // which input row each slot holds
};

// Runs one row of `pixels` output pixels as even tiles; a_row holds each valid tap's first pixel.
void run_tiles(const TapGemm &gemm, TapTile &tile, int64_t pixels, const float *const *a_row,
               const float *residual_row, float *y_row, int64_t co) {
    const int64_t tiles = tile_count(pixels, gemm.max_pixels);
    for (int64_t i = 0; i < tiles; ++i) {
        const int64_t first = tile_start(pixels, tiles, i);
        tile.pixels = tile_size(pixels, tiles, i);
        for (int k = 0; k < tile.taps; ++k) tile.a[k] = a_row[k] + first * tile.a_stride;
        tile.residual = residual_row != nullptr ? residual_row + first * co : nullptr;
        tile.y = y_row + first * co;
        gemm.kernel(tile);
    }
}

}  // namespace

int32_t conv_spatial(const kn_exec &e, const kn_conv_spatial_params &p, Isa isa) {
    if (p.x.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_conv_spatial: argument 'x': dtype %d is not supported by the cpu backend, expected 0 (f32)",
                     p.x.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    Geometry g;
    g.batch_frames = p.x.shape[0] * p.x.shape[1];
    g.h = p.x.shape[2];
    g.w = p.x.shape[3];
    g.ci = p.x.shape[4];
    g.co = p.w.shape[0];
    g.k = int(p.w.shape[3]);
    g.stride = p.stride;
    g.taps = g.k * g.k;
    const int pad = g.k / 2;
    g.out_h = (g.h + 2 * pad - g.k) / g.stride + 1;
    g.out_w = (g.w + 2 * pad - g.k) / g.stride + 1;
    if (g.batch_frames == 0 || g.co == 0) return KN_OK;

    const TapGemm gemm = tap_gemm_for(isa);
    const int64_t nb = gemm.block_channels;
    const int64_t blocks = (g.co + nb - 1) / nb;

    // A 1x1 stride-1 conv has no geometry: cut all pixels into rows of whole tiles instead.
    const bool flat = g.k == 1 && g.stride == 1;
    const int64_t flat_pixels = g.batch_frames * g.h * g.w;
    const int64_t flat_row = int64_t(gemm.max_pixels) * 16;
    const int64_t rows = flat ? (flat_pixels + flat_row - 1) / flat_row : g.batch_frames * g.out_h;
    const int64_t tasks = rows * blocks;
    const int threads = int(std::max<int64_t>(1, std::min<int64_t>(e.num_threads, tasks)));

    const int64_t weight_floats = packed_weight_floats(g.co, g.ci, g.taps, gemm.block_channels);
    const int64_t row_floats = g.k == 3 ? 3 * (g.w + 2) * g.ci : 0;
    Scratch scratch(weight_floats + blocks * nb + threads * row_floats);
    if (scratch.data() == nullptr) {
        kn_set_error("kn_conv_spatial: out of host memory for %lld floats of packed weights and padded rows",
                     (long long)(weight_floats + blocks * nb + threads * row_floats));
        return KN_ERR_OUT_OF_MEMORY;
    }
    float *packed = scratch.data();
    float *bias = packed + weight_floats;
    pack_bias(static_cast<const float *>(p.b.data), g.co, blocks * nb, bias);

    const auto *x = static_cast<const float *>(p.x.data);
    const auto *residual = static_cast<const float *>(p.residual.data);
    auto *y = static_cast<float *>(p.y.data);

    parallel_region(threads, [&] {
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < blocks; ++blk)
            pack_weights(static_cast<const float *>(p.w.data), g.co, g.ci, g.taps, gemm.block_channels, blk, blk + 1,
                         packed);

        PaddedRows padded(bias + blocks * nb + omp_get_thread_num() * row_floats, g);
        TapTile tile;
        tile.ci = g.ci;
        tile.y_stride = g.co;

#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; ++task) {
            const int64_t row = task / blocks, blk = task % blocks;
            const float *block_weights = packed + blk * g.taps * g.ci * nb;
            tile.bias = bias + blk * nb;
            tile.channels = int(std::min<int64_t>(nb, g.co - blk * nb));

            const float *a_row[kMaxTaps];
            int64_t first_pixel, pixels;  // of this row, in output pixel order
            if (flat) {
                first_pixel = row * flat_row;
                pixels = std::min(flat_row, flat_pixels - first_pixel);
                tile.taps = 1;
                tile.w[0] = block_weights;
                a_row[0] = x + first_pixel * g.ci;
                tile.a_stride = g.ci;
            } else {
                const int64_t frame = row / g.out_h, oh = row % g.out_h;
                first_pixel = row * g.out_w;
                pixels = g.out_w;
                tile.a_stride = g.stride * g.ci;
                tile.taps = 0;
                if (g.k == 1) {
                    tile.w[tile.taps] = block_weights;
                    a_row[tile.taps++] = x + (frame * g.h + oh * g.stride) * g.w * g.ci;
                } else {
                    for (int kh = 0; kh < 3; ++kh) {
                        const int64_t ih = oh * g.stride - 1 + kh;
                        if (ih < 0 || ih >= g.h) continue;  // zero padding rows contribute nothing
                        const float *in = padded.row(x, frame, ih);
                        for (int kw = 0; kw < 3; ++kw) {
                            tile.w[tile.taps] = block_weights + (kh * 3 + kw) * g.ci * nb;
                            a_row[tile.taps++] = in + kw * g.ci;
                        }
                    }
                }
            }
            const float *residual_row = residual != nullptr ? residual + first_pixel * g.co + blk * nb : nullptr;
            run_tiles(gemm, tile, pixels, a_row, residual_row, y + first_pixel * g.co + blk * nb, g.co);
        }
    });
    return KN_OK;
}

}  // namespace kinema::cpu
