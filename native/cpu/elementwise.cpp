// elementwise.cpp - add, mul, silu, gelu (erf), scale_add (OPS.md elementwise), f32.
//
// x is viewed as rows of `inner` elements (broadcast.h: x = [outer, middle, inner], z = [outer, inner];
// a trailing-dims z is outer = 1, unary ops take inner = numel(x)): row r pairs with z's row
// r / middle, so each row of x is one SIMD sweep against one contiguous run of z, the same loop as
// the trailing case. Rows, or chunks of one long row, are split over OpenMP threads. Every element is read
// and written by the same thread at the same index, so y may be x.
//
// All five are memory bound (8-12 bytes per element, a few FLOPs; gelu's erf ~25). silu and gelu use
// the Cephes expf polynomial of norm_simd.h; erf is Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7).
// Small calls (< 64K elements) stay on one thread.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "broadcast.h"
#include "parallel.h"
#include "elementwise_ops.h"
#include "norm_simd.h"

namespace kinema::cpu {
namespace {

using norm::exp_avx2;
using norm::exp_avx512;

// A&S 7.1.26 constants.
constexpr float kP = 0.3275911f, kA1 = 0.254829592f, kA2 = -0.284496736f, kA3 = 1.421413741f,
                kA4 = -1.453152027f, kA5 = 1.061405429f;
constexpr float kInvSqrt2 = 0.70710678118654752f;

struct Args {
    int32_t op;
    float a, b;
};

inline float silu1(float v) { return v / (1.0f + std::exp(-v)); }
inline float gelu1(float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); }

inline float apply1(const Args &k, float x, float z) {
    switch (k.op) {
        case KN_ELEMENTWISE_ADD: return x + z;
        case KN_ELEMENTWISE_MUL: return x * z;
        case KN_ELEMENTWISE_SILU: return silu1(x);
        case KN_ELEMENTWISE_GELU: return gelu1(x);
        default: return k.a * x + k.b * z;
    }
}

void row_scalar(const Args &k, const float *x, const float *z, float *y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = apply1(k, x[i], z ? z[i] : 0.0f);
}

KN_AVX512 inline __m512 erf_avx512(__m512 v) {
    const __m512 a = _mm512_abs_ps(v);
    const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(_mm512_set1_ps(kP), a, _mm512_set1_ps(1.0f)));
    __m512 p = _mm512_set1_ps(kA5);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kA4));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kA3));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kA2));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kA1));
    p = _mm512_mul_ps(p, t);
    const __m512 e = exp_avx512(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), a), a));
    const __m512 r = _mm512_fnmadd_ps(p, e, _mm512_set1_ps(1.0f));
    // copy the sign of v onto r
    const __m512i sign = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(int32_t(0x80000000u)));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(r), sign));
}

// `stream`: y is 64-byte aligned here and the call moves more data than the caches hold, so full
// vectors go out with non-temporal stores (no read-for-ownership of y), as ddim_step does.
KN_AVX512 void row_avx512(const Args &k, const float *x, const float *z, float *y, int64_t n, bool stream) {
    const __m512 va = _mm512_set1_ps(k.a), vb = _mm512_set1_ps(k.b), one = _mm512_set1_ps(1.0f),
                 half = _mm512_set1_ps(0.5f), is2 = _mm512_set1_ps(kInvSqrt2);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1u);
        const __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
        __m512 r;
        switch (k.op) {
            case KN_ELEMENTWISE_ADD: r = _mm512_add_ps(xv, _mm512_maskz_loadu_ps(m, z + i)); break;
            case KN_ELEMENTWISE_MUL: r = _mm512_mul_ps(xv, _mm512_maskz_loadu_ps(m, z + i)); break;
            case KN_ELEMENTWISE_SILU: r = norm::silu_avx512(xv); break;
            case KN_ELEMENTWISE_GELU:
                r = _mm512_mul_ps(_mm512_mul_ps(half, xv), _mm512_add_ps(one, erf_avx512(_mm512_mul_ps(xv, is2))));
                break;
            default: r = _mm512_fmadd_ps(va, xv, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m, z + i))); break;
        }
        if (stream && m == __mmask16(0xFFFF))
            _mm512_stream_ps(y + i, r);
        else
            _mm512_mask_storeu_ps(y + i, m, r);
    }
    if (stream) _mm_sfence();
}

