// frame_attention_avx512.cpp - the attention block kernel (frame_attention_simd.h) on 16-lane AVX-512:
// 64 query rows = 4 vectors; scores and P @ V as 4 row vectors x 6 keys / dims (24 accumulators).
#include <immintrin.h>

#pragma GCC target("avx512f")
// GCC 12 warns about the deliberately undefined pass-through operand inside its own intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "frame_attention_simd.h"

namespace kinema::cpu {
namespace {

struct Avx512 {
    static constexpr int W = 16;
    static constexpr int RV = 4;  // row vectors per register block
    using V = __m512;
    using M = __mmask16;
    static V zero() { return _mm512_setzero_ps(); }
    static V set1(float x) { return _mm512_set1_ps(x); }
    static V load(const float *p) { return _mm512_loadu_ps(p); }
    static void store(float *p, V x) { _mm512_storeu_ps(p, x); }
    static V load_masked(const float *p, M m) { return _mm512_maskz_loadu_ps(m, p); }
    static void store_masked(float *p, M m, V x) { _mm512_mask_storeu_ps(p, m, x); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    static V max(V a, V b) { return _mm512_max_ps(a, b); }
    static V div(V a, V b) { return _mm512_div_ps(a, b); }
    static M all() { return M(0xFFFF); }
    static M range(int a, int b) {  // lanes [a, b)
        const unsigned below_b = b >= 16 ? 0xFFFFu : (1u << b) - 1u;
        const unsigned below_a = a >= 16 ? 0xFFFFu : (1u << a) - 1u;
        return M(below_b & ~below_a);
    }
    static V keep(M m, V x, float fill) { return _mm512_mask_blend_ps(m, _mm512_set1_ps(fill), x); }
    static float hmax(V x) { return _mm512_reduce_max_ps(x); }
    static float hsum(V x) { return _mm512_reduce_add_ps(x); }
    // e^x = 2^n * e^r, n = round(x log2 e), |r| <= ln2/2, degree-6 polynomial: ~1 ulp. Inputs are
    // <= 0 here (s - max); -inf lanes (keys past the tile) clamp to -87 and come out ~1e-38 * 2^-126 = 0.
    static V exp(V x) {
        x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
        const V n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        V r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
        r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
        V y = _mm512_set1_ps(1.9875691500e-4f);
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
        y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
        return _mm512_scalef_ps(y, n);
    }
};

}  // namespace

void fa_block_avx512(const FaBlock &b, float *scratch) { frame_attention_simd::block<Avx512>(b, scratch); }

}  // namespace kinema::cpu
