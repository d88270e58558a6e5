// flash_mma.cuh - one warp's flash-attention step on tensor cores, shared by the f16/bf16 paths of
// `attention` (frame_attention_mma.cu) and `temporal_attention` (temporal_attention_mma.cu).
//
// A warp owns 16 query rows. Q stays in registers as mma A fragments (D padded to DPAD, a multiple of
// 16, with zeros); per staged key tile of KEYS keys it computes S = Q K^T (KEYS/8 m16n8 tiles, f32),
// lets the caller scale, mask and bias S in f32, updates the online softmax (running max m and sum l
// per row) and accumulates O += P V with P rounded to the storage dtype (the A operand of the second
// mma comes straight from S's accumulator registers: the C layout of two adjacent n8 tiles is the A
// layout of one k16 step, FlashAttention-2's register reuse). Nothing of S or P touches memory.
//
// Staged tiles (shared memory, 32-bit words of two 16-bit values, low half first):
//   K  [KEYS][DPAD/2 + 4]  pairs along d: row `key` is the B operand column of S = Q K^T
//   Vt [DPAD][KEYS/2 + 4]  V transposed, pairs along keys: row `d` is the B column of O = P V
// Rows are padded by 4 words (stride = 4 mod 8 words): the 8 rows x 4 words a fragment load touches
// fall on 32 distinct banks.
//
// Thread (g = lane / 4, t = lane % 4) holds rows g and g + 8 (PTX fragment layouts, common.cuh):
// S tile n, element e: row g + 8 (e / 2), key n * 8 + 2t + (e % 2). m and l are kept per thread for
// those two rows; m is made equal across the 4 threads of a row by shuffles, l is summed at the end.
#pragma once

#include <math.h>

#include "mma_tile.cuh"