KN_AVX2 inline __m256 erf_avx2(__m256 v) {
    const __m256 signmask = _mm256_castsi256_ps(_mm256_set1_epi32(int32_t(0x80000000u)));
    const __m256 a = _mm256_andnot_ps(signmask, v);
    const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(kP), a, _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(kA5);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kA4));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kA3));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kA2));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kA1));
    p = _mm256_mul_ps(p, t);
    const __m256 e = exp_avx2(_mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), a), a));
    const __m256 r = _mm256_fnmadd_ps(p, e, _mm256_set1_ps(1.0f));
    return _mm256_or_ps(r, _mm256_and_ps(signmask, v));
}

KN_AVX2 void row_avx2(const Args &k, const float *x, const float *z, float *y, int64_t n) {
    const __m256 va = _mm256_set1_ps(k.a), vb = _mm256_set1_ps(k.b), one = _mm256_set1_ps(1.0f),
                 half = _mm256_set1_ps(0.5f), is2 = _mm256_set1_ps(kInvSqrt2);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 xv = _mm256_loadu_ps(x + i);
        __m256 r;
        switch (k.op) {
            case KN_ELEMENTWISE_ADD: r = _mm256_add_ps(xv, _mm256_loadu_ps(z + i)); break;
            case KN_ELEMENTWISE_MUL: r = _mm256_mul_ps(xv, _mm256_loadu_ps(z + i)); break;
            case KN_ELEMENTWISE_SILU: r = norm::silu_avx2(xv); break;
            case KN_ELEMENTWISE_GELU:
                r = _mm256_mul_ps(_mm256_mul_ps(half, xv), _mm256_add_ps(one, erf_avx2(_mm256_mul_ps(xv, is2))));
                break;
            default: r = _mm256_fmadd_ps(va, xv, _mm256_mul_ps(vb, _mm256_loadu_ps(z + i))); break;
        }
        _mm256_storeu_ps(y + i, r);
    }
    row_scalar(k, x + i, z ? z + i : nullptr, y + i, n - i);
}

void run_row(Isa isa, const Args &k, const float *x, const float *z, float *y, int64_t n, bool stream) {
    switch (isa) {
        case Isa::avx512: row_avx512(k, x, z, y, n, stream); return;
        case Isa::avx2: row_avx2(k, x, z, y, n); return;
        case Isa::scalar: break;
    }
    row_scalar(k, x, z, y, n);
}

}  // namespace

int32_t elementwise(const kn_exec &e, const kn_elementwise_params &p, Isa isa) {
    if (p.x.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_elementwise: argument 'x': dtype %d is not supported by the cpu backend, expected 0 (f32)",
                     p.x.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    int64_t numel = 1;
    for (int i = 0; i < p.x.rank; ++i) numel *= p.x.shape[i];
    if (numel == 0) return KN_OK;
    const bool binary = p.op == KN_ELEMENTWISE_ADD || p.op == KN_ELEMENTWISE_MUL || p.op == KN_ELEMENTWISE_SCALE_ADD;
    kn_broadcast split{1, 1, numel};
    if (binary && !kn_broadcast_split(&p.x, &p.z, &split)) {
        kn_set_error("kn_elementwise: argument 'z': does not broadcast to x");
        return KN_ERR_INVALID_ARGUMENT;
    }
    const int64_t inner = split.inner, middle = split.middle;
    const Args k{p.op, float(p.a), float(p.b)};
    const float *x = static_cast<const float *>(p.x.data);
    const float *z = binary ? static_cast<const float *>(p.z.data) : nullptr;
    float *y = static_cast<float *>(p.y.data);
    // Work items: chunks of at most kChunk elements that never cross a row of z.
    constexpr int64_t kChunk = 16384;
    const int64_t rows = numel / inner, chunks_per_row = (inner + kChunk - 1) / kChunk;
    const int64_t items = rows * chunks_per_row;
    // Non-temporal stores pay off once the streams outgrow the last-level cache (64 MiB, as in
    // ddim_step); every chunk then starts 64-byte aligned when y does and rows are multiples of 16.
    constexpr int64_t kStreamingBytes = int64_t(64) << 20;
    const int64_t bytes = numel * 4 * (binary ? 3 : 2);
    const bool stream = bytes >= kStreamingBytes && reinterpret_cast<uintptr_t>(y) % 64 == 0 && inner % 16 == 0;
    const int threads = std::max(1, e.num_threads);
    parallel_region(threads > 1 && numel >= 65536 ? threads : 1, [&] {
#pragma omp for schedule(static)
        for (int64_t it = 0; it < items; ++it) {
            const int64_t r = it / chunks_per_row, c0 = (it % chunks_per_row) * kChunk;
            const int64_t n = std::min(kChunk, inner - c0), base = r * inner + c0;
            run_row(isa, k, x + base, z ? z + (r / middle) * inner + c0 : nullptr, y + base, n, stream);
        }
    });
    return KN_OK;
}

}  // namespace kinema::cpu
