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


// ---------------------------------------------------------------------------------------------
// The lane kernel: S::W consecutive columns at once, one column per SIMD lane.
//
// Columns are numbered (position, head) with head fastest inside a batch, so column c's row of
// frame t starts at base + t * frame_stride + c * D: the W columns of a group are, per frame, one
// contiguous run of W * D floats. Loading it as W rows of D and transposing W x W blocks in
// registers gives qT[t][d][lane] and kT[t][d][lane] (q pre-scaled). Then
//  - scores: s_ij[lane] = sum_d qT[i][d] * kT[j][d] are plain vertical FMAs, blocked
//    S::QK_ROWS rows x S::QK_COLS key frames in registers (every qT/kT load feeds several FMAs);
//  - softmax over j is vertical too (max, exp, sum per lane): no horizontal reductions, no
//    running-max rescaling, the masks are loop bounds shared by all lanes, rel_bias a per-lane vector
//    (lanes may belong to different heads);
//  - y_i = sum_j p_ij v_j runs per column with d in the lanes, v and y in place (no transposes):
//    S::PV_ROWS rows x S::PV_CHUNKS vectors of D in registers, p_ij broadcast from memory.
// Rows go in blocks of kBlockRows; the score/probability scratch is kBlockRows x T x W.
// Scratch: qT and kT (T x D x W each, 40 KB each at T = 16, D = 40, W = 16), p, 1/sum, the bias
// vectors; the driver uses this kernel while T * D <= kAttentionLaneMaxTD, the column kernel beyond.

constexpr int kBlockRows = 8;

template <class S>
int64_t lane_scratch_floats(int T, int D) {
    const int64_t W = S::W, rows = round_up(T, kBlockRows);
    return (rows + T) * D * W + int64_t(kBlockRows) * T * W + kBlockRows * W + (2 * int64_t(T) - 1) * W;
}

// Walks the cache lines of the next group (q, k, v rows of every frame, then y for writing) a few
// at a time, so the prefetches spread over this group's work instead of flooding the miss queue.
struct NextGroupPrefetch {
    const float *base[4];
    int64_t frame_stride, row_floats;
    int frames, lines_per_row, total, done = 0;

    explicit NextGroupPrefetch(const AttentionGroup &g) {
        base[0] = g.q_next;
        base[1] = g.k_next;
        base[2] = g.v_next;
        base[3] = g.y_next;
        frame_stride = g.frame_stride;
        row_floats = int64_t(g.next_lanes) * g.dim;
        frames = g.frames;
        lines_per_row = int((row_floats + 15) / 16) + 1;  // + 1: the row need not start on a line
        total = g.q_next != nullptr ? 4 * frames * lines_per_row : 0;
    }
    // Issue the next of `parts` equal shares of the lines (the last share may be short).
    void step(int parts) {
        const int until = done + (total + parts - 1) / parts;
        for (; done < until && done < total; ++done) {
            const int line = done % lines_per_row, row = done / lines_per_row;
            const int tensor = row / frames, t = row % frames;
            const float *p = base[tensor] + t * frame_stride;
            const int64_t at = int64_t(line) * 16 < row_floats ? int64_t(line) * 16 : row_floats - 1;
            if (tensor == 3) __builtin_prefetch(p + at, 1, 2);
            else __builtin_prefetch(p + at, 0, 2);
        }
    }
};

// W rows of up to W floats each (row r at src + r * row_stride, n valid floats per row, rows >= nrows
// read as zero) -> out[d * W + lane], d < n, multiplied by mul.
template <class S>
inline void transpose_in(const float *src, int64_t row_stride, int nrows, int n, float mul, float *out) {
    constexpr int W = S::W;
    using V = typename S::V;
    V r[W];
    const auto m = S::range(0, n);
    for (int i = 0; i < W; ++i) r[i] = i < nrows ? S::load_masked(src + i * row_stride, m) : S::zero();
    S::transpose(r);
    const V vm = S::set1(mul);
    for (int d = 0; d < n; ++d) S::store(out + int64_t(d) * W, S::mul(r[d], vm));
}

// Scores of QK_ROWS rows (qT rows at q, D*W apart) x NJ key frames (kT rows at k, D*W apart) into
// s[r * s_row + jj * W].
template <class S, int NJ>
inline void qk_tile(const float *q, const float *k, int D, float *s, int64_t s_row) {
    constexpr int W = S::W, R = S::QK_ROWS;
    using V = typename S::V;
    const int64_t step = int64_t(D) * W;
    V acc[R][NJ];
    for (int r = 0; r < R; ++r)
        for (int j = 0; j < NJ; ++j) acc[r][j] = S::zero();
    int d = 0;  // D >= 1; a do-while keeps acc in registers (GCC 12 spills it around a for loop)
    do {
        V kv[NJ];
        for (int j = 0; j < NJ; ++j) kv[j] = S::load(k + j * step + int64_t(d) * W);
        for (int r = 0; r < R; ++r) {
            const V qv = S::load(q + r * step + int64_t(d) * W);
            for (int j = 0; j < NJ; ++j) acc[r][j] = S::fma(qv, kv[j], acc[r][j]);
        }
    } while (++d < D);
    for (int r = 0; r < R; ++r)
        for (int j = 0; j < NJ; ++j) S::store(s + r * s_row + j * W, acc[r][j]);
}