namespace kn_flash_mma {

using kn_mma_tile::mma;
using kn_mma_tile::to_bits;
using kn_mma_tile::to_float;

template <int DPAD>
struct KTile {
    static constexpr int kRowWords = DPAD / 2 + 4;
};
template <int KEYS>
struct VtTile {
    static constexpr int kRowWords = KEYS / 2 + 4;
};

// Rounded pair (lo, hi) -> one 32-bit register; also returns the rounded values (the P that V sees).
template <bool BF16>
__device__ __forceinline__ uint32_t pack_rounded(float &lo, float &hi) {
    const uint16_t a = to_bits<BF16>(lo), b = to_bits<BF16>(hi);
    lo = to_float<BF16>(a);
    hi = to_float<BF16>(b);
    return static_cast<uint32_t>(a) | (static_cast<uint32_t>(b) << 16);
}

template <bool BF16, int DPAD>
struct WarpState {
    uint32_t q[DPAD / 16][4];  // A fragments of the 16 x DPAD query rows
    float o[DPAD / 8][4];      // 16 x DPAD output accumulators (C layout)
    float m[2], l[2];          // running max and this thread's share of the running sum, rows g, g + 8
};

template <bool BF16, int DPAD>
__device__ __forceinline__ void reset(WarpState<BF16, DPAD> &w) {
#pragma unroll
    for (int n = 0; n < DPAD / 8; ++n) w.o[n][0] = w.o[n][1] = w.o[n][2] = w.o[n][3] = 0.f;
    w.m[0] = w.m[1] = -INFINITY;
    w.l[0] = w.l[1] = 0.f;
}

// S = Q K^T for one staged key tile (k_words: [KEYS][KTile<DPAD>::kRowWords]).
template <bool BF16, int DPAD, int KEYS>
__device__ __forceinline__ void scores(const WarpState<BF16, DPAD> &w, const uint32_t *k_words,
                                       float (&s)[KEYS / 8][4], int g, int t) {
    constexpr int kStride = KTile<DPAD>::kRowWords;
#pragma unroll
    for (int n = 0; n < KEYS / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < DPAD / 16; ++kk) {
#pragma unroll
        for (int n = 0; n < KEYS / 8; ++n) {
            const uint32_t *row = k_words + (n * 8 + g) * kStride + kk * 8;
            const uint32_t b[2] = {row[t], row[t + 4]};
            mma<BF16>(s[n], w.q[kk], b);
        }
    }
}

// Online softmax over the (already scaled, masked: -inf, biased) scores s of one key tile, then
// O += P V (vt_words: [DPAD][VtTile<KEYS>::kRowWords]).
template <bool BF16, int DPAD, int KEYS>
__device__ __forceinline__ void accumulate(WarpState<BF16, DPAD> &w, float (&s)[KEYS / 8][4],
                                           const uint32_t *vt_words, int g, int t) {
    constexpr int kStride = VtTile<KEYS>::kRowWords;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        float tile_max = -INFINITY;
#pragma unroll
        for (int n = 0; n < KEYS / 8; ++n) tile_max = fmaxf(tile_max, fmaxf(s[n][2 * r], s[n][2 * r + 1]));
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
        const float m_new = fmaxf(w.m[r], tile_max);
        // A row with every key so far masked keeps m = -inf; exponentiate against 0 then (p = 0).
        const float base = m_new == -INFINITY ? 0.f : m_new;
        const float alpha = expf(w.m[r] - base);  // 0 while m was -inf
        w.m[r] = m_new;
        w.l[r] *= alpha;
#pragma unroll
        for (int n = 0; n < DPAD / 8; ++n) {
            w.o[n][2 * r] *= alpha;
            w.o[n][2 * r + 1] *= alpha;
        }
#pragma unroll
        for (int n = 0; n < KEYS / 8; ++n) {
            s[n][2 * r] = expf(s[n][2 * r] - base);
            s[n][2 * r + 1] = expf(s[n][2 * r + 1] - base);
        }
    }
#pragma unroll
    for (int kk = 0; kk < KEYS / 16; ++kk) {
        uint32_t a[4];
        a[0] = pack_rounded<BF16>(s[2 * kk][0], s[2 * kk][1]);
        a[1] = pack_rounded<BF16>(s[2 * kk][2], s[2 * kk][3]);
        a[2] = pack_rounded<BF16>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
        a[3] = pack_rounded<BF16>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
        // l sums the rounded weights, the ones V is multiplied by: the output is then an exact
        // convex combination of the f16/bf16 P row, up to f32 rounding.
        w.l[0] += (s[2 * kk][0] + s[2 * kk][1]) + (s[2 * kk + 1][0] + s[2 * kk + 1][1]);
        w.l[1] += (s[2 * kk][2] + s[2 * kk][3]) + (s[2 * kk + 1][2] + s[2 * kk + 1][3]);
#pragma unroll
        for (int n = 0; n < DPAD / 8; ++n) {
            const uint32_t *row = vt_words + (n * 8 + g) * kStride + kk * 8;
            const uint32_t b[2] = {row[t], row[t + 4]};
            mma<BF16>(w.o[n], a, b);
        }
    }
}

// 1 / l of rows g and g + 8, l summed over the 4 threads of each row.
template <bool BF16, int DPAD>
__device__ __forceinline__ void inverse_sums(const WarpState<BF16, DPAD> &w, float (&inv)[2]) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        float l = w.l[r];
        l += __shfl_xor_sync(0xffffffffu, l, 1);
        l += __shfl_xor_sync(0xffffffffu, l, 2);
        inv[r] = 1.f / l;  // every stored row attends to at least one key: l >= 1 (rounded p of the max is 1)
    }
}

