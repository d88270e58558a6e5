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

// Scratch one thread reuses across columns; floats it needs for `frames` x `dim`.
int64_t attention_scratch_floats(int frames, int dim);

void attention_column_scalar(const AttentionColumn &c, float *scratch);
void attention_column_avx2(const AttentionColumn &c, float *scratch);
void attention_column_avx512(const AttentionColumn &c, float *scratch);

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
