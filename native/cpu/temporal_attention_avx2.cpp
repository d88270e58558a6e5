// temporal_attention_avx2.cpp - the column kernel (temporal_attention_simd.h) on 8-lane AVX2 + FMA.
// Masked loads use vmaskmovps, which never touches memory of unselected lanes.
#include <immintrin.h>

#pragma GCC target("avx2,fma")

#include "temporal_attention_simd.h"

namespace kinema::cpu {
namespace {

struct Avx2 {
    static constexpr int W = 8;
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
    static M all() { return _mm256_set1_epi32(-1); }
    static M range(int a, int b) {  // lanes [a, b): a <= lane < b
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i ge_a = _mm256_cmpgt_epi32(lane, _mm256_set1_epi32(a - 1));
        const __m256i lt_b = _mm256_cmpgt_epi32(_mm256_set1_epi32(b), lane);
        return _mm256_and_si256(ge_a, lt_b);
    }
    static V max(V a, V b) { return _mm256_max_ps(a, b); }
    static V div(V a, V b) { return _mm256_div_ps(a, b); }
    // Lane kernel blocking (16 ymm): 4 x 3 score accumulators, 4 rows x 2 vectors of D for p v.
    static constexpr int QK_ROWS = 4, QK_COLS = 3, PV_ROWS = 4, PV_CHUNKS = 2;
    // In-register 8 x 8 transpose: r[i][j] -> r[j][i].
    static void transpose(V *r) {
        V t[8], u[8];
        for (int i = 0; i < 8; i += 2) {
            t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 8; i += 4) {
            u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
            u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
            u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
            u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
        }
        for (int i = 0; i < 4; ++i) {
            r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
            r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
        }
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

void attention_column_avx2(const AttentionColumn &c, float *scratch) { attention_simd::column<Avx2>(c, scratch); }

int64_t attention_group_scratch_floats_avx2(int frames, int dim) {
    return attention_simd::lane_scratch_floats<Avx2>(frames, dim);
}

void attention_group_avx2(const AttentionGroup &g, float *scratch) { attention_simd::lanes<Avx2>(g, scratch); }

}  // namespace kinema::cpu
