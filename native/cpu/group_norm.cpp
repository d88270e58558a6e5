// group_norm.cpp - GroupNorm over channels-last video (OPS.md group_norm), optional per frame and SiLU.
//
// Channels-last puts a group's C/groups values side by side at every position, so the statistics are
// gathered per channel with SIMD across C (contiguous) and folded into groups afterwards:
//   pass 1 (stats): every (domain, chunk of positions) task sums d = x - K_c and d^2 per channel, where
//     K_c is the channel's value at the domain's first position. The shift keeps large-mean data
//     (mean 1000, std 1) from cancelling; float sums run over 32 positions, then go into double.
//   fold (double): per channel mean and M2, then Chan's merge of the channels of each group.
//   pass 2 (affine): y = (x - mean_g) * (rstd_g * gamma_c) + beta_c [, SiLU], SIMD across C.
// A domain is one batch item (T*H*W positions), or one frame when per_frame (H*W positions).
// Both passes are OpenMP over (domain, chunk of positions); pass 1 finishes before pass 2 writes,
// so y may be x itself. The op streams x twice and y once: memory bound (~12 B per element).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "norm_ops.h"
#include "parallel.h"
#include "norm_simd.h"
#include "thread_scratch.h"

namespace kinema::cpu {
namespace {

using namespace norm;

constexpr int64_t kSubRows = 32;  // positions summed in float before flushing into double

// s1[c] += sum_r (x[r,c] - k[c]); s2[c] += sum_r (x[r,c] - k[c])^2 over `rows` positions.
void accumulate_scalar(const float *x, int64_t rows, int64_t C, const float *k, float *s1, float *s2) {
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < C; ++c) {
            const float d = x[r * C + c] - k[c];
            s1[c] += d;
            s2[c] += d * d;
        }
}

KN_AVX512 void accumulate_avx512(const float *x, int64_t rows, int64_t C, const float *k, float *s1, float *s2) {
    for (int64_t c = 0; c < C; c += 16) {
        const __mmask16 m = C - c >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (C - c)) - 1u);
        const __m512 kc = _mm512_maskz_loadu_ps(m, k + c);
        __m512 a1 = _mm512_maskz_loadu_ps(m, s1 + c), a2 = _mm512_maskz_loadu_ps(m, s2 + c);
        for (int64_t r = 0; r < rows; ++r) {
            const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + r * C + c), kc);
            a1 = _mm512_add_ps(a1, d);
            a2 = _mm512_fmadd_ps(d, d, a2);
        }
        _mm512_mask_storeu_ps(s1 + c, m, a1);
        _mm512_mask_storeu_ps(s2 + c, m, a2);
    }
}

KN_AVX2 void accumulate_avx2(const float *x, int64_t rows, int64_t C, const float *k, float *s1, float *s2) {
    int64_t c = 0;
    for (; c + 8 <= C; c += 8) {
        const __m256 kc = _mm256_loadu_ps(k + c);
        __m256 a1 = _mm256_loadu_ps(s1 + c), a2 = _mm256_loadu_ps(s2 + c);
        for (int64_t r = 0; r < rows; ++r) {
            const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + r * C + c), kc);
            a1 = _mm256_add_ps(a1, d);
            a2 = _mm256_fmadd_ps(d, d, a2);
        }
        _mm256_storeu_ps(s1 + c, a1);
        _mm256_storeu_ps(s2 + c, a2);
    }
    for (; c < C; ++c)
        for (int64_t r = 0; r < rows; ++r) {
            const float d = x[r * C + c] - k[c];
            s1[c] += d;
            s2[c] += d * d;
        }
}

// y[r,c] = (x[r,c] - mean[c]) * a[c] + b[c], then SiLU when `silu`.
void affine_scalar(const float *x, float *y, int64_t rows, int64_t C, const float *mean, const float *a,
                   const float *b, bool silu) {
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < C; ++c) {
            const float v = (x[r * C + c] - mean[c]) * a[c] + b[c];
            y[r * C + c] = silu ? silu_scalar(v) : v;
        }
}

