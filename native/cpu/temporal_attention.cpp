// temporal_attention.cpp - attention along time at every spatial position (OPS.md), channels-last.
//
// A column is one (batch, position, head): T frames of q, k, v, each D floats, one frame stride
// (H*W*heads*D) apart, read in place (no permute). Each column is solved flash-style by the SIMD
// column kernel (temporal_attention_simd.h): keys in tiles of 16 (8) frames, online softmax, never
// the T x T scores. Threads take contiguous ranges of (batch, position, head), head fastest, so a
// thread walks each frame's channel rows in order.
// Napkin math at B=1, T=16, 32x32, 8 heads, D=40: 2*2*T*T*D per column x 8192 columns = 0.34 GFLOP
// over 4 x 2.6 MB; at ~460 GFLOP/s (2 cores x 2 FMA pipes) that is ~0.7 ms of pure FMA, so the
// transposes, exps and short reductions at T = 16 decide the time.
#include "temporal_attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <vector>

#include "cpu_ops.h"

namespace kinema::cpu {

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

    void (*column)(const AttentionColumn &, float *) = isa == Isa::avx512 ? attention_column_avx512
                                                       : isa == Isa::avx2 ? attention_column_avx2
                                                                          : attention_column_scalar;
    const int64_t frame_stride = positions * channels;
    const int64_t bias_row = 2 * int64_t(p.Tmax) - 1;
    const auto *q = static_cast<const float *>(p.q.data), *k = static_cast<const float *>(p.k.data),
               *v = static_cast<const float *>(p.v.data), *bias = static_cast<const float *>(p.rel_bias.data);
    auto *y = static_cast<float *>(p.y.data);
    const int64_t scratch_floats = attention_scratch_floats(int(frames), int(dim));
    // Below ~64 columns a second thread costs more than it saves.
    const int threads = int(std::max<int64_t>(1, std::min<int64_t>(e.num_threads, columns / 64)));
    bool out_of_memory = false;

#pragma omp parallel num_threads(threads)
    {
        std::vector<float> scratch;
        bool have_scratch = true;
        try {
            scratch.resize(size_t(scratch_floats));
        } catch (const std::bad_alloc &) {
            have_scratch = false;
#pragma omp atomic write
            out_of_memory = true;
        }
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
            column(c, scratch.data());
        }
    }
    if (out_of_memory) {
        kn_set_error("kn_temporal_attention: out of host memory for %lld floats of scratch per thread",
                     (long long)scratch_floats);
        return KN_ERR_OUT_OF_MEMORY;
    }
    return KN_OK;
}

}  // namespace kinema::cpu
