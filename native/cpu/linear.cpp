// linear.cpp - y = epilogue(x @ w.T + b) over the rows of x[..., K], on the tap GEMM as a 1-tap GEMM.
//
// Work: 2*M*K*N FLOPs over (M*K + N*K + M*N') floats; at M = 16K rows, K = N = 320 that is 3.4 GFLOP
// against 42 MB, so compute bound (~8 ms at 430 GFLOP/s). Plan per call:
//  1. pack w[N][K] into blocks of [K][block] (tap_gemm.h). For geglu a block holds half a block of
//     `a` columns and the matching `g` columns (j and j + N'), so one tile has both halves of h;
//  2. tasks are (chunk of up to 16 tiles of rows, block), blocks inner so a chunk of x stays in L2;
//  3. a tile kernel writes h (+ bias) into per-thread scratch and the epilogue (activation, geglu
//     pairing, gate of the row's batch, residual) writes y. Without activation and gate the tile
//     kernel writes y directly, residual fused, as the convolutions do.
#include <omp.h>

#include <algorithm>

#include "gemm_epilogue.h"
#include "parallel.h"
#include "tap_gemm.h"

namespace kinema::cpu {
namespace {

// Packed column c of block blk reads row src of w (or zero when src < 0).
int64_t source_row(int64_t blk, int64_t c, int64_t nb, int64_t n, bool geglu) {
    if (!geglu) {
        const int64_t row = blk * nb + c;
        return row < n ? row : -1;
    }
    const int64_t half = nb / 2, n_out = n / 2;
    const int64_t j = blk * half + (c < half ? c : c - half);
    if (j >= n_out) return -1;
    return c < half ? j : n_out + j;
}

}  // namespace

int32_t linear(const kn_exec &e, const kn_linear_params &p, Isa isa) {
    if (p.x.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_linear: argument 'x': dtype %d is not supported by the cpu backend, expected 0 (f32)",
                     p.x.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    const int rank = p.x.rank;
    const int64_t k = p.x.shape[rank - 1], n = p.w.shape[0];
    int64_t rows = 1;
    for (int i = 0; i < rank - 1; ++i) rows *= p.x.shape[i];
    const bool geglu = p.act == KN_ACT_GEGLU;
    const int64_t n_out = geglu ? n / 2 : n;
    if (rows == 0 || n_out == 0) return KN_OK;
    const int64_t rows_per_batch = rows / p.x.shape[0];

    const TapGemm gemm = tap_gemm_for(isa);
    const EpilogueFn epilogue = epilogue_for(isa);
    const int64_t nb = gemm.block_channels;
    const int64_t out_block = geglu ? nb / 2 : nb;  // output columns per packed block
    const int64_t blocks = (n_out + out_block - 1) / out_block;
    const bool direct = p.act == KN_ACT_NONE && p.gate.data == nullptr;

    const int64_t chunk = int64_t(gemm.max_pixels) * 16;
    const int64_t chunks = (rows + chunk - 1) / chunk;
    const int64_t tasks = chunks * blocks;
    const int threads = int(std::max<int64_t>(1, std::min<int64_t>(e.num_threads, tasks)));
    const int64_t weight_floats = blocks * k * nb;
    const int64_t tile_floats = int64_t(gemm.max_pixels) * nb;
    Scratch scratch(weight_floats + blocks * nb + threads * tile_floats);
    if (scratch.data() == nullptr) {
        kn_set_error("kn_linear: out of host memory for %lld floats of packed weights",
                     (long long)(weight_floats + blocks * nb));
        return KN_ERR_OUT_OF_MEMORY;
    }
    float *packed = scratch.data();
    float *bias = packed + weight_floats;
    const auto *w = static_cast<const float *>(p.w.data);
    const auto *b = static_cast<const float *>(p.b.data);
    for (int64_t blk = 0; blk < blocks; ++blk)
        for (int64_t c = 0; c < nb; ++c) {
            const int64_t src = source_row(blk, c, nb, n, geglu);
            bias[blk * nb + c] = src >= 0 && b != nullptr ? b[src] : 0.0f;
        }

    const auto *x = static_cast<const float *>(p.x.data);
    const auto *residual = static_cast<const float *>(p.residual.data);
    const auto *gate = static_cast<const float *>(p.gate.data);
    auto *y = static_cast<float *>(p.y.data);

    parallel_region(threads, [&] {
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < blocks; ++blk) {
            float *out = packed + blk * k * nb;
            for (int64_t c = 0; c < nb; ++c) {
                const int64_t src = source_row(blk, c, nb, n, geglu);
                for (int64_t i = 0; i < k; ++i) out[i * nb + c] = src >= 0 ? w[src * k + i] : 0.0f;
            }
        }

        float *h = bias + blocks * nb + omp_get_thread_num() * tile_floats;
        TapTile tile;
        tile.taps = 1;
        tile.ci = k;
        tile.a_stride = k;

#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; ++task) {
            const int64_t ch = task / blocks, blk = task % blocks;
            const int64_t first_row = ch * chunk, count = std::min(chunk, rows - first_row);
            const int64_t col0 = blk * out_block;
            const int valid = int(std::min(out_block, n_out - col0));
            tile.w[0] = packed + blk * k * nb;
            tile.bias = bias + blk * nb;
            const int64_t tiles = tile_count(count, gemm.max_pixels);
            for (int64_t i = 0; i < tiles; ++i) {
                const int64_t r0 = first_row + tile_start(count, tiles, i);
                const int pixels = tile_size(count, tiles, i);
                tile.pixels = pixels;
                tile.a[0] = x + r0 * k;
                if (direct) {
                    tile.channels = valid;
                    tile.residual = residual != nullptr ? residual + r0 * n_out + col0 : nullptr;
                    tile.y = y + r0 * n_out + col0;
                    tile.y_stride = n_out;
                    gemm.kernel(tile);
                    continue;
                }
                tile.channels = geglu ? int(nb) : valid;  // geglu's g half sits past the valid a columns
                tile.residual = nullptr;
                tile.y = h;
                tile.y_stride = nb;
                gemm.kernel(tile);
                // One epilogue call per run of rows of the same batch (the gate row differs).
                for (int m = 0; m < pixels;) {
                    const int64_t batch = (r0 + m) / rows_per_batch;
                    const int run = int(std::min<int64_t>(pixels - m, (batch + 1) * rows_per_batch - (r0 + m)));
                    EpilogueTile et;
                    et.h = h + m * nb;
                    et.h_stride = nb;
                    et.half = int(nb / 2);
                    et.pixels = run;
                    et.channels = valid;
                    et.act = p.act;
                    et.gate = gate != nullptr ? gate + batch * n_out + col0 : nullptr;
                    et.residual = residual != nullptr ? residual + (r0 + m) * n_out + col0 : nullptr;
                    et.y = y + (r0 + m) * n_out + col0;
                    et.y_stride = n_out;
                    epilogue(et);
                    m += run;
                }
            }
        }
    });
    return KN_OK;
}

}  // namespace kinema::cpu
