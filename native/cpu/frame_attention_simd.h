// frame_attention_simd.h - the block kernel of the cpu `attention` op, written once over a SIMD traits
// type `S` and compiled per path (frame_attention_avx512.cpp, _avx2.cpp) under `#pragma GCC target`.
//
// A block is up to 64 query rows of one (b, t, head), held transposed (q^T [D][64], acc^T [D][64]):
// query rows live in SIMD lanes. Keys stream in tiles of 64 tokens of one frame (a frame list walks
// same / first / sparse_causal / all / context by index arithmetic; K/V are read in place, never
// copied, transposed or concatenated). Per tile:
//  - scores S^T[j][rows] = sum_d k[j][d] * q^T[d][rows]: RV row vectors x 6 keys of accumulators, one
//    q^T load feeds 6 FMAs, one k broadcast (straight from the input) feeds RV;
//  - online softmax with rows in lanes: the tile max, exp, sum and rescale factor are vertical vector
//    ops over keys - no horizontal reductions, no scalar exp;
//  - acc^T[d][rows] = alpha * acc^T + sum_j v[j][d] * P^T[j][rows]: RV x 6 d accumulators, one P^T
//    load feeds 6 FMAs, one v broadcast (straight from the input) feeds RV. Any D works, no padding.
// Scratch: q^T and acc^T (D x 64), S^T (64 x 64), m, l, alpha: O(tile) whatever the frame count.
#pragma once

#include <cmath>
#include <limits>

#include "frame_attention.h"

