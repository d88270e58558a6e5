// temporal_attention.cpp - attention along time at every spatial position (OPS.md), channels-last.
//
// A column is one (batch, position, head): T frames of q, k, v, each D floats, one frame stride
// (H*W*heads*D) apart, read in place (no permute). Numbered head fastest, 16 (AVX2: 8) consecutive
// columns of a batch are one contiguous run of floats per frame, so the SIMD paths solve them as a
// group with one column per lane (temporal_attention_simd.h, `lanes`): scores and softmax run
// vertically across lanes, with no horizontal reductions and no per-column key transposes. Threads
// take contiguous ranges of groups and prefetch the next group's rows (4 x T strided streams)
// while they compute. When T * D is too large for the group's scratch, and on the portable path,
// each column is solved alone, flash-style (`column`: keys in tiles, online softmax).
// Napkin math at B=1, T=16, 32x32, 8 heads, D=40: 2*2*T*T*D per column x 8192 columns = 0.34 GFLOP
// over 4 x 21 MB (84 MB: past the 32 MB L3, ~2.3 ms at one core's 36 GB/s read rate); at ~460
// GFLOP/s (2 cores x 2 FMA pipes) that is ~0.7 ms of pure FMA, so the W x W in-register transposes of
// q and k (~30% of the in-cache time), the D padding of p v (D = 40 runs as 48) and memory decide.
#include "temporal_attention.h"
#include "parallel.h"
#include "thread_scratch.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu_ops.h"