template <bool SILU>
KN_AVX512 void affine_avx512(const float *x, float *y, int64_t rows, int64_t C, const float *mean, const float *a,
                             const float *b) {
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < C; c += 16) {
            const __mmask16 m = C - c >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (C - c)) - 1u);
            const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + r * C + c), _mm512_maskz_loadu_ps(m, mean + c));
            __m512 v = _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(m, a + c), _mm512_maskz_loadu_ps(m, b + c));
            if (SILU) v = silu_avx512(v);
            _mm512_mask_storeu_ps(y + r * C + c, m, v);
        }
}

template <bool SILU>
KN_AVX2 void affine_avx2(const float *x, float *y, int64_t rows, int64_t C, const float *mean, const float *a,
                         const float *b) {
    for (int64_t r = 0; r < rows; ++r) {
        int64_t c = 0;
        for (; c + 8 <= C; c += 8) {
            const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + r * C + c), _mm256_loadu_ps(mean + c));
            __m256 v = _mm256_fmadd_ps(d, _mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c));
            if (SILU) v = silu_avx2(v);
            _mm256_storeu_ps(y + r * C + c, v);
        }
        for (; c < C; ++c) {
            const float v = (x[r * C + c] - mean[c]) * a[c] + b[c];
            y[r * C + c] = SILU ? silu_scalar(v) : v;
        }
    }
}

void accumulate(Isa isa, const float *x, int64_t rows, int64_t C, const float *k, float *s1, float *s2) {
    switch (isa) {
        case Isa::avx512: accumulate_avx512(x, rows, C, k, s1, s2); return;
        case Isa::avx2: accumulate_avx2(x, rows, C, k, s1, s2); return;
        case Isa::scalar: break;
    }
    accumulate_scalar(x, rows, C, k, s1, s2);
}

void affine(Isa isa, const float *x, float *y, int64_t rows, int64_t C, const float *mean, const float *a,
            const float *b, bool silu) {
    switch (isa) {
        case Isa::avx512:
            silu ? affine_avx512<true>(x, y, rows, C, mean, a, b) : affine_avx512<false>(x, y, rows, C, mean, a, b);
            return;
        case Isa::avx2:
            silu ? affine_avx2<true>(x, y, rows, C, mean, a, b) : affine_avx2<false>(x, y, rows, C, mean, a, b);
            return;
        case Isa::scalar: break;
    }
    affine_scalar(x, y, rows, C, mean, a, b, silu);
}

}  // namespace

