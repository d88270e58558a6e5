// ddim_step.cpp - fused classifier-free guidance + DDIM update (OPS.md), one pass over memory.
//
// Per element: read x, out_c (+ out_u, + noise), write y (+ x0): 12 to 24 bytes for ~10 FLOPs, so
// the op is memory bound and the goal is streaming at the machine's bandwidth. Every coefficient is
// folded in double once per call; per element it is a few FMAs:
//   m  = out_u + w (out_c - out_u)            (or out_c)
//   x0 = a0 x + b0 m                          (eps: 1/a_t, -s_t/a_t; v: a_t, -s_t; x0: 0, 1)
//   e  = a1 x + b1 m, or after clipping x0: e = (x - a_t x0) / s_t
//   y  = a_s x0 + c_e e + s_eta noise
// Options (guidance, noise, clip, x0 output) are template flags, so the loop has no branches.
// Calls that stream more than any last-level cache holds store with non-temporal stores: the data
// is bound for DRAM anyway, and skipping the read-for-ownership of y and x0 saves up to a third of
// the traffic (measured here: +20-30% on 192 MB).
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cpu_ops.h"
#include "parallel.h"

// GCC 12 warns about the deliberately undefined pass-through operand inside its own _mm512_max_ps.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define KN_AVX512 __attribute__((target("avx512f")))
#define KN_AVX2 __attribute__((target("avx2,fma")))