namespace kinema::cpu {

// The lane kernels prefetch the group this many groups ahead while they compute (2 and 3 measured
// no better).
constexpr int64_t kPrefetchGroups = 1;

int64_t attention_scratch_floats(int frames, int dim) {
    const int64_t rows = (frames + 3) / 4 * 4, dpad = (dim + 15) / 16 * 16;
    return int64_t(dim) * 16 + rows * dpad + 4 * 16 + 2 * rows;
}

// Portable path: the same online softmax one key at a time.
void attention_column_scalar(const AttentionColumn &c, float *scratch) {
    float *acc = scratch;
    for (int i = 0; i < c.frames; ++i) {
        const float *qi = c.q + i * c.frame_stride;
        int first, last;
        attended_frames(i, c.frames, c.window, c.causal, &first, &last);
        float run_max = -std::numeric_limits<float>::infinity(), run_sum = 0.0f;
        for (int d = 0; d < c.dim; ++d) acc[d] = 0.0f;
        for (int j = first; j <= last; ++j) {
            const float *kj = c.k + j * c.frame_stride, *vj = c.v + j * c.frame_stride;
            float s = 0.0f;
            for (int d = 0; d < c.dim; ++d) s += qi[d] * kj[d];
            s *= c.scale;
            if (c.bias != nullptr) s += c.bias[j - i + c.tmax - 1];
            const float m_new = s > run_max ? s : run_max;
            const float alpha = std::exp(run_max - m_new), p = std::exp(s - m_new);
            run_sum = run_sum * alpha + p;
            for (int d = 0; d < c.dim; ++d) acc[d] = acc[d] * alpha + p * vj[d];
            run_max = m_new;
        }
        float *yi = c.y + i * c.frame_stride;
        for (int d = 0; d < c.dim; ++d) yi[d] = acc[d] / run_sum;
    }
}

int32_t temporal_attention(const kn_exec &e, const kn_temporal_attention_params &p, Isa isa) {
    if (p.q.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_temporal_attention: argument 'q': dtype %d is not supported by the cpu backend, expected 0 "
                     "(f32)",
                     p.q.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    const int64_t batch = p.q.shape[0], frames = p.q.shape[1], positions = p.q.shape[2] * p.q.shape[3];
    const int64_t channels = p.q.shape[4], heads = p.heads, dim = channels / heads;
    const int64_t columns = batch * positions * heads;
    if (columns == 0 || frames == 0 || dim == 0) return KN_OK;

    const int64_t frame_stride = positions * channels;
    const int64_t bias_row = 2 * int64_t(p.Tmax) - 1;
    const auto *q = static_cast<const float *>(p.q.data), *k = static_cast<const float *>(p.k.data),
               *v = static_cast<const float *>(p.v.data), *bias = static_cast<const float *>(p.rel_bias.data);
    auto *y = static_cast<float *>(p.y.data);
    // Below ~64 columns a second thread costs more than it saves.
    const int threads = int(std::max<int64_t>(1, std::min<int64_t>(e.num_threads, columns / 64)));
    bool out_of_memory = false;
    // The calling thread's reused scratch, zeroed like the value-initialised vector it replaces.
    const auto per_thread_scratch = [&](float *&scratch, int64_t floats) {
        scratch = thread_scratch_of<float>(ScratchSlot::attention, floats);
        if (scratch == nullptr) {
#pragma omp atomic write
            out_of_memory = true;
            return false;
        }
        std::fill(scratch, scratch + floats, 0.0f);
        return true;
    };

    int64_t scratch_floats;
    if (isa != Isa::scalar && frames * dim <= kAttentionLaneMaxTD) {
        // Groups of `lanes` consecutive columns of one batch, one column per SIMD lane.
        const bool wide = isa == Isa::avx512;
        const int lanes = wide ? attention_group_lanes_avx512 : attention_group_lanes_avx2;
        void (*group)(const AttentionGroup &, float *) = wide ? attention_group_avx512 : attention_group_avx2;
        scratch_floats = wide ? attention_group_scratch_floats_avx512(int(frames), int(dim))
                              : attention_group_scratch_floats_avx2(int(frames), int(dim));
        const int64_t per_batch = positions * heads, groups_per_batch = (per_batch + lanes - 1) / lanes;
        parallel_region(threads, [&] {
            float *scratch = nullptr;
            const bool have_scratch = per_thread_scratch(scratch, scratch_floats);
            AttentionGroup g{};
            g.bias = bias;
            g.frame_stride = frame_stride;
            g.heads = int(heads);
            g.frames = int(frames);
            g.dim = int(dim);
            g.window = p.window;
            g.causal = p.causal;
            g.tmax = p.Tmax;
            g.scale = float(p.scale);
#pragma omp for schedule(static)
            for (int64_t n = 0; n < batch * groups_per_batch; ++n) {
                if (!have_scratch) continue;
                const int64_t b = n / groups_per_batch, first = n % groups_per_batch * lanes;
                const int64_t offset = b * frames * frame_stride + first * dim;
                g.q = q + offset;
                g.k = k + offset;
                g.v = v + offset;
                g.y = y + offset;
                g.first_column = first;
                g.lanes = int(std::min<int64_t>(lanes, per_batch - first));
                g.q_next = g.k_next = g.v_next = g.y_next = nullptr;
                g.next_lanes = 0;
                if (n + kPrefetchGroups < batch * groups_per_batch) {
                    const int64_t ahead = n + kPrefetchGroups;
                    const int64_t nb = ahead / groups_per_batch, nfirst = ahead % groups_per_batch * lanes;
                    const int64_t next = nb * frames * frame_stride + nfirst * dim;
                    g.q_next = q + next;
                    g.k_next = k + next;
                    g.v_next = v + next;
                    g.y_next = y + next;
                    g.next_lanes = int(std::min<int64_t>(lanes, per_batch - nfirst));
                }
                group(g, scratch);
            }
        });
    } else {
        void (*column)(const AttentionColumn &, float *) = isa == Isa::avx512 ? attention_column_avx512
                                                           : isa == Isa::avx2 ? attention_column_avx2
                                                                              : attention_column_scalar;
        scratch_floats = attention_scratch_floats(int(frames), int(dim));
        parallel_region(threads, [&] {
            float *scratch = nullptr;
            const bool have_scratch = per_thread_scratch(scratch, scratch_floats);
            AttentionColumn c{};
            c.frame_stride = frame_stride;
            c.frames = int(frames);
            c.dim = int(dim);
            c.window = p.window;
            c.causal = p.causal;
            c.tmax = p.Tmax;
            c.scale = float(p.scale);
#pragma omp for schedule(static)
            for (int64_t col = 0; col < columns; ++col) {
                if (!have_scratch) continue;
                const int64_t head = col % heads, position = col / heads % positions, b = col / heads / positions;
                const int64_t offset = b * frames * frame_stride + position * channels + head * dim;
                c.q = q + offset;
                c.k = k + offset;
                c.v = v + offset;
                c.y = y + offset;
                c.bias = bias != nullptr ? bias + head * bias_row : nullptr;
                column(c, scratch);
            }
        });
    }
    if (out_of_memory) {
        kn_set_error("kn_temporal_attention: out of host memory for %lld floats of scratch per thread",
                     (long long)scratch_floats);
        return KN_ERR_OUT_OF_MEMORY;
    }
    return KN_OK;
}

}  // namespace kinema::cpu
