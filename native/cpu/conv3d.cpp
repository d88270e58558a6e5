// conv3d.cpp - the general odd-kernel 3D convolution (stride 1, "same" zero padding), channels-last.
//
// Work: 2 * B*T*H*W * Co * Ci * kt*kh*kw FLOPs; 3x3x3 at B=1, T=16, 32x32, C=320 is 48 GFLOP
// against 21 MB in + out, so compute bound (~110 ms at 430 GFLOP/s). Plan, as conv_spatial's:
//  1. repack w[Co][Ci][kt][kh][kw] into blocks of [tap][Ci][block] (tap_gemm.h);
//  2. one task per (frame, output row, channel block), contiguous per thread;
//  3. each input row (frame ti, row ih) is copied once into a zero-padded row [W + 2*(kw/2)][Ci] held
//     in a per-thread ring of kt*kh slots (slot = (ti mod kt, ih mod kh): the kt*kh rows one output
//     row reads never collide), so every column tap is in bounds; out-of-range frames and rows are
//     skipped taps;
//  4. the tile kernel takes at most kMaxTaps taps per call: with more valid taps (27 for 3x3x3) the
//     partial sums go through a per-thread L1 tile (later calls add it back as their "residual"),
//     and the last step adds the real residual into y.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm_epilogue.h"
#include "parallel.h"
#include "tap_gemm.h"

namespace kinema::cpu {
namespace {

struct Geometry {
    int64_t frames, t, h, w, ci, co;  // frames = B*T
    int kt, kh, kw;
    int64_t padded_w;  // w + 2*(kw/2)
};

class PaddedRows {
public:
    // tags: kt * kh entries of the calling thread's scratch
    PaddedRows(float *buffer, int64_t *tags, const Geometry &g) : buffer_(buffer), g_(g), tags_(tags) {
        const int64_t pad = g.kw / 2, row_floats = g.padded_w * g.ci;
        for (size_t slot = 0; slot < size_t(g.kt) * g.kh; ++slot) {
            tags_[slot] = -1;
            float *row = buffer_ + int64_t(slot) * row_floats;
            std::fill(row, row + pad * g.ci, 0.0f);
            std::fill(row + (pad + g.w) * g.ci, row + row_floats, 0.0f);
        }
    }

