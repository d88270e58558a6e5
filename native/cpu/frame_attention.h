// frame_attention.h - the cpu `attention` op (OPS.md): frame-aware softmax attention. The driver
// (frame_attention.cpp) cuts the work into query blocks of one (batch, frame, head); each SIMD path
// (frame_attention_simd.h) solves a block flash-style with O(tile) scratch.
#pragma once

#include <cstdint>

#include "cpu_ops.h"

namespace kinema::cpu {

constexpr int kFaQueryBlock = 64;  // query rows per task (held transposed: rows in SIMD lanes)
constexpr int kFaKeyTile = 64;     // keys per tile of scores [keys][rows] in L1

// One task: `rows` consecutive query tokens of one (b, t, head) against the keys of `nframes`
// frames (each `keys` tokens, `frame_stride` floats apart, frame indices in `frames`).
struct FaBlock {
    const float *q;  // first query row; rows are q_stride floats apart, as are the rows of y
    float *y;
    const float *k, *v;  // frame 0, token 0 of this (b, head)
    const int *frames;
    int nframes, rows, dim;
    int64_t keys, q_stride, kv_stride, frame_stride;
    float scale;
};

// Floats of per-thread scratch a block of `dim` needs.
int64_t fa_scratch_floats(int dim);

void fa_block_scalar(const FaBlock &b, float *scratch);
void fa_block_avx2(const FaBlock &b, float *scratch);
void fa_block_avx512(const FaBlock &b, float *scratch);

// The op on an explicit path (tests run every path the CPU supports).
int32_t attention(const kn_exec &e, const kn_attention_params &p, Isa isa);

}  // namespace kinema::cpu
