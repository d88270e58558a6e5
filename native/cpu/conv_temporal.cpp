// conv_temporal.cpp - the 3x1x1 convolution (zero padding in time), channels-last.
//
// Output pixel p of frame t is sum over kt of x[t+kt-1, p] @ w[:, :, kt]: the same tap GEMM as the
// spatial conv with three taps, each a whole frame apart, and no spatial padding at all. Work:
// 2 * B*T*H*W * Co * Ci * 3 FLOPs (1.6 GFLOP at B=1, T=16, 32x32, C=128) over 8 MB in + 8 MB out.
// Tasks are (frame, chunk of 8 tiles of pixels, channel block) with the block fastest, so a
// thread reuses one chunk's input (3 taps x 112 pixels x Ci, ~170 KB at Ci=128, L2) across blocks.
#include <algorithm>

#include "tap_gemm.h"
#include "parallel.h"

namespace kinema::cpu {

int32_t conv_temporal(const kn_exec &e, const kn_conv_temporal_params &p, Isa isa) {
    if (p.x.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_conv_temporal: argument 'x': dtype %d is not supported by the cpu backend, expected 0 (f32)",
                     p.x.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    const int64_t batch = p.x.shape[0], frames = p.x.shape[1], hw = p.x.shape[2] * p.x.shape[3];
    const int64_t ci = p.x.shape[4], co = p.w.shape[0];
    if (batch * frames * hw == 0 || co == 0) return KN_OK;

    const TapGemm gemm = tap_gemm_for(isa);
    const int64_t nb = gemm.block_channels;
    const int64_t blocks = (co + nb - 1) / nb;
    const int64_t chunks = (hw + 8 * gemm.max_pixels - 1) / (8 * gemm.max_pixels);  // per frame
    const int64_t tasks = batch * frames * chunks * blocks;
    const int threads = int(std::max<int64_t>(1, std::min<int64_t>(e.num_threads, tasks)));

    const int64_t weight_floats = packed_weight_floats(co, ci, 3, gemm.block_channels);
    Scratch scratch(weight_floats + blocks * nb);
    if (scratch.data() == nullptr) {
        kn_set_error("kn_conv_temporal: out of host memory for %lld floats of packed weights",
                     (long long)(weight_floats + blocks * nb));
        return KN_ERR_OUT_OF_MEMORY;
    }
    float *packed = scratch.data();
    float *bias = packed + weight_floats;
    pack_bias(static_cast<const float *>(p.b.data), co, blocks * nb, bias);

    const auto *x = static_cast<const float *>(p.x.data);
    const auto *residual = static_cast<const float *>(p.residual.data);
    auto *y = static_cast<float *>(p.y.data);

    parallel_region(threads, [&] {
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < blocks; ++blk)
            pack_weights(static_cast<const float *>(p.w.data), co, ci, 3, gemm.block_channels, blk, blk + 1, packed);

        TapTile tile;
        tile.ci = ci;
        tile.a_stride = ci;
        tile.y_stride = co;

#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; ++task) {
            // (batch, chunk, frame, block): consecutive frames of a chunk share two of three input frames.
            const int64_t blk = task % blocks, t = task / blocks % frames, chunk = task / blocks / frames % chunks;
            const int64_t frame = task / blocks / frames / chunks * frames + t;
            const int64_t chunk_first = tile_start(hw, chunks, chunk);
            const int64_t chunk_pixels = tile_size(hw, chunks, chunk);
            const float *block_weights = packed + blk * 3 * ci * nb;
            tile.bias = bias + blk * nb;
            tile.channels = int(std::min<int64_t>(nb, co - blk * nb));

            const float *a_first[3];  // per valid tap: the chunk's first pixel in frame t + kt - 1
            tile.taps = 0;
            for (int kt = 0; kt < 3; ++kt) {
                const int64_t source = t + kt - 1;
                if (source < 0 || source >= frames) continue;  // zero padding in time
                tile.w[tile.taps] = block_weights + kt * ci * nb;
                a_first[tile.taps++] = x + ((frame - t + source) * hw + chunk_first) * ci;
            }

            const int64_t out_first = frame * hw + chunk_first;
            const int64_t tiles = tile_count(chunk_pixels, gemm.max_pixels);
            for (int64_t i = 0; i < tiles; ++i) {
                const int64_t first = tile_start(chunk_pixels, tiles, i);
                tile.pixels = tile_size(chunk_pixels, tiles, i);
                for (int k = 0; k < tile.taps; ++k) tile.a[k] = a_first[k] + first * ci;
                tile.residual = residual != nullptr ? residual + (out_first + first) * co + blk * nb : nullptr;
                tile.y = y + (out_first + first) * co + blk * nb;
                gemm.kernel(tile);
            }
        }
    });
    return KN_OK;
}

}  // namespace kinema::cpu
