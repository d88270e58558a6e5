// frame_attention.cpp - the cpu `attention` op (OPS.md): per (b, t, head), y = softmax(q K(t).T s) V(t),
// K(t)/V(t) the frames kv_frames names, read in place through a frame list (never concatenated).
//
// Tasks are (b, t, head, block of 64 query rows), block fastest so consecutive tasks of a thread reuse
// one frame's K/V from L2; OpenMP splits them statically (every task of a call costs the same).
// Each task runs the block kernel of its SIMD path (frame_attention_simd.h) with per-thread scratch
// of O(64 x D) floats, whatever the frame count.
// Napkin math, B=1, T=16, 8 heads, 1024 tokens, D=40, same: 4*N^2*D per (t, head) x 128 = 21.5 GFLOP
// over 4 x 21 MB, so compute bound; at ~460 GFLOP/s (2 cores x 2 FMA pipes) >= 47 ms of FMA. The
// 64 x 64 exps per 64x64 tile (~15 vector ops per 16) add ~15% to the FMA work.
#include "frame_attention.h"
#include "parallel.h"
#include "thread_scratch.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kinema::cpu {

int64_t fa_scratch_floats(int dim) {
    return 2 * int64_t(std::max(dim, 1)) * kFaQueryBlock + kFaKeyTile * kFaQueryBlock + 3 * kFaQueryBlock;
}

// Portable path: the same online softmax, one query row and one key at a time.
void fa_block_scalar(const FaBlock &b, float *scratch) {
    float *acc = scratch;
    for (int r = 0; r < b.rows; ++r) {
        const float *qr = b.q + int64_t(r) * b.q_stride;
        float run_max = -std::numeric_limits<float>::infinity(), run_sum = 0.0f;
        for (int d = 0; d < b.dim; ++d) acc[d] = 0.0f;
        for (int f = 0; f < b.nframes; ++f) {
            const int64_t frame_off = int64_t(b.frames[f]) * b.frame_stride;
            for (int64_t j = 0; j < b.keys; ++j) {
                const float *kj = b.k + frame_off + j * b.kv_stride, *vj = b.v + frame_off + j * b.kv_stride;
                float s = 0.0f;
                for (int d = 0; d < b.dim; ++d) s += qr[d] * kj[d];
                s *= b.scale;
                const float m_new = s > run_max ? s : run_max;
                const float alpha = std::exp(run_max - m_new), p = std::exp(s - m_new);
                run_sum = run_sum * alpha + p;
                for (int d = 0; d < b.dim; ++d) acc[d] = acc[d] * alpha + p * vj[d];
                run_max = m_new;
            }
        }
        float *yr = b.y + int64_t(r) * b.q_stride;
        for (int d = 0; d < b.dim; ++d) yr[d] = acc[d] / run_sum;
    }
}

int32_t attention(const kn_exec &e, const kn_attention_params &p, Isa isa) {
    if (p.q.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_attention: argument 'q': dtype %d is not supported by the cpu backend, expected 0 (f32)",
                     p.q.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    const bool context = p.kv_frames == KN_KV_FRAMES_CONTEXT;
    const int64_t batch = p.q.shape[0], frames = p.q.shape[1], queries = p.q.shape[2], heads = p.q.shape[3],
                  dim = p.q.shape[4];
    // context k/v [B, L, heads, D] are one frame of L keys.
    const int64_t kv_frames = context ? 1 : p.k.shape[1], keys = context ? p.k.shape[1] : p.k.shape[2];
    const int64_t blocks = (queries + kFaQueryBlock - 1) / kFaQueryBlock;
    const int64_t tasks = batch * frames * heads * blocks;
    if (tasks == 0 || dim == 0) return KN_OK;

    void (*kernel)(const FaBlock &, float *) = isa == Isa::avx512 ? fa_block_avx512
                                               : isa == Isa::avx2 ? fa_block_avx2
                                                                  : fa_block_scalar;
    const int64_t token = heads * dim, frame_stride = keys * token, q_frame = queries * token;
    const auto *q = static_cast<const float *>(p.q.data), *k = static_cast<const float *>(p.k.data),
               *v = static_cast<const float *>(p.v.data);
    auto *y = static_cast<float *>(p.y.data);
    const int64_t scratch_floats = fa_scratch_floats(int(dim));
    const int threads = int(std::max<int64_t>(1, std::min<int64_t>(e.num_threads, tasks)));
    bool out_of_memory = false;

    parallel_region(threads, [&] {
        // zeroed like the value-initialised vectors they replace
        const int64_t list_size = std::max<int64_t>(2, kv_frames);
        float *scratch = thread_scratch_of<float>(ScratchSlot::attention, scratch_floats);
        int *list = thread_scratch_of<int>(ScratchSlot::attention_list, list_size);
        const bool ok = scratch != nullptr && list != nullptr;
        if (ok) {
            std::fill(scratch, scratch + scratch_floats, 0.0f);
            std::fill(list, list + list_size, 0);
        } else {
#pragma omp atomic write
            out_of_memory = true;
        }
        FaBlock blk{};
        blk.keys = keys;
        blk.dim = int(dim);
        blk.q_stride = token;
        blk.kv_stride = token;
        blk.frame_stride = frame_stride;
        blk.scale = float(p.scale);
        blk.frames = list;
#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; ++task) {
            if (!ok) continue;
            const int64_t qb = task % blocks, head = task / blocks % heads, t = task / blocks / heads % frames,
                          b = task / blocks / heads / frames;
            switch (p.kv_frames) {
                case KN_KV_FRAMES_SAME: list[0] = int(t), blk.nframes = 1; break;
                case KN_KV_FRAMES_FIRST:
                case KN_KV_FRAMES_CONTEXT: list[0] = 0, blk.nframes = 1; break;
                case KN_KV_FRAMES_SPARSE_CAUSAL: list[0] = 0, list[1] = int(std::max<int64_t>(t - 1, 0)), blk.nframes = 2; break;
                default:
                    for (int64_t f = 0; f < kv_frames; ++f) list[size_t(f)] = int(f);
                    blk.nframes = int(kv_frames);
            }
            const int64_t row0 = qb * kFaQueryBlock;
            blk.rows = int(std::min<int64_t>(kFaQueryBlock, queries - row0));
            const int64_t q_off = (b * frames + t) * q_frame + row0 * token + head * dim;
            blk.q = q + q_off;
            blk.y = y + q_off;
            const int64_t kv_off = b * kv_frames * frame_stride + head * dim;
            blk.k = k + kv_off;
            blk.v = v + kv_off;
            kernel(blk, scratch);
        }
    });
    if (out_of_memory) {
        kn_set_error("kn_attention: out of host memory for %lld floats of scratch per thread",
                     (long long)scratch_floats);
        return KN_ERR_OUT_OF_MEMORY;
    }
    return KN_OK;
}

}  // namespace kinema::cpu