    // Row ih of frame ti (of batch element bi), padded by kw/2 zero columns on both sides.
    const float *row(const float *x, int64_t bi, int64_t ti, int64_t ih) {
        const size_t slot = size_t((ti % g_.kt) * g_.kh + ih % g_.kh);
        const int64_t tag = (bi * g_.t + ti) * g_.h + ih;
        float *dst = buffer_ + int64_t(slot) * g_.padded_w * g_.ci;
        if (tags_[slot] != tag) {
            std::memcpy(dst + (g_.kw / 2) * g_.ci, x + tag * g_.w * g_.ci, size_t(g_.w * g_.ci) * sizeof(float));
            tags_[slot] = tag;
        }
        return dst;
    }

private:
    float *buffer_;
    const Geometry &g_;
    int64_t *tags_;
};

}  // namespace

int32_t conv3d(const kn_exec &e, const kn_conv3d_params &p, Isa isa) {
    if (p.x.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_conv3d: argument 'x': dtype %d is not supported by the cpu backend, expected 0 (f32)",
                     p.x.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    Geometry g;
    g.frames = p.x.shape[0] * p.x.shape[1];
    g.t = p.x.shape[1];
    g.h = p.x.shape[2];
    g.w = p.x.shape[3];
    g.ci = p.x.shape[4];
    g.co = p.w.shape[0];
    g.kt = int(p.w.shape[2]);
    g.kh = int(p.w.shape[3]);
    g.kw = int(p.w.shape[4]);
    g.padded_w = g.w + 2 * (g.kw / 2);
    if (g.frames == 0 || g.h == 0 || g.w == 0 || g.co == 0) return KN_OK;
    const int taps = g.kt * g.kh * g.kw;

    const TapGemm gemm = tap_gemm_for(isa);
    const EpilogueFn epilogue = epilogue_for(isa);
    const int64_t nb = gemm.block_channels;
    const int64_t blocks = (g.co + nb - 1) / nb;
    const int64_t tasks = g.frames * g.h * blocks;
    const int threads = int(std::max<int64_t>(1, std::min<int64_t>(e.num_threads, tasks)));

    const int64_t weight_floats = packed_weight_floats(g.co, g.ci, taps, gemm.block_channels);
    const int64_t per_thread = int64_t(g.kt) * g.kh * g.padded_w * g.ci + int64_t(gemm.max_pixels) * nb;
    // Per thread, after everything else and 64-byte aligned: the row cache's tags (kt*kh int64) and one
    // output row's input-row and weight pointers (2*taps); 2 floats per 8-byte entry.
    const auto round16 = [](int64_t floats) { return (floats + 15) / 16 * 16; };
    const int64_t book_floats = round16(2 * (int64_t(g.kt) * g.kh + 2 * int64_t(taps)));
    // Zeros for the bias of every tap call after the first.
    const int64_t book_offset = round16(weight_floats + 2 * blocks * nb + threads * per_thread);
    Scratch scratch(book_offset + threads * book_floats);
    if (scratch.data() == nullptr) {
        kn_set_error("kn_conv3d: out of host memory for %lld floats of packed weights and padded rows",
                     (long long)(book_offset + threads * book_floats));
        return KN_ERR_OUT_OF_MEMORY;
    }
    float *packed = scratch.data();
    float *bias = packed + weight_floats;
    float *zeros = bias + blocks * nb;
    pack_bias(static_cast<const float *>(p.b.data), g.co, blocks * nb, bias);
    std::fill(zeros, zeros + blocks * nb, 0.0f);

    const auto *x = static_cast<const float *>(p.x.data);
    const auto *residual = static_cast<const float *>(p.residual.data);
    auto *y = static_cast<float *>(p.y.data);
    const int pt = g.kt / 2, ph = g.kh / 2;

    parallel_region(threads, [&] {
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < blocks; ++blk)
            pack_weights(static_cast<const float *>(p.w.data), g.co, g.ci, taps, gemm.block_channels, blk, blk + 1,
                         packed);

        float *mine = zeros + blocks * nb + omp_get_thread_num() * per_thread;
        float *book = scratch.data() + book_offset + omp_get_thread_num() * book_floats;
        PaddedRows padded(mine, reinterpret_cast<int64_t *>(book), g);
        float *partial = mine + int64_t(g.kt) * g.kh * g.padded_w * g.ci;
        const float **a_row = reinterpret_cast<const float **>(book + 2 * int64_t(g.kt) * g.kh);
        const float **w_tap = a_row + taps;
        TapTile tile;
        tile.ci = g.ci;
        tile.a_stride = g.ci;

#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; ++task) {
            const int64_t row = task / blocks, blk = task % blocks;
            const int64_t frame = row / g.h, oh = row % g.h;
            const int64_t bi = frame / g.t, t = frame % g.t;
            const float *block_weights = packed + blk * taps * g.ci * nb;
            const int channels = int(std::min<int64_t>(nb, g.co - blk * nb));

            int valid = 0;
            for (int dt = 0; dt < g.kt; ++dt) {
                const int64_t ti = t - pt + dt;
                if (ti < 0 || ti >= g.t) continue;
                for (int dh = 0; dh < g.kh; ++dh) {
                    const int64_t ih = oh - ph + dh;
                    if (ih < 0 || ih >= g.h) continue;
                    const float *in = padded.row(x, bi, ti, ih);
                    for (int dw = 0; dw < g.kw; ++dw) {
                        w_tap[size_t(valid)] = block_weights + ((dt * g.kh + dh) * g.kw + dw) * g.ci * nb;
                        a_row[size_t(valid++)] = in + dw * g.ci;
                    }
                }
            }

            const int64_t first_pixel = row * g.w;
            float *y_row = y + first_pixel * g.co + blk * nb;
            const float *res_row = residual != nullptr ? residual + first_pixel * g.co + blk * nb : nullptr;
            const int64_t tiles = tile_count(g.w, gemm.max_pixels);
            for (int64_t i = 0; i < tiles; ++i) {
                const int64_t first = tile_start(g.w, tiles, i);
                tile.pixels = tile_size(g.w, tiles, i);
                tile.channels = channels;
                const bool one_call = valid <= kMaxTaps;
                for (int done = 0; done < valid || done == 0; done += kMaxTaps) {
                    tile.taps = std::min(kMaxTaps, valid - done);
                    for (int k = 0; k < tile.taps; ++k) {
                        tile.a[k] = a_row[size_t(done + k)] + first * g.ci;
                        tile.w[k] = w_tap[size_t(done + k)];
                    }
                    tile.bias = done == 0 ? bias + blk * nb : zeros;
                    if (one_call) {
                        tile.residual = res_row != nullptr ? res_row + first * g.co : nullptr;
                        tile.y = y_row + first * g.co;
                        tile.y_stride = g.co;
                    } else {
                        tile.residual = done == 0 ? nullptr : partial;
                        tile.y = partial;
                        tile.y_stride = nb;
                    }
                    gemm.kernel(tile);
                    if (valid == 0) break;
                }
                if (!one_call) {
                    EpilogueTile et;
                    et.h = partial;
                    et.h_stride = nb;
                    et.half = 0;
                    et.pixels = tile.pixels;
                    et.channels = channels;
                    et.act = KN_ACT_NONE;
                    et.gate = nullptr;
                    et.residual = res_row != nullptr ? res_row + first * g.co : nullptr;
                    et.y = y_row + first * g.co;
                    et.y_stride = g.co;
                    epilogue(et);
                }
            }
        }
    });
    return KN_OK;
}

}  // namespace kinema::cpu
