// layer_norm.cpp - LayerNorm over the last dim with optional DiT adaLN modulation (OPS.md layer_norm).
//
// Per batch item b the affine and the modulation fold into two vectors (in double, once per call):
//   G_c = gamma_c (1 + scale[b,c]),  B_c = beta_c (1 + scale[b,c]) + shift[b,c]
// so y = (x - mean) * rstd * G_c + B_c. Each row (C contiguous floats, L1 resident for C up to a few
// thousand) takes three SIMD sweeps: sum of x - x[0] (the shift keeps mean-1000 data exact), the
// centred sum of squares (exact two-pass variance), and the affine. Rows are split over OpenMP
// threads; a row is read and written by one thread after its statistics, so y may be x itself.
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

struct RowStats {
    float mean, rstd;
};

RowStats stats_scalar(const float *x, int64_t C, double eps) {
    const float k = x[0];
    float s = 0;
    for (int64_t c = 0; c < C; ++c) s += x[c] - k;
    const float mean = k + s / float(C);
    float m2 = 0;
    for (int64_t c = 0; c < C; ++c) m2 += (x[c] - mean) * (x[c] - mean);
    return {mean, float(1.0 / std::sqrt(double(m2) / double(C) + eps))};
}

void affine_scalar(const float *x, float *y, int64_t C, RowStats s, const float *G, const float *B) {
    for (int64_t c = 0; c < C; ++c) y[c] = (x[c] - s.mean) * s.rstd * G[c] + B[c];
}

KN_AVX512 RowStats stats_avx512(const float *x, int64_t C, double eps) {
    const __m512 k = _mm512_set1_ps(x[0]);
    __m512 s = _mm512_setzero_ps();
    for (int64_t c = 0; c < C; c += 16) {
        const __mmask16 m = C - c >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (C - c)) - 1u);
        s = _mm512_add_ps(s, _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + c), k));
    }
    const float mean = x[0] + _mm512_reduce_add_ps(s) / float(C);
    const __m512 mv = _mm512_set1_ps(mean);
    __m512 q = _mm512_setzero_ps();
    for (int64_t c = 0; c < C; c += 16) {
        const __mmask16 m = C - c >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (C - c)) - 1u);
        const __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + c), mv);
        q = _mm512_fmadd_ps(d, d, q);
    }
    return {mean, float(1.0 / std::sqrt(double(_mm512_reduce_add_ps(q)) / double(C) + eps))};
}

KN_AVX512 void affine_avx512(const float *x, float *y, int64_t C, RowStats s, const float *G, const float *B) {
    const __m512 mv = _mm512_set1_ps(s.mean), rv = _mm512_set1_ps(s.rstd);
    for (int64_t c = 0; c < C; c += 16) {
        const __mmask16 m = C - c >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (C - c)) - 1u);
        const __m512 n = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + c), mv), rv);
        _mm512_mask_storeu_ps(y + c, m, _mm512_fmadd_ps(n, _mm512_maskz_loadu_ps(m, G + c), _mm512_maskz_loadu_ps(m, B + c)));
    }
}

KN_AVX2 float hsum_avx2(__m256 v) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

KN_AVX2 RowStats stats_avx2(const float *x, int64_t C, double eps) {
    const float k = x[0];
    const __m256 kv = _mm256_set1_ps(k);
    __m256 s = _mm256_setzero_ps();
    int64_t c = 0;
    for (; c + 8 <= C; c += 8) s = _mm256_add_ps(s, _mm256_sub_ps(_mm256_loadu_ps(x + c), kv));
    float tail = 0;
    for (int64_t t = c; t < C; ++t) tail += x[t] - k;
    const float mean = k + (hsum_avx2(s) + tail) / float(C);
    const __m256 mv = _mm256_set1_ps(mean);
    __m256 q = _mm256_setzero_ps();
    for (c = 0; c + 8 <= C; c += 8) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + c), mv);
        q = _mm256_fmadd_ps(d, d, q);
    }
    float qt = 0;
    for (; c < C; ++c) qt += (x[c] - mean) * (x[c] - mean);
    return {mean, float(1.0 / std::sqrt(double(hsum_avx2(q) + qt) / double(C) + eps))};
}