template <class S, int NJ = S::QK_COLS>
inline void qk_tile_n(int nj, const float *q, const float *k, int D, float *s, int64_t s_row) {
    if constexpr (NJ > 1) {
        if (nj < NJ) return qk_tile_n<S, NJ - 1>(nj, q, k, D, s, s_row);
    }
    qk_tile<S, NJ>(q, k, D, s, s_row);
}

// y rows of PV_ROWS consecutive frames of one column, NC vectors of D from chunk ch0:
// acc_r = sum_{j in [ja, jb]} p[r][j] v_j, then y = acc * inv[r]; rows >= nr are not stored.
template <class S, int NC>
inline void pv_tile(const float *p, int64_t p_row, const float *inv, const float *v, float *y,
                    int64_t frame_stride, int ja, int jb, int nr, int chunks, int ch0,
                    typename S::M tail) {
    constexpr int W = S::W, R = S::PV_ROWS;
    using V = typename S::V;
    using M = typename S::M;
    // Only the last chunk of D can be partial: every other vector is loaded and stored whole.
    const M m_last = ch0 + NC == chunks ? tail : S::all();
    V acc[R][NC];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < NC; ++c) acc[r][c] = S::zero();
    int j = ja;  // ja <= jb (every row attends at least to itself); do-while as in qk_tile
    do {
        const float *vj = v + int64_t(j) * frame_stride + ch0 * W;
        V vv[NC];
        for (int c = 0; c < NC - 1; ++c) vv[c] = S::load(vj + c * W);
        vv[NC - 1] = S::load_masked(vj + (NC - 1) * W, m_last);
        for (int r = 0; r < R; ++r) {
            const V pj = S::set1(p[r * p_row + int64_t(j) * W]);
            for (int c = 0; c < NC; ++c) acc[r][c] = S::fma(pj, vv[c], acc[r][c]);
        }
    } while (++j <= jb);
    // Rows >= nr store nothing (empty masks): a loop bound on nr would keep acc in memory.
    for (int r = 0; r < R; ++r) {
        const V s = S::set1(inv[r * W]);
        float *yr = y + int64_t(r) * frame_stride + ch0 * W;
        for (int c = 0; c < NC; ++c)
            S::store_masked(yr + c * W, r >= nr ? S::range(0, 0) : c == NC - 1 ? m_last : S::all(),
                            S::mul(acc[r][c], s));
    }
}

template <class S, int NC = S::PV_CHUNKS>
inline void pv_tile_n(int nc, const float *p, int64_t p_row, const float *inv, const float *v, float *y,
                      int64_t frame_stride, int ja, int jb, int nr, int chunks, int ch0, typename S::M tail) {
    if constexpr (NC > 1) {
        if (nc < NC) return pv_tile_n<S, NC - 1>(nc, p, p_row, inv, v, y, frame_stride, ja, jb, nr, chunks, ch0, tail);
    }
    pv_tile<S, NC>(p, p_row, inv, v, y, frame_stride, ja, jb, nr, chunks, ch0, tail);
}

