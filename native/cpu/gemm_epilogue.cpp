// gemm_epilogue.cpp - vectorised activations for the GEMM epilogue, one copy per SIMD path.
//
// The math is written branch-free on plain floats so that `omp simd` vectorises it under each
// path's target attribute (libm's erff/expf would not vectorise and would cost more than the GEMM
// tile itself: a 320-deep tile spends ~1.5 ns per output on FMAs). exp: Cody-Waite reduction plus
// a degree-6 polynomial (~1 ulp); erf: Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), so gelu is
// off by at most ~1e-7 * |x|, far inside the 1e-4 tolerance.
#include "gemm_epilogue.h"

#include <cstring>

#include "kinema.h"

#define KN_AVX512 __attribute__((target("avx512f")))
#define KN_AVX2 __attribute__((target("avx2,fma")))

namespace kinema::cpu {
namespace {

inline __attribute__((always_inline)) float exp_approx(float x) {
    x = x < -87.0f ? -87.0f : x;  // ternaries keep NaN (comparisons with NaN are false)
    x = x > 88.0f ? 88.0f : x;
    // Round to nearest with the 1.5 * 2^23 trick: a call to floorf would stop vectorisation.
    const float n = (x * 1.44269504089f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float e = p * r * r + r + 1.0f;
    const int32_t bits = (int32_t(n) + 127) << 23;
    return e * __builtin_bit_cast(float, bits);
}

inline __attribute__((always_inline)) float gelu_erf(float x) {
    const float z = x * 0.70710678118f;
    const float az = z < 0 ? -z : z;
    const float t = 1.0f / (1.0f + 0.3275911f * az);
    float poly = 1.061405429f;
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    const float erfc_abs = poly * t * exp_approx(-az * az);  // erfc(|z|)
    // 0.5 * x * (1 + erf(z)): for z >= 0 that is x * (1 - erfc/2), for z < 0 it is x * erfc/2.
    return z < 0 ? 0.5f * x * erfc_abs : x * (1.0f - 0.5f * erfc_abs);
}

inline __attribute__((always_inline)) float gelu_tanh(float x) {
    const float u = 0.79788456080f * (x + 0.044715f * x * x * x);
    const float th = 1.0f - 2.0f / (exp_approx(2.0f * u) + 1.0f);
    return 0.5f * x * (1.0f + th);
}

inline __attribute__((always_inline)) float silu(float x) { return x / (1.0f + exp_approx(-x)); }

template <int ACT>
inline __attribute__((always_inline)) float activate(float v) {
    if constexpr (ACT == KN_ACT_GELU) return gelu_erf(v);
    if constexpr (ACT == KN_ACT_GELU_TANH) return gelu_tanh(v);
    if constexpr (ACT == KN_ACT_SILU) return silu(v);
    return v;
}

// The same body for every path: the target attribute on the caller decides the vector width.
template <int ACT, bool GATE, bool RESIDUAL>
inline __attribute__((always_inline)) void epilogue_body(const EpilogueTile &t) {
    const float *__restrict gate = t.gate;
    for (int m = 0; m < t.pixels; ++m) {
        const float *__restrict h = t.h + m * t.h_stride;
        const float *residual = RESIDUAL ? t.residual + m * t.y_stride : nullptr;
        float *y = t.y + m * t.y_stride;
#pragma omp simd
        for (int j = 0; j < t.channels; ++j) {
            float v;
            if constexpr (ACT == KN_ACT_GEGLU)
                v = h[j] * gelu_erf(h[t.half + j]);
            else
                v = activate<ACT>(h[j]);
            if constexpr (GATE) v *= gate[j];
            if constexpr (RESIDUAL) v += residual[j];
            y[j] = v;
        }
    }
}

#define KN_EPILOGUE_VARIANTS(SUFFIX, TARGET)                                                        \
    template <int ACT, bool GATE, bool RESIDUAL>                                                    \
    TARGET void epilogue_##SUFFIX(const EpilogueTile &t) {                                          \
        epilogue_body<ACT, GATE, RESIDUAL>(t);                                                      \
    }                                                                                               \
    template <int ACT>                                                                              \
    TARGET void epilogue_##SUFFIX##_flags(const EpilogueTile &t) {                                  \
        if (t.gate != nullptr)                                                                      \
            t.residual != nullptr ? epilogue_##SUFFIX<ACT, true, true>(t)                           \
                                  : epilogue_##SUFFIX<ACT, true, false>(t);                         \
        else                                                                                        \
            t.residual != nullptr ? epilogue_##SUFFIX<ACT, false, true>(t)                          \
                                  : epilogue_##SUFFIX<ACT, false, false>(t);                        \
    }                                                                                               \
    TARGET void epilogue_##SUFFIX##_dispatch(const EpilogueTile &t) {                               \
        switch (t.act) {                                                                            \
            case KN_ACT_GELU: return epilogue_##SUFFIX##_flags<KN_ACT_GELU>(t);                     \
            case KN_ACT_GELU_TANH: return epilogue_##SUFFIX##_flags<KN_ACT_GELU_TANH>(t);           \
            case KN_ACT_SILU: return epilogue_##SUFFIX##_flags<KN_ACT_SILU>(t);                     \
            case KN_ACT_GEGLU: return epilogue_##SUFFIX##_flags<KN_ACT_GEGLU>(t);                   \
            default: return epilogue_##SUFFIX##_flags<KN_ACT_NONE>(t);                              \
        }                                                                                           \
    }

KN_EPILOGUE_VARIANTS(avx512, KN_AVX512)
KN_EPILOGUE_VARIANTS(avx2, KN_AVX2)
KN_EPILOGUE_VARIANTS(scalar, )

}  // namespace

EpilogueFn epilogue_for(Isa isa) {
    switch (isa) {
        case Isa::avx512: return epilogue_avx512_dispatch;
        case Isa::avx2: return epilogue_avx2_dispatch;
        case Isa::scalar: break;
    }
    return epilogue_scalar_dispatch;
}

}  // namespace kinema::cpu
