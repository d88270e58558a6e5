// temporal_attention.h - what the cpu temporal_attention driver hands each SIMD path: one (batch,
// position, head) problem at a time, with per-thread scratch the driver allocates once per call.
#pragma once

#include <cstdint>

namespace kinema::cpu {

// One attention problem along time: frame t of q/k/v/y starts at base + t * frame_stride.
struct AttentionColumn {
    const float *q, *k, *v;
    float *y;
    const float *bias;  // rel_bias row of this head ([2*Tmax-1]) or NULL
    int64_t frame_stride;
    int frames, dim, window, causal, tmax;
    float scale;
};

// Up to S::W consecutive columns of one batch (head fastest), one per SIMD lane: frame t of column
// first_column + l starts at q + t * frame_stride + l * dim (likewise k, v, y).
struct AttentionGroup {
    const float *q, *k, *v;
    float *y;
    const float *bias;  // the whole rel_bias ([heads][2*Tmax-1]) or NULL
    // The group this thread solves next (NULL if none): its rows are prefetched meanwhile.
    const float *q_next, *k_next, *v_next;
    float *y_next;
    int64_t frame_stride, first_column;
    int lanes, next_lanes, heads, frames, dim, window, causal, tmax;
    float scale;
};

// Scratch one thread reuses across columns; floats it needs for `frames` x `dim`.
int64_t attention_scratch_floats(int frames, int dim);

void attention_column_scalar(const AttentionColumn &c, float *scratch);
void attention_column_avx2(const AttentionColumn &c, float *scratch);
void attention_column_avx512(const AttentionColumn &c, float *scratch);

// The lane kernels run while frames * dim <= kAttentionLaneMaxTD (their qT and kT scratch, 2 x T x D x
// lanes floats, then stays within 512 KB: L2), the column kernels beyond. Lanes per group is
// attention_group_lanes_*; scratch in floats per thread is attention_group_scratch_floats_*.
constexpr int kAttentionLaneMaxTD = 4096;
int64_t attention_group_scratch_floats_avx2(int frames, int dim);
int64_t attention_group_scratch_floats_avx512(int frames, int dim);
constexpr int attention_group_lanes_avx2 = 8, attention_group_lanes_avx512 = 16;
void attention_group_avx2(const AttentionGroup &g, float *scratch);
void attention_group_avx512(const AttentionGroup &g, float *scratch);

// Frames i may attend to are the contiguous range [first, last] (OPS.md window and causal masks).
inline void attended_frames(int i, int frames, int window, int causal, int *first, int *last) {
    int lo = 0, hi = frames - 1;
    if (window > 0) {
        lo = i - window > 0 ? i - window : 0;
        hi = i + window < hi ? i + window : hi;
    }
    if (causal && i < hi) hi = i;
    *first = lo;
    *last = hi;
}

}  // namespace kinema::cpu