// Query row element (row, d) -> 16-bit bits, 0 outside the row count or D (padding of DPAD).
template <bool BF16, int DPAD, typename LoadBits>
__device__ __forceinline__ void load_queries(WarpState<BF16, DPAD> &w, int g, int t, LoadBits bits) {
#pragma unroll
    for (int kk = 0; kk < DPAD / 16; ++kk) {
        const int d0 = kk * 16 + 2 * t;
        w.q[kk][0] = bits(g, d0) | (bits(g, d0 + 1) << 16);
        w.q[kk][1] = bits(g + 8, d0) | (bits(g + 8, d0 + 1) << 16);
        w.q[kk][2] = bits(g, d0 + 8) | (bits(g, d0 + 9) << 16);
        w.q[kk][3] = bits(g + 8, d0 + 8) | (bits(g + 8, d0 + 9) << 16);
    }
}

// Stores O / l: store(row, d, value) is called for rows g, g + 8 and d = n * 8 + 2t (+1) < DPAD; the
// caller drops rows and d outside the tensor.
template <bool BF16, int DPAD, typename Store>
__device__ __forceinline__ void store_output(const WarpState<BF16, DPAD> &w, int g, int t, Store store) {
    float inv[2];
    inverse_sums(w, inv);
#pragma unroll
    for (int n = 0; n < DPAD / 8; ++n) {
        const int d = n * 8 + 2 * t;
        store(g, d, w.o[n][0] * inv[0]);
        store(g, d + 1, w.o[n][1] * inv[0]);
        store(g + 8, d, w.o[n][2] * inv[1]);
        store(g + 8, d + 1, w.o[n][3] * inv[1]);
    }
}

// The padded head dim of the tensor-core paths: D rounded up to one of the instantiated sizes, 0 when
// D is larger than the largest (160: SD's 1280 channels / 8 heads).
inline int padded_head_dim(int64_t dim) {
    const int sizes[] = {32, 48, 64, 80, 96, 128, 160};
    for (int s : sizes)
        if (dim <= s) return s;
    return 0;
}

// Calls f.template operator()<DPAD>() for the DPAD padded_head_dim(dim) picked (dim <= 160).
template <typename F>
int32_t with_padded_head_dim(int64_t dim, F &&f) {
    switch (padded_head_dim(dim)) {
        case 32: return f.template operator()<32>();
        case 48: return f.template operator()<48>();
        case 64: return f.template operator()<64>();
        case 80: return f.template operator()<80>();
        case 96: return f.template operator()<96>();
        case 128: return f.template operator()<128>();
        default: return f.template operator()<160>();
    }
}

// Stages keys [0, nj) of one tile: key_row(j) / value_row(j) point at key j's D values (16-bit
// storage); keys >= nj and d >= dim are zero (a zero V row keeps 0 * garbage out of O). `threads`
// threads starting at `tid` share the work; reads walk d fastest (coalesced along each key's row).
template <int DPAD, int KEYS, typename KeyRow, typename ValueRow>
__device__ __forceinline__ void stage_tile(uint32_t *k_words, uint32_t *vt_words, KeyRow key_row, ValueRow value_row,
                                           int nj, int dim, int tid, int threads) {
    for (int e = tid; e < KEYS * (DPAD / 2); e += threads) {
        const int j = e / (DPAD / 2), d = 2 * (e - j * (DPAD / 2));
        uint32_t word = 0;
        if (j < nj) {
            const uint16_t *kr = key_row(j);
            word = (d < dim ? kr[d] : 0u) | ((d + 1 < dim ? static_cast<uint32_t>(kr[d + 1]) : 0u) << 16);
        }
        k_words[j * KTile<DPAD>::kRowWords + d / 2] = word;
    }
    for (int e = tid; e < (KEYS / 2) * DPAD; e += threads) {
        const int pair = e / DPAD, d = e - pair * DPAD, j = 2 * pair;
        uint32_t word = 0;
        if (d < dim) {
            if (j < nj) word = value_row(j)[d];
            if (j + 1 < nj) word |= static_cast<uint32_t>(value_row(j + 1)[d]) << 16;
        }
        vt_words[d * VtTile<KEYS>::kRowWords + pair] = word;
    }
}

}  // namespace kn_flash_mma