namespace kinema::cpu::frame_attention_simd {

constexpr int kBlock = 6;  // keys (scores) or dims (P @ V) per register block

struct Layout {
    float *qt, *acc, *st, *run_max, *run_sum, *alpha;
    Layout(float *scratch, int dim) {
        qt = scratch;                                   // [dim][64]
        acc = qt + int64_t(dim) * kFaQueryBlock;        // [dim][64]
        st = acc + int64_t(dim) * kFaQueryBlock;        // [64 keys][64 rows]
        run_max = st + kFaKeyTile * kFaQueryBlock;      // [64]
        run_sum = run_max + kFaQueryBlock;              // [64]
        alpha = run_sum + kFaQueryBlock;                // [64]
    }
};

// S^T[j0 .. j0+KB)[v0*W .. (v0+RV)*W) for keys at k (rows kv_stride apart).
template <class S, int RV, int KB>
inline void scores(const Layout &L, const float *k, int64_t kv_stride, int D, int j0, int v0) {
    using V = typename S::V;
    constexpr int W = S::W;
    V s[KB][RV];
    for (int j = 0; j < KB; ++j)
        for (int r = 0; r < RV; ++r) s[j][r] = S::zero();
    const float *kr[KB];
    for (int j = 0; j < KB; ++j) kr[j] = k + int64_t(j0 + j) * kv_stride;
    const float *q = L.qt + v0 * W;
    for (int d = 0; d < D; ++d) {
        V qv[RV];
        for (int r = 0; r < RV; ++r) qv[r] = S::load(q + int64_t(d) * kFaQueryBlock + r * W);
        for (int j = 0; j < KB; ++j) {
            const V kb = S::set1(kr[j][d]);
            for (int r = 0; r < RV; ++r) s[j][r] = S::fma(kb, qv[r], s[j][r]);
        }
    }
    for (int j = 0; j < KB; ++j)
        for (int r = 0; r < RV; ++r) S::store(L.st + (j0 + j) * kFaQueryBlock + (v0 + r) * W, s[j][r]);
}

// acc^T[d0 .. d0+DB)[rows of v0 .. v0+RV) = alpha * acc^T + sum_j<nj v[j][d] P^T[j].
template <class S, int RV, int DB>
inline void pv(const Layout &L, const float *v, int64_t kv_stride, int nj, int d0, int v0) {
    using V = typename S::V;
    constexpr int W = S::W;
    V x[DB][RV];
    V a[RV];
    for (int r = 0; r < RV; ++r) a[r] = S::load(L.alpha + (v0 + r) * W);
    for (int d = 0; d < DB; ++d)
        for (int r = 0; r < RV; ++r) x[d][r] = S::mul(S::load(L.acc + int64_t(d0 + d) * kFaQueryBlock + (v0 + r) * W), a[r]);
    for (int j = 0; j < nj; ++j) {
        V p[RV];
        for (int r = 0; r < RV; ++r) p[r] = S::load(L.st + j * kFaQueryBlock + (v0 + r) * W);
        const float *vj = v + int64_t(j) * kv_stride + d0;
        for (int d = 0; d < DB; ++d) {
            const V vb = S::set1(vj[d]);
            for (int r = 0; r < RV; ++r) x[d][r] = S::fma(vb, p[r], x[d][r]);
        }
    }
    for (int d = 0; d < DB; ++d)
        for (int r = 0; r < RV; ++r) S::store(L.acc + int64_t(d0 + d) * kFaQueryBlock + (v0 + r) * W, x[d][r]);
}

template <class S, int RV>
inline void scores_rows(const Layout &L, const float *k, int64_t kv_stride, int D, int nj, int v0) {
    int j = 0;
    for (; j + kBlock <= nj; j += kBlock) scores<S, RV, kBlock>(L, k, kv_stride, D, j, v0);
    switch (nj - j) {
        case 5: scores<S, RV, 5>(L, k, kv_stride, D, j, v0); break;
        case 4: scores<S, RV, 4>(L, k, kv_stride, D, j, v0); break;
        case 3: scores<S, RV, 3>(L, k, kv_stride, D, j, v0); break;
        case 2: scores<S, RV, 2>(L, k, kv_stride, D, j, v0); break;
        case 1: scores<S, RV, 1>(L, k, kv_stride, D, j, v0); break;
        default: break;
    }
}

template <class S, int RV>
inline void pv_rows(const Layout &L, const float *v, int64_t kv_stride, int D, int nj, int v0) {
    int d = 0;
    for (; d + kBlock <= D; d += kBlock) pv<S, RV, kBlock>(L, v, kv_stride, nj, d, v0);
    switch (D - d) {
        case 5: pv<S, RV, 5>(L, v, kv_stride, nj, d, v0); break;
        case 4: pv<S, RV, 4>(L, v, kv_stride, nj, d, v0); break;
        case 3: pv<S, RV, 3>(L, v, kv_stride, nj, d, v0); break;
        case 2: pv<S, RV, 2>(L, v, kv_stride, nj, d, v0); break;
        case 1: pv<S, RV, 1>(L, v, kv_stride, nj, d, v0); break;
        default: break;
    }
}

template <class S>
void block(const FaBlock &b, float *scratch) {
    using V = typename S::V;
    constexpr int W = S::W, RVMAX = S::RV;
    static_assert(kFaQueryBlock % W == 0, "rows split into vectors");
    const int D = b.dim;
    const Layout L(scratch, D);
    const int nv = (b.rows + W - 1) / W;  // row vectors in use
    const float neg_inf = -std::numeric_limits<float>::infinity();

    // q^T scaled (rows past the block are zero), acc^T zero, running state reset.
    for (int r = 0; r < nv * W; ++r) {
        const float *qr = b.q + int64_t(r) * b.q_stride;
        for (int d = 0; d < D; ++d) L.qt[int64_t(d) * kFaQueryBlock + r] = r < b.rows ? qr[d] * b.scale : 0.0f;
    }
    for (int d = 0; d < D; ++d)
        for (int r = 0; r < nv * W; r += W) S::store(L.acc + int64_t(d) * kFaQueryBlock + r, S::zero());
    for (int r = 0; r < nv * W; r += W) {
        S::store(L.run_max + r, S::set1(neg_inf));
        S::store(L.run_sum + r, S::zero());
    }

    for (int f = 0; f < b.nframes; ++f) {
        const int64_t frame_off = int64_t(b.frames[f]) * b.frame_stride;
        for (int64_t j0 = 0; j0 < b.keys; j0 += kFaKeyTile) {
            const int nj = int(b.keys - j0 < kFaKeyTile ? b.keys - j0 : kFaKeyTile);
            const float *kt = b.k + frame_off + j0 * b.kv_stride;
            const float *vt = b.v + frame_off + j0 * b.kv_stride;
            for (int v0 = 0; v0 < nv; v0 += RVMAX) {
                const int rv = nv - v0 < RVMAX ? nv - v0 : RVMAX;
                switch (rv) {
                    case 4: if constexpr (RVMAX >= 4) scores_rows<S, 4>(L, kt, b.kv_stride, D, nj, v0); break;
                    case 3: if constexpr (RVMAX >= 3) scores_rows<S, 3>(L, kt, b.kv_stride, D, nj, v0); break;
                    case 2: scores_rows<S, 2>(L, kt, b.kv_stride, D, nj, v0); break;
                    default: scores_rows<S, 1>(L, kt, b.kv_stride, D, nj, v0); break;
                }
            }
            // Online softmax, rows in lanes: m_new = max(m, max_j s_j), p_j = exp(s_j - m_new),
            // alpha = exp(m - m_new) (0 on the first tile), l = alpha l + sum_j p_j.
            for (int r = 0; r < nv * W; r += W) {
                V mx = S::load(L.st + r);
                for (int j = 1; j < nj; ++j) mx = S::max(mx, S::load(L.st + j * kFaQueryBlock + r));
                const V m_old = S::load(L.run_max + r), m_new = S::max(m_old, mx);
                V sum0 = S::zero(), sum1 = S::zero();
                int j = 0;
                for (; j + 2 <= nj; j += 2) {
                    float *s0 = L.st + j * kFaQueryBlock + r, *s1 = s0 + kFaQueryBlock;
                    const V e0 = S::exp(S::sub(S::load(s0), m_new)), e1 = S::exp(S::sub(S::load(s1), m_new));
                    S::store(s0, e0);
                    S::store(s1, e1);
                    sum0 = S::add(sum0, e0);
                    sum1 = S::add(sum1, e1);
                }
                if (j < nj) {
                    float *s0 = L.st + j * kFaQueryBlock + r;
                    const V e0 = S::exp(S::sub(S::load(s0), m_new));
                    S::store(s0, e0);
                    sum0 = S::add(sum0, e0);
                }
                const V a = S::exp(S::sub(m_old, m_new));
                S::store(L.alpha + r, a);
                S::store(L.run_sum + r, S::fma(S::load(L.run_sum + r), a, S::add(sum0, sum1)));
                S::store(L.run_max + r, m_new);
            }
            for (int v0 = 0; v0 < nv; v0 += RVMAX) {
                const int rv = nv - v0 < RVMAX ? nv - v0 : RVMAX;
                switch (rv) {
                    case 4: if constexpr (RVMAX >= 4) pv_rows<S, 4>(L, vt, b.kv_stride, D, nj, v0); break;
                    case 3: if constexpr (RVMAX >= 3) pv_rows<S, 3>(L, vt, b.kv_stride, D, nj, v0); break;
                    case 2: pv_rows<S, 2>(L, vt, b.kv_stride, D, nj, v0); break;
                    default: pv_rows<S, 1>(L, vt, b.kv_stride, D, nj, v0); break;
                }
            }
        }
    }

    // y = acc / l, transposed back to rows.
    for (int r = 0; r < nv * W; r += W) S::store(L.alpha + r, S::div(S::set1(1.0f), S::load(L.run_sum + r)));
    for (int r = 0; r < b.rows; ++r) {
        float *yr = b.y + int64_t(r) * b.q_stride;
        const float inv = L.alpha[r];
        for (int d = 0; d < D; ++d) yr[d] = L.acc[int64_t(d) * kFaQueryBlock + r] * inv;
    }
}

}  // namespace kinema::cpu::frame_attention_simd
