// temporal_attention_simd.h - the flash-style column kernel, written once over a SIMD traits type
// `S` and compiled per path (temporal_attention_avx512.cpp, _avx2.cpp) under `#pragma GCC target`.
//
// Keys are streamed in tiles of S::W frames. For each tile the keys are transposed into
// kt[d][j] (D x W, L1) so a row of scores s_i,j0..j0+W is D broadcast-FMAs (no horizontal sums).
// Rows go four at a time: the 4 rows x 2 partial sums give 8 independent FMA chains (the FMA latency
// times the two pipes) and share every kt load. Per row: running max m, running sum l and acc[D]
// (online softmax); a tile rescales acc by exp(m_old - m_new) once, then adds p_ij v_j over D with
// 2 vector chunks x 4 rows = 8 chains. Masks are a contiguous lane range per row (window and
// causal keep an interval of frames), the bias of a row is a contiguous slice of rel_bias.
// Memory per column: the tile (D x W), acc (T x D), m, l - never the T x T scores.
#pragma once

#include <cmath>
#include <limits>

#include "temporal_attention.h"

namespace kinema::cpu::attention_simd {

constexpr int kRows = 4;

inline int round_up(int x, int m) { return (x + m - 1) / m * m; }

template <class S>
void column(const AttentionColumn &c, float *scratch) {
    constexpr int W = S::W;
    using V = typename S::V;
    using M = typename S::M;
    const int T = c.frames, D = c.dim, rows_padded = round_up(T, kRows), dpad = round_up(D, W);
    const int chunks = dpad / W;
    const M tail = S::range(0, D - (chunks - 1) * W);
    float *kt = scratch;                              // [D][W]
    float *acc = kt + int64_t(D) * W;                 // [rows_padded][dpad]
    float *p = acc + int64_t(rows_padded) * dpad;     // [kRows][W]
    float *run_max = p + kRows * W;                   // [rows_padded]
    float *run_sum = run_max + rows_padded;           // [rows_padded]
    const float neg_inf = -std::numeric_limits<float>::infinity();
    for (int i = 0; i < rows_padded; ++i) {
        run_max[i] = neg_inf;
        run_sum[i] = 0.0f;
        for (int d = 0; d < dpad; d += W) S::store(acc + int64_t(i) * dpad + d, S::zero());
    }
    const V scale = S::set1(c.scale);

    for (int j0 = 0; j0 < T; j0 += W) {
        const int nj = T - j0 < W ? T - j0 : W;
        for (int d = 0; d < D; ++d) {
            float *row = kt + int64_t(d) * W;
            for (int j = 0; j < nj; ++j) row[j] = c.k[(j0 + j) * c.frame_stride + d];
            for (int j = nj; j < W; ++j) row[j] = 0.0f;
        }
        for (int i0 = 0; i0 < T; i0 += kRows) {
            // Lanes [a, b) of this tile that row i0 + r attends to; empty for padding rows.
            int a[kRows], b[kRows];
            bool any = false;
            for (int r = 0; r < kRows; ++r) {
                a[r] = b[r] = 0;
                if (i0 + r >= T) continue;
                int first, last;
                attended_frames(i0 + r, T, c.window, c.causal, &first, &last);
                a[r] = first - j0 > 0 ? first - j0 : 0;
                b[r] = last - j0 + 1 < nj ? last - j0 + 1 : nj;
                if (a[r] < b[r]) any = true;
                else a[r] = b[r] = 0;
            }
            if (!any) continue;
            const float *qrow[kRows];
            for (int r = 0; r < kRows; ++r) qrow[r] = c.q + int64_t(i0 + r < T ? i0 + r : T - 1) * c.frame_stride;

            // Scores: 4 rows x (even d, odd d) partial sums.
            V s0[kRows], s1[kRows];
            for (int r = 0; r < kRows; ++r) s0[r] = s1[r] = S::zero();
            int d = 0;
            for (; d + 2 <= D; d += 2) {
                const V k0 = S::load(kt + int64_t(d) * W), k1 = S::load(kt + int64_t(d + 1) * W);
                for (int r = 0; r < kRows; ++r) {
                    s0[r] = S::fma(S::set1(qrow[r][d]), k0, s0[r]);
                    s1[r] = S::fma(S::set1(qrow[r][d + 1]), k1, s1[r]);
                }
            }
            if (d < D) {
                const V k0 = S::load(kt + int64_t(d) * W);
                for (int r = 0; r < kRows; ++r) s0[r] = S::fma(S::set1(qrow[r][d]), k0, s0[r]);
            }

            float alpha[kRows];
            for (int r = 0; r < kRows; ++r) {
                const int i = i0 + r;
                float *pr = p + r * W;
                if (a[r] >= b[r]) {  // nothing to attend to in this tile: leave the row's state alone
                    S::store(pr, S::zero());
                    alpha[r] = 1.0f;
                    continue;
                }
                const M lanes = S::range(a[r], b[r]);
                V s = S::mul(S::add(s0[r], s1[r]), scale);
                if (c.bias != nullptr) s = S::add(s, S::load_masked(c.bias + (j0 - i + c.tmax - 1), lanes));
                s = S::keep(lanes, s, neg_inf);
                const float tile_max = S::hmax(s);
                const float m_new = run_max[i] > tile_max ? run_max[i] : tile_max;
                const V e = S::keep(lanes, S::exp(S::sub(s, S::set1(m_new))), 0.0f);
                alpha[r] = std::exp(run_max[i] - m_new);  // 0 on the first tile (m = -inf)
                run_sum[i] = run_sum[i] * alpha[r] + S::hsum(e);
                run_max[i] = m_new;
                S::store(pr, e);
            }

            // acc_r = alpha_r acc_r + sum_j p_rj v_j, two D-chunks x four rows at a time.
            int jlo = W, jhi = 0;
            for (int r = 0; r < kRows; ++r)
                if (a[r] < b[r]) {
                    jlo = a[r] < jlo ? a[r] : jlo;
                    jhi = b[r] > jhi ? b[r] : jhi;
                }
            for (int ch = 0; ch < chunks; ch += 2) {
                const bool two = ch + 1 < chunks;
                const M m0 = ch == chunks - 1 ? tail : S::all();
                const M m1 = ch + 1 == chunks - 1 ? tail : S::all();
                V x0[kRows], x1[kRows];
                for (int r = 0; r < kRows; ++r) {
                    const float *ar = acc + int64_t(i0 + r) * dpad + ch * W;
                    x0[r] = S::mul(S::load(ar), S::set1(alpha[r]));
                    x1[r] = two ? S::mul(S::load(ar + W), S::set1(alpha[r])) : S::zero();
                }
                for (int j = jlo; j < jhi; ++j) {
                    const float *vj = c.v + int64_t(j0 + j) * c.frame_stride + ch * W;
                    const V v0 = S::load_masked(vj, m0);
                    if (two) {
                        const V v1 = S::load_masked(vj + W, m1);
                        for (int r = 0; r < kRows; ++r) {
                            const V pj = S::set1(p[r * W + j]);
                            x0[r] = S::fma(pj, v0, x0[r]);
                            x1[r] = S::fma(pj, v1, x1[r]);
                        }
                    } else {
                        for (int r = 0; r < kRows; ++r) x0[r] = S::fma(S::set1(p[r * W + j]), v0, x0[r]);
                    }
                }
                for (int r = 0; r < kRows; ++r) {
                    float *ar = acc + int64_t(i0 + r) * dpad + ch * W;
                    S::store(ar, x0[r]);
                    if (two) S::store(ar + W, x1[r]);
                }
            }
        }
    }

    for (int i = 0; i < T; ++i) {
        const V inv = S::set1(1.0f / run_sum[i]);  // every row attends at least to itself: sum >= 1
        const float *ar = acc + int64_t(i) * dpad;
        float *yi = c.y + int64_t(i) * c.frame_stride;
        for (int ch = 0; ch < chunks; ++ch)
            S::store_masked(yi + ch * W, ch == chunks - 1 ? tail : S::all(), S::mul(S::load(ar + ch * W), inv));
    }
}

}  // namespace kinema::cpu::attention_simd