namespace kinema::cpu {
namespace {

struct Coefficients {
    float guidance;
    float a0, b0;       // x0 = a0 x + b0 m
    float a1, b1;       // eps = a1 x + b1 m (unclipped)
    float ex, ex0;      // eps = ex x + ex0 x0 (clipped)
    float clip;         // > 0 when clipping
    float as, ce, sn;   // y = as x0 + ce eps + sn noise
};

Coefficients fold(const kn_ddim_step_params &p) {
    const double at = p.alpha_t, st = p.sigma_t, as = p.alpha_s, ss = p.sigma_s;
    double a0 = 0, b0 = 0, a1 = 0, b1 = 0;
    switch (p.prediction) {
        case KN_PREDICTION_EPS: a0 = 1 / at, b0 = -st / at, a1 = 0, b1 = 1; break;
        case KN_PREDICTION_V: a0 = at, b0 = -st, a1 = st, b1 = at; break;
        default: a0 = 0, b0 = 1, a1 = 1 / st, b1 = -at / st; break;  // x0
    }
    // sigma_eta as libkinema's validation computes it: 0 when eta = 0 or the variance is not positive.
    double sigma_eta = 0;
    if (p.eta > 0) {
        const double r = at * ss / as, var = st * st - r * r;
        sigma_eta = var > 0 ? p.eta * (ss / st) * std::sqrt(var) : 0.0;
    }
    Coefficients c;
    c.guidance = float(p.guidance);
    c.a0 = float(a0), c.b0 = float(b0), c.a1 = float(a1), c.b1 = float(b1);
    c.ex = p.clip_x0 > 0 ? float(1 / st) : 0.0f;
    c.ex0 = p.clip_x0 > 0 ? float(-at / st) : 0.0f;
    c.clip = float(p.clip_x0);
    c.as = float(as);
    c.ce = float(std::sqrt(std::max(0.0, ss * ss - sigma_eta * sigma_eta)));
    c.sn = float(sigma_eta);
    return c;
}

struct Streams {
    const float *x, *out_c, *out_u, *noise;
    float *y, *x0;
};

// ---- portable ------------------------------------------------------------------------------

template <bool GUIDED, bool NOISE, bool CLIP, bool X0_OUT>
void step_scalar(const Coefficients &k, const Streams &s, int64_t begin, int64_t end, bool = false) {
    for (int64_t i = begin; i < end; ++i) {
        const float x = s.x[i];
        const float m = GUIDED ? s.out_u[i] + k.guidance * (s.out_c[i] - s.out_u[i]) : s.out_c[i];
        float x0 = k.a0 * x + k.b0 * m;
        float eps;
        if (CLIP) {
            // Comparisons with NaN are false, so a NaN x0 stays NaN, as in torch.clamp.
            if (x0 < -k.clip) x0 = -k.clip;
            if (x0 > k.clip) x0 = k.clip;
            eps = k.ex * x + k.ex0 * x0;
        } else {
            eps = k.a1 * x + k.b1 * m;
        }
        float y = k.as * x0 + k.ce * eps;
        if (NOISE) y += k.sn * s.noise[i];
        if (X0_OUT) s.x0[i] = x0;
        s.y[i] = y;
    }
}

// ---- AVX-512 -------------------------------------------------------------------------------

// STREAM: full, 64-byte aligned vectors stored non-temporally; otherwise `mask` selects the lanes.
template <bool GUIDED, bool NOISE, bool CLIP, bool X0_OUT, bool STREAM>
KN_AVX512 inline void step16_avx512(const Coefficients &k, const Streams &s, int64_t i, __mmask16 mask) {
    const __m512 x = _mm512_maskz_loadu_ps(mask, s.x + i);
    const __m512 c = _mm512_maskz_loadu_ps(mask, s.out_c + i);
    __m512 m = c;
    if (GUIDED) {
        const __m512 u = _mm512_maskz_loadu_ps(mask, s.out_u + i);
        m = _mm512_fmadd_ps(_mm512_set1_ps(k.guidance), _mm512_sub_ps(c, u), u);
    }
    __m512 x0 = _mm512_fmadd_ps(_mm512_set1_ps(k.a0), x, _mm512_mul_ps(_mm512_set1_ps(k.b0), m));
    __m512 eps;
    if (CLIP) {
        // vmaxps/vminps return the second operand when either is NaN: x0 second keeps NaN.
        x0 = _mm512_max_ps(_mm512_set1_ps(-k.clip), x0);
        x0 = _mm512_min_ps(_mm512_set1_ps(k.clip), x0);
        eps = _mm512_fmadd_ps(_mm512_set1_ps(k.ex), x, _mm512_mul_ps(_mm512_set1_ps(k.ex0), x0));
    } else {
        eps = _mm512_fmadd_ps(_mm512_set1_ps(k.a1), x, _mm512_mul_ps(_mm512_set1_ps(k.b1), m));
    }
    __m512 y = _mm512_fmadd_ps(_mm512_set1_ps(k.as), x0, _mm512_mul_ps(_mm512_set1_ps(k.ce), eps));
    if (NOISE) y = _mm512_fmadd_ps(_mm512_set1_ps(k.sn), _mm512_maskz_loadu_ps(mask, s.noise + i), y);
    if (STREAM) {
        if (X0_OUT) _mm512_stream_ps(s.x0 + i, x0);
        _mm512_stream_ps(s.y + i, y);
    } else {
        if (X0_OUT) _mm512_mask_storeu_ps(s.x0 + i, mask, x0);
        _mm512_mask_storeu_ps(s.y + i, mask, y);
    }
}

template <bool GUIDED, bool NOISE, bool CLIP, bool X0_OUT>
KN_AVX512 void step_avx512(const Coefficients &k, const Streams &s, int64_t begin, int64_t end, bool stream) {
    int64_t i = begin;
    if (stream) {
        for (; i + 16 <= end; i += 16) step16_avx512<GUIDED, NOISE, CLIP, X0_OUT, true>(k, s, i, 0xFFFF);
        _mm_sfence();  // order the non-temporal stores before anything this thread does next
    } else {
        for (; i + 16 <= end; i += 16) step16_avx512<GUIDED, NOISE, CLIP, X0_OUT, false>(k, s, i, 0xFFFF);
    }
    if (i < end)
        step16_avx512<GUIDED, NOISE, CLIP, X0_OUT, false>(k, s, i, __mmask16((1u << (end - i)) - 1u));
}

// ---- AVX2 ----------------------------------------------------------------------------------

template <bool GUIDED, bool NOISE, bool CLIP, bool X0_OUT>
KN_AVX2 void step_avx2(const Coefficients &k, const Streams &s, int64_t begin, int64_t end, bool stream) {
    int64_t i = begin;
    for (; i + 8 <= end; i += 8) {
        const __m256 x = _mm256_loadu_ps(s.x + i);
        const __m256 c = _mm256_loadu_ps(s.out_c + i);
        __m256 m = c;
        if (GUIDED) {
            const __m256 u = _mm256_loadu_ps(s.out_u + i);
            m = _mm256_fmadd_ps(_mm256_set1_ps(k.guidance), _mm256_sub_ps(c, u), u);
        }
        __m256 x0 = _mm256_fmadd_ps(_mm256_set1_ps(k.a0), x, _mm256_mul_ps(_mm256_set1_ps(k.b0), m));
        __m256 eps;
        if (CLIP) {
            x0 = _mm256_max_ps(_mm256_set1_ps(-k.clip), x0);  // NaN x0 stays NaN (second operand)
            x0 = _mm256_min_ps(_mm256_set1_ps(k.clip), x0);
            eps = _mm256_fmadd_ps(_mm256_set1_ps(k.ex), x, _mm256_mul_ps(_mm256_set1_ps(k.ex0), x0));
        } else {
            eps = _mm256_fmadd_ps(_mm256_set1_ps(k.a1), x, _mm256_mul_ps(_mm256_set1_ps(k.b1), m));
        }
        __m256 y = _mm256_fmadd_ps(_mm256_set1_ps(k.as), x0, _mm256_mul_ps(_mm256_set1_ps(k.ce), eps));
        if (NOISE) y = _mm256_fmadd_ps(_mm256_set1_ps(k.sn), _mm256_loadu_ps(s.noise + i), y);
        if (stream) {
            if (X0_OUT) _mm256_stream_ps(s.x0 + i, x0);
            _mm256_stream_ps(s.y + i, y);
        } else {
            if (X0_OUT) _mm256_storeu_ps(s.x0 + i, x0);
            _mm256_storeu_ps(s.y + i, y);
        }
    }
    if (stream) _mm_sfence();
    step_scalar<GUIDED, NOISE, CLIP, X0_OUT>(k, s, i, end);  // fewer than 8 left
}

// ---- dispatch ------------------------------------------------------------------------------

using StepFn = void (*)(const Coefficients &, const Streams &, int64_t begin, int64_t end, bool stream);

template <bool GUIDED, bool NOISE, bool CLIP, bool X0_OUT>
StepFn pick(Isa isa) {
    switch (isa) {
        case Isa::avx512: return step_avx512<GUIDED, NOISE, CLIP, X0_OUT>;
        case Isa::avx2: return step_avx2<GUIDED, NOISE, CLIP, X0_OUT>;
        case Isa::scalar: break;
    }
    return step_scalar<GUIDED, NOISE, CLIP, X0_OUT>;
}

template <bool GUIDED, bool NOISE, bool CLIP>
StepFn pick(Isa isa, bool x0_out) {
    return x0_out ? pick<GUIDED, NOISE, CLIP, true>(isa) : pick<GUIDED, NOISE, CLIP, false>(isa);
}

template <bool GUIDED, bool NOISE>
StepFn pick(Isa isa, bool clip, bool x0_out) {
    return clip ? pick<GUIDED, NOISE, true>(isa, x0_out) : pick<GUIDED, NOISE, false>(isa, x0_out);
}

template <bool GUIDED>
StepFn pick(Isa isa, bool noise, bool clip, bool x0_out) {
    return noise ? pick<GUIDED, true>(isa, clip, x0_out) : pick<GUIDED, false>(isa, clip, x0_out);
}

}  // namespace

int32_t ddim_step(const kn_exec &e, const kn_ddim_step_params &p, Isa isa) {
    if (p.x.dtype != KN_DTYPE_F32) {
        kn_set_error("kn_ddim_step: argument 'x': dtype %d is not supported by the cpu backend, expected 0 (f32)",
                     p.x.dtype);
        return KN_ERR_UNSUPPORTED;
    }
    int64_t n = 1;
    for (int i = 0; i < p.x.rank; ++i) n *= p.x.shape[i];
    if (n == 0) return KN_OK;

    const Coefficients k = fold(p);
    // libkinema requires noise whenever eta > 0; given noise is used as the formula says (0 * noise).
    const bool noise = p.noise.data != nullptr;
    const Streams s{static_cast<const float *>(p.x.data),     static_cast<const float *>(p.out_c.data),
                    static_cast<const float *>(p.out_u.data), static_cast<const float *>(p.noise.data),
                    static_cast<float *>(p.y.data),           static_cast<float *>(p.x0.data)};
    const bool guided = p.out_u.data != nullptr, clip = p.clip_x0 > 0, x0_out = p.x0.data != nullptr;
    const StepFn step = guided ? pick<true>(isa, noise, clip, x0_out) : pick<false>(isa, noise, clip, x0_out);

    // Non-temporal stores need 64-byte aligned outputs (thread chunks are whole lines from there).
    constexpr int64_t kStreamingBytes = int64_t(64) << 20;  // more than the last-level caches of most CPUs
    const int64_t streams = 3 + guided + noise + x0_out;
    const auto aligned = [](const void *q) { return q == nullptr || reinterpret_cast<uintptr_t>(q) % 64 == 0; };
    const bool stream = isa != Isa::scalar && n * 4 * streams >= kStreamingBytes && aligned(s.y) && aligned(s.x0);

    // Below ~32K elements (a few hundred KB, cache resident) waking a second thread costs more
    // than it saves. Chunks are whole cache lines so threads never share one.
    constexpr int64_t kPerThread = 32768, kLine = 16;
    const int threads = int(std::max<int64_t>(1, std::min<int64_t>(e.num_threads, n / kPerThread)));
    if (threads == 1) {
        step(k, s, 0, n, stream);
        return KN_OK;
    }
    const int64_t lines = (n + kLine - 1) / kLine;
    parallel_region(threads, [&] {
        const int64_t id = omp_get_thread_num(), count = omp_get_num_threads();
        const int64_t begin = std::min(n, lines * id / count * kLine);
        const int64_t end = std::min(n, lines * (id + 1) / count * kLine);
        step(k, s, begin, end, stream);
    });
    return KN_OK;
}

}  // namespace kinema::cpu