// One group: columns first_column .. first_column + lanes - 1 of one batch; q/k/v/y point at the
// first column's frame-0 row. bias is the whole rel_bias ([heads][2*Tmax-1]) or NULL.
template <class S>
void lanes(const AttentionGroup &g, float *scratch) {
    constexpr int W = S::W;
    using V = typename S::V;
    static_assert(kBlockRows % S::QK_ROWS == 0 && kBlockRows % S::PV_ROWS == 0, "row blocking");
    const int T = g.frames, D = g.dim, rows = round_up(T, kBlockRows), chunks = (D + W - 1) / W;
    const int64_t FS = g.frame_stride, td = int64_t(D) * W;
    float *qt = scratch;                           // [rows][D][W], rows >= T zero
    float *kt = qt + rows * td;                    // [T][D][W]
    float *p = kt + T * td;                        // [kBlockRows][T][W]
    float *inv = p + int64_t(kBlockRows) * T * W;  // [kBlockRows][W]
    float *bias = inv + kBlockRows * W;            // [2T-1][W]: bias of j - i at (j - i + T - 1)

    // The rows are strided by frame (4 x T streams at once, too many for the hardware prefetchers):
    // the next group's lines are prefetched towards L2 while this one computes, a share per frame
    // transposed and per column of each row block's p v.
    NextGroupPrefetch next(g);
    const int shares = T + g.lanes * ((T + kBlockRows - 1) / kBlockRows);
    for (int t = 0; t < T; ++t) {
        next.step(shares);
        for (int ch = 0; ch < chunks; ++ch) {
            const int n = D - ch * W < W ? D - ch * W : W;
            const int64_t src = t * FS + ch * W;
            transpose_in<S>(g.q + src, D, g.lanes, n, g.scale, qt + t * td + int64_t(ch) * W * W);
            transpose_in<S>(g.k + src, D, g.lanes, n, 1.0f, kt + t * td + int64_t(ch) * W * W);
        }
    }
    for (int64_t x = int64_t(T) * td; x < rows * td; x += W) S::store(qt + x, S::zero());
    if (g.bias != nullptr)
        for (int o = 0; o < 2 * T - 1; ++o)
            for (int l = 0; l < W; ++l) {
                const int head = (g.first_column + l) % g.heads;
                bias[o * W + l] = g.bias[int64_t(head) * (2 * g.tmax - 1) + o - (T - 1) + g.tmax - 1];
            }

    const V neg_inf = S::set1(-std::numeric_limits<float>::infinity());
    for (int i0 = 0; i0 < T; i0 += kBlockRows) {
        const int nr = T - i0 < kBlockRows ? T - i0 : kBlockRows;
        int ja = T, jb = -1;  // frames any row of the block attends to
        for (int r = 0; r < nr; ++r) {
            int first, last;
            attended_frames(i0 + r, T, g.window, g.causal, &first, &last);
            ja = first < ja ? first : ja;
            jb = last > jb ? last : jb;
        }
        // Scores of the block's rows for frames [ja, jb], into p.
        for (int r0 = 0; r0 < nr; r0 += S::QK_ROWS)
            for (int j0 = ja; j0 <= jb; j0 += S::QK_COLS) {
                const int nj = jb + 1 - j0 < S::QK_COLS ? jb + 1 - j0 : S::QK_COLS;
                qk_tile_n<S>(nj, qt + (i0 + r0) * td, kt + j0 * td, D, p + (int64_t(r0) * T + j0) * W,
                             int64_t(T) * W);
            }
        // Softmax along j in every lane; p_ij = 0 outside row i's frames, 1/sum kept apart.
        for (int r = 0; r < kBlockRows; ++r) {
            float *pr = p + int64_t(r) * T * W;
            if (r >= nr) {
                for (int j = ja; j <= jb; ++j) S::store(pr + j * W, S::zero());
                S::store(inv + r * W, S::zero());
                continue;
            }
            const int i = i0 + r;
            int first, last;
            attended_frames(i, T, g.window, g.causal, &first, &last);
            V mx = neg_inf;
            for (int j = first; j <= last; ++j) {
                V s = S::load(pr + j * W);
                if (g.bias != nullptr) s = S::add(s, S::load(bias + (j - i + T - 1) * W));
                S::store(pr + j * W, s);
                mx = S::max(mx, s);
            }
            V sum = S::zero();
            for (int j = first; j <= last; ++j) {
                const V e = S::exp(S::sub(S::load(pr + j * W), mx));
                S::store(pr + j * W, e);
                sum = S::add(sum, e);
            }
            for (int j = ja; j < first; ++j) S::store(pr + j * W, S::zero());
            for (int j = last + 1; j <= jb; ++j) S::store(pr + j * W, S::zero());
            S::store(inv + r * W, S::div(S::set1(1.0f), sum));  // sum >= 1: the max term is e^0
        }
        // y rows of the block, column by column with D in the lanes.
        const auto tail = S::range(0, D - (chunks - 1) * W);
        for (int l = 0; l < g.lanes; ++l) {
            next.step(shares);
            const float *v = g.v + int64_t(l) * D;
            float *y = g.y + int64_t(l) * D + i0 * FS;
            for (int r0 = 0; r0 < nr; r0 += S::PV_ROWS)
                for (int ch0 = 0; ch0 < chunks; ch0 += S::PV_CHUNKS) {
                    const int nc = chunks - ch0 < S::PV_CHUNKS ? chunks - ch0 : S::PV_CHUNKS;
                    pv_tile_n<S>(nc, p + int64_t(r0) * T * W + l, int64_t(T) * W, inv + r0 * W + l, v,
                                 y + r0 * FS, FS, ja, jb, nr - r0, chunks, ch0, tail);
                }
        }
    }
}

}  // namespace kinema::cpu::attention_simd
