// temporal_attention_avx512.cpp - the column kernel (temporal_attention_simd.h) on 16-lane AVX-512.
#include <immintrin.h>

#pragma GCC target("avx512f")
// GCC 12 warns about the deliberately undefined pass-through operands inside its own intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "temporal_attention_simd.h"

namespace kinema::cpu {
namespace {

struct Avx512 {
    static constexpr int W = 16;
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
    static M all() { return M(0xFFFF); }
    static M range(int a, int b) {  // lanes [a, b)
        const unsigned below_b = b >= 16 ? 0xFFFFu : (1u << b) - 1u;
        const unsigned below_a = a >= 16 ? 0xFFFFu : (1u << a) - 1u;
        return M(below_b & ~below_a);
    }
    static V max(V a, V b) { return _mm512_max_ps(a, b); }
    static V div(V a, V b) { return _mm512_div_ps(a, b); }
    // Lane kernel blocking: 4 x 6 score accumulators, 8 rows x 3 vectors of D for p v.
    static constexpr int QK_ROWS = 4, QK_COLS = 6, PV_ROWS = 8, PV_CHUNKS = 3;
    // In-register W x W transpose: r[i][j] -> r[j][i] (unpack ps, unpack pd, two 128-bit lane shuffles).
    static void transpose(V *r) {
        V t[16];
        for (int i = 0; i < 16; i += 2) {
            t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 16; i += 4) {
            r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
            r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
            r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
            r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        }
        // r[4i + c], 128-bit lane k: column 4k + c of rows 4i..4i+3.
        for (int i = 0; i < 4; ++i) {
            t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
            t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
            t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
            t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
        }
        for (int i = 0; i < 8; ++i) {
            r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
            r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        }
    }
    static V keep(M m, V x, float fill) { return _mm512_mask_blend_ps(m, _mm512_set1_ps(fill), x); }
    static float hmax(V x) { return _mm512_reduce_max_ps(x); }
    static float hsum(V x) { return _mm512_reduce_add_ps(x); }
    // e^x = 2^n * e^r, n = round(x log2 e), |r| <= ln2/2, degree-6 polynomial: ~1 ulp. Inputs are
    // <= 0 here (s - max); below -87 the result flushes toward 0 and masked lanes are zeroed anyway.
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

void attention_column_avx512(const AttentionColumn &c, float *scratch) {
    attention_simd::column<Avx512>(c, scratch);
}

int64_t attention_group_scratch_floats_avx512(int frames, int dim) {
    return attention_simd::lane_scratch_floats<Avx512>(frames, dim);
}

void attention_group_avx512(const AttentionGroup &g, float *scratch) { attention_simd::lanes<Avx512>(g, scratch); }

}  // namespace kinema::cpu
