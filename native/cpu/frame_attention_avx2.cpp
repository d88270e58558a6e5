// frame_attention_avx2.cpp - the attention block kernel (frame_attention_simd.h) on 8-lane AVX2 + FMA:
// scores and P @ V as 2 row vectors x 6 keys / dims (12 accumulators), within the 16 ymm registers.
#include <immintrin.h>

#pragma GCC target("avx2,fma")

#include "frame_attention_simd.h"

namespace kinema::cpu {
namespace {

struct Avx2 {
    static constexpr int W = 8;
    static constexpr int RV = 2;  // row vectors per register block
    using V = __m256;
    using M = __m256i;
    static V zero() { return _mm256_setzero_ps(); }
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V load(const float *p) { return _mm256_loadu_ps(p); }
    static void store(float *p, V x) { _mm256_storeu_ps(p, x); }
    static V load_masked(const float *p, M m) { return _mm256_maskload_ps(p, m); }
    static void store_masked(float *p, M m, V x) { _mm256_maskstore_ps(p, m, x); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    static V max(V a, V b) { return _mm256_max_ps(a, b); }
    static V div(V a, V b) { return _mm256_div_ps(a, b); }
    static M all() { return _mm256_set1_epi32(-1); }
    static M range(int a, int b) {  // lanes [a, b): a <= lane < b
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i ge_a = _mm256_cmpgt_epi32(lane, _mm256_set1_epi32(a - 1));
        const __m256i lt_b = _mm256_cmpgt_epi32(_mm256_set1_epi32(b), lane);
        return _mm256_and_si256(ge_a, lt_b);
    }
    static V keep(M m, V x, float fill) { return _mm256_blendv_ps(_mm256_set1_ps(fill), x, _mm256_castsi256_ps(m)); }
    static float hmax(V x) {
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        return _mm_cvtss_f32(h);
    }
    static float hsum(V x) {
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        return _mm_cvtss_f32(h);
    }
    // As the AVX-512 path: 2^n e^r with a degree-6 polynomial; 2^n built in the exponent bits.
    static V exp(V x) {
        x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
        const V n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        V r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
        r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
        V y = _mm256_set1_ps(1.9875691500e-4f);
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
        y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
        const __m256i pow2 = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
        return _mm256_mul_ps(y, _mm256_castsi256_ps(pow2));
    }
};

}  // namespace

void fa_block_avx2(const FaBlock &b, float *scratch) { frame_attention_simd::block<Avx2>(b, scratch); }

}  // namespace kinema::cpu