int32_t group_norm(const kn_exec &e, const kn_group_norm_params &p, Isa isa) {
    if (p.x.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_group_norm: argument 'x': dtype %d is not supported by the cpu backend, expected 0 (f32)",
                     p.x.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    const int64_t B = p.x.shape[0], T = p.x.shape[1], HW = p.x.shape[2] * p.x.shape[3], C = p.x.shape[4];
    const int64_t domains = p.per_frame ? B * T : B, positions = p.per_frame ? HW : T * HW;
    if (domains * positions * C == 0) return KN_OK;
    const int64_t groups = p.groups, per_group = C / groups;
    const float *x = static_cast<const float *>(p.x.data);
    float *y = static_cast<float *>(p.y.data);
    const float *gamma = static_cast<const float *>(p.gamma.data), *beta = static_cast<const float *>(p.beta.data);

    // Enough chunks for every thread (8 per thread balances uneven domains), each >= kSubRows positions.
    const int threads = std::max(1, e.num_threads);
    const int64_t want_chunks = std::max<int64_t>(1, (8 * int64_t(threads) + domains - 1) / domains);
    const int64_t chunk_rows =
        std::max(kSubRows, (positions + want_chunks - 1) / want_chunks + kSubRows - 1) / kSubRows * kSubRows;
    const int64_t chunks = (positions + chunk_rows - 1) / chunk_rows, tasks = domains * chunks;
    const bool parallel = threads > 1 && domains * positions * C >= 32768;  // small calls stay on one thread

    // Scratch reused across calls (thread_scratch.h): partial sums per task, then the per-channel tables.
    double *sums = thread_scratch_of<double>(ScratchSlot::norm_sums, tasks * 2 * C);
    auto *tables = static_cast<char *>(thread_scratch(ScratchSlot::norm_tables,
                                                      size_t(2 * C) * sizeof(double) + size_t(3 * domains * C) * sizeof(float)));
    if (sums == nullptr || tables == nullptr) {
        kn_set_error("kn_group_norm: out of host memory for %lld doubles of partial sums", (long long)(tasks * 2 * C));
        return KN_ERR_OUT_OF_MEMORY;
    }
    std::fill(sums, sums + tasks * 2 * C, 0.0);
    bool out_of_memory = false;
    parallel_region(parallel ? threads : 1, [&] {
        float *s1 = thread_scratch_of<float>(ScratchSlot::norm_rows, 2 * C), *s2 = s1 == nullptr ? nullptr : s1 + C;
        if (s1 == nullptr) {
#pragma omp atomic write
            out_of_memory = true;
        }
#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; ++task) {
            if (s1 == nullptr) continue;
            const int64_t d = task / chunks, begin = (task % chunks) * chunk_rows;
            const int64_t end = std::min(positions, begin + chunk_rows);
            const float *base = x + d * positions * C, *k = base;  // shift: the domain's first position
            double *t1 = &sums[size_t(task * 2 * C)], *t2 = t1 + C;
            for (int64_t r = begin; r < end; r += kSubRows) {
                std::fill(s1, s1 + C, 0.0f);
                std::fill(s2, s2 + C, 0.0f);
                accumulate(isa, base + r * C, std::min(kSubRows, end - r), C, k, s1, s2);
                for (int64_t c = 0; c < C; ++c) t1[c] += s1[size_t(c)], t2[c] += s2[size_t(c)];
            }
        }
    });

    // Fold (double): per channel mean_c and M2_c, merged per group; then per-channel affine factors.
    if (out_of_memory) {
        kn_set_error("kn_group_norm: out of host memory for %lld floats of row sums per thread", (long long)(2 * C));
        return KN_ERR_OUT_OF_MEMORY;
    }
    double *channel_mean = reinterpret_cast<double *>(tables), *channel_m2 = channel_mean + C;
    float *mean = reinterpret_cast<float *>(channel_m2 + C), *scale = mean + domains * C, *shift = scale + domains * C;
    for (int64_t d = 0; d < domains; ++d) {
        const float *k = x + d * positions * C;
        for (int64_t c = 0; c < C; ++c) {
            double S1 = 0, S2 = 0;
            for (int64_t j = 0; j < chunks; ++j) {
                const double *t = &sums[size_t((d * chunks + j) * 2 * C)];
                S1 += t[c], S2 += t[C + c];
            }
            channel_mean[size_t(c)] = double(k[c]) + S1 / double(positions);
            channel_m2[size_t(c)] = std::max(0.0, S2 - S1 * S1 / double(positions));
        }
        for (int64_t g = 0; g < groups; ++g) {
            double m = 0, m2 = 0;
            for (int64_t c = g * per_group; c < (g + 1) * per_group; ++c) m += channel_mean[size_t(c)];
            m /= double(per_group);
            for (int64_t c = g * per_group; c < (g + 1) * per_group; ++c) {
                const double dm = channel_mean[size_t(c)] - m;
                m2 += channel_m2[size_t(c)] + double(positions) * dm * dm;
            }
            const double rstd = 1.0 / std::sqrt(m2 / double(positions * per_group) + p.eps);
            for (int64_t c = g * per_group; c < (g + 1) * per_group; ++c) {
                mean[size_t(d * C + c)] = float(m);
                scale[size_t(d * C + c)] = float(rstd * gamma[c]);
                shift[size_t(d * C + c)] = beta[c];
            }
        }
    }

    const bool silu = p.silu != 0;
    parallel_region(parallel ? threads : 1, [&] {
#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; ++task) {
            const int64_t d = task / chunks, begin = (task % chunks) * chunk_rows;
            const int64_t end = std::min(positions, begin + chunk_rows);
            const int64_t offset = (d * positions + begin) * C;
            affine(isa, x + offset, y + offset, end - begin, C, &mean[size_t(d * C)], &scale[size_t(d * C)],
                   &shift[size_t(d * C)], silu);
        }
    });
    return KN_OK;
}

}  // namespace kinema::cpu