KN_AVX2 void affine_avx2(const float *x, float *y, int64_t C, RowStats s, const float *G, const float *B) {
    const __m256 mv = _mm256_set1_ps(s.mean), rv = _mm256_set1_ps(s.rstd);
    int64_t c = 0;
    for (; c + 8 <= C; c += 8) {
        const __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + c), mv), rv);
        _mm256_storeu_ps(y + c, _mm256_fmadd_ps(n, _mm256_loadu_ps(G + c), _mm256_loadu_ps(B + c)));
    }
    for (; c < C; ++c) y[c] = (x[c] - s.mean) * s.rstd * G[c] + B[c];
}

void normalize_row(Isa isa, const float *x, float *y, int64_t C, double eps, const float *G, const float *B) {
    switch (isa) {
        case Isa::avx512: affine_avx512(x, y, C, stats_avx512(x, C, eps), G, B); return;
        case Isa::avx2: affine_avx2(x, y, C, stats_avx2(x, C, eps), G, B); return;
        case Isa::scalar: break;
    }
    affine_scalar(x, y, C, stats_scalar(x, C, eps), G, B);
}

}  // namespace

int32_t layer_norm(const kn_exec &e, const kn_layer_norm_params &p, Isa isa) {
    if (p.x.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_layer_norm: argument 'x': dtype %d is not supported by the cpu backend, expected 0 (f32)",
                     p.x.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    int64_t numel = 1;
    for (int i = 0; i < p.x.rank; ++i) numel *= p.x.shape[i];
    const int64_t C = p.x.shape[p.x.rank - 1], batch = p.x.shape[0];
    if (numel == 0) return KN_OK;
    const int64_t rows = numel / C, rows_per_batch = rows / batch;

    const auto *gamma = static_cast<const float *>(p.gamma.data), *beta = static_cast<const float *>(p.beta.data);
    const auto *shift = static_cast<const float *>(p.shift.data), *scale = static_cast<const float *>(p.scale.data);
    const bool modulated = shift != nullptr || scale != nullptr;
    const int64_t tables = modulated ? batch : 1;  // one (G, B) pair per batch item only when modulated
    float *G = thread_scratch_of<float>(ScratchSlot::norm_tables, 2 * tables * C), *B = G == nullptr ? nullptr : G + tables * C;
    if (G == nullptr) {
        kn_set_error("kn_layer_norm: out of host memory for %lld floats of affine tables", (long long)(2 * tables * C));
        return KN_ERR_OUT_OF_MEMORY;
    }
    for (int64_t b = 0; b < tables; ++b)
        for (int64_t c = 0; c < C; ++c) {
            const double g = gamma ? gamma[c] : 1.0, be = beta ? beta[c] : 0.0;
            const double s = scale ? scale[b * C + c] : 0.0, t = shift ? shift[b * C + c] : 0.0;
            G[size_t(b * C + c)] = float(g * (1 + s));
            B[size_t(b * C + c)] = float(be * (1 + s) + t);
        }

    const float *x = static_cast<const float *>(p.x.data);
    float *y = static_cast<float *>(p.y.data);
    const int threads = std::max(1, e.num_threads);
    parallel_region(threads > 1 && numel >= 32768 ? threads : 1, [&] {
#pragma omp for schedule(static)
        for (int64_t r = 0; r < rows; ++r) {
            const int64_t table = modulated ? r / rows_per_batch : 0;
            normalize_row(isa, x + r * C, y + r * C, C, p.eps, &G[size_t(table * C)], &B[size_t(table * C)]);
        }
    });
    return KN_OK;
}

}  // namespace kinema::cpu
