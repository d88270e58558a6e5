// resample.cpp - upsample_nearest, patchify, unpatchify, alpha_blend, timestep_embedding, concat (OPS.md), f32.
//
// The first three only move data, and channels-last keeps runs contiguous: upsample_nearest builds
// each output row [2W, C] once (every pixel's C floats twice) and copies it to the second output row;
// patchify/unpatchify move runs of p*C floats (one patch row) between an image row and a token.
// Work is split by input (or output) image rows over OpenMP threads; every output byte is written
// by exactly one thread. All three are memory bound at 8 B per element moved (read + write).
// alpha_blend is one fused multiply-add per element (12 B per element) with alpha folded in double
// once per call; the loop is plain so the compiler vectorises it. timestep_embedding is tiny
// (B * dim outputs) and is computed entirely in double, then rounded once to f32. concat copies each
// row's C1 floats of x and C2 floats of z into one output row of C1+C2 (two memcpy per row, rows
// over OpenMP threads); 8 B per output element, memory bound.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "resample_ops.h"
#include "parallel.h"

namespace kinema::cpu {
namespace {

// Below this many elements a call stays on one thread: a parallel region costs more than the copy.
constexpr int64_t kParallelElements = 1 << 16;

int32_t require_f32(const char *op, const char *arg, const kn_tensor &t) {
    if (t.dtype == KN_DTYPE_F32) return KN_OK;
    kn_set_error("%s: argument '%s': dtype %d is not supported by the cpu backend, expected 0 (f32)", op, arg, t.dtype);
    return KN_ERR_UNSUPPORTED;
}

int64_t numel(const kn_tensor &t) {
    int64_t n = 1;
    for (int i = 0; i < t.rank; ++i) n *= t.shape[i];
    return n;
}

int threads_for(const kn_exec &e, int64_t elements) {
    return elements >= kParallelElements ? std::max(1, e.num_threads) : 1;
}

// Moves the runs of one patch row between image and tokens: for image row h (of B*T*H rows) and
// each patch column wp, p*C floats at image[h][wp*p] <-> tokens[(h/p)*(W/p) + wp][(h%p)*p*C].
template <bool kToTokens>
void patch_rows(const kn_exec &e, const kn_tensor &image, float *image_data, float *token_data, int64_t p) {
    const int64_t H = image.shape[2], W = image.shape[3], C = image.shape[4];
    const int64_t rows = image.shape[0] * image.shape[1] * H, wp_count = W / p, run = p * C;
    const int64_t tokens_per_frame = (H / p) * wp_count, token_len = p * run;
    const int threads = threads_for(e, rows * W * C);
    parallel_region(threads, [&] {
#pragma omp for schedule(static)
        for (int64_t r = 0; r < rows; ++r) {
            const int64_t frame = r / H, h = r % H, hp = h / p, ph = h % p;
            float *img = image_data + r * W * C;
            float *tok = token_data + frame * tokens_per_frame * token_len + hp * wp_count * token_len + ph * run;
            for (int64_t wp = 0; wp < wp_count; ++wp) {
                if (kToTokens)
                    std::memcpy(tok + wp * token_len, img + wp * run, size_t(run) * sizeof(float));
                else
                    std::memcpy(img + wp * run, tok + wp * token_len, size_t(run) * sizeof(float));
            }
        }
    });
}

}  // namespace

int32_t upsample_nearest(const kn_exec &e, const kn_upsample_nearest_params &p) {
    if (int32_t st = require_f32("kn_upsample_nearest", "x", p.x)) return st;
    const int64_t H = p.x.shape[2], W = p.x.shape[3], C = p.x.shape[4];
    const int64_t rows = p.x.shape[0] * p.x.shape[1] * H;
    if (rows * W * C == 0) return KN_OK;
    const float *x = static_cast<const float *>(p.x.data);
    float *y = static_cast<float *>(p.y.data);
    const int64_t out_row = 2 * W * C;
    const int threads = threads_for(e, 4 * rows * W * C);
    parallel_region(threads, [&] {
#pragma omp for schedule(static)
        for (int64_t r = 0; r < rows; ++r) {
            // Input row r of frame (b, t) feeds output rows 2h and 2h+1, i.e. rows 2r and 2r+1 overall.
            const float *in = x + r * W * C;
            float *out = y + 2 * r * out_row;
            for (int64_t j = 0; j < W; ++j) {
                std::memcpy(out + 2 * j * C, in + j * C, size_t(C) * sizeof(float));
                std::memcpy(out + (2 * j + 1) * C, in + j * C, size_t(C) * sizeof(float));
            }
            std::memcpy(out + out_row, out, size_t(out_row) * sizeof(float));
        }
    });
    return KN_OK;
}

int32_t patchify(const kn_exec &e, const kn_patch_params &p) {
    if (int32_t st = require_f32("kn_patchify", "x", p.x)) return st;
    if (numel(p.x) == 0) return KN_OK;
    patch_rows<true>(e, p.x, static_cast<float *>(p.x.data), static_cast<float *>(p.y.data), p.p);
    return KN_OK;
}

int32_t unpatchify(const kn_exec &e, const kn_patch_params &p) {
    if (int32_t st = require_f32("kn_unpatchify", "x", p.x)) return st;
    if (numel(p.y) == 0) return KN_OK;
    patch_rows<false>(e, p.y, static_cast<float *>(p.y.data), static_cast<float *>(p.x.data), p.p);
    return KN_OK;
}

int32_t alpha_blend(const kn_exec &e, const kn_alpha_blend_params &p) {
    if (int32_t st = require_f32("kn_alpha_blend", "x_spatial", p.x_spatial)) return st;
    const int64_t n = numel(p.x_spatial);
    const double mix = *static_cast<const float *>(p.mix.data);
    const double alpha = p.mode == KN_BLEND_LEARNED ? 1.0 / (1.0 + std::exp(-mix)) : mix;
    const float a = float(alpha), b = float(1.0 - alpha);
    const float *xs = static_cast<const float *>(p.x_spatial.data);
    const float *xt = static_cast<const float *>(p.x_temporal.data);
    float *y = static_cast<float *>(p.y.data);
    const int threads = threads_for(e, n);
    // y may be xs or xt exactly: each element is read, then written, by the same iteration.
    parallel_region(threads, [&] {
#pragma omp for simd schedule(static)
        for (int64_t i = 0; i < n; ++i) y[i] = a * xs[i] + b * xt[i];
    });
    return KN_OK;
}

int32_t timestep_embedding(const kn_exec &, const kn_timestep_embedding_params &p) {
    if (int32_t st = require_f32("kn_timestep_embedding", "t", p.t)) return st;
    const int64_t B = p.t.shape[0], half = p.dim / 2;
    const float *t = static_cast<const float *>(p.t.data);
    float *y = static_cast<float *>(p.y.data);
    const double step = -std::log(p.max_period) / (double(half) - p.downscale_freq_shift);
    // flip_sin_to_cos puts cos first: sin goes to the second half, cos to the first.
    const int64_t sin_at = p.flip_sin_to_cos ? half : 0, cos_at = p.flip_sin_to_cos ? 0 : half;
    for (int64_t b = 0; b < B; ++b) {
        float *row = y + b * p.dim;
        for (int64_t i = 0; i < half; ++i) {
            const double arg = double(t[b]) * std::exp(step * double(i));
            row[sin_at + i] = float(std::sin(arg));
            row[cos_at + i] = float(std::cos(arg));
        }
    }
    return KN_OK;
}

int32_t concat(const kn_exec &e, const kn_concat_params &p) {
    if (int32_t st = require_f32("kn_concat", "x", p.x)) return st;
    const int last = p.x.rank - 1;
    const int64_t c1 = p.x.shape[last], c2 = p.z.shape[last], cy = c1 + c2;
    const int64_t rows = cy == 0 ? 0 : numel(p.y) / cy;
    const float *x = static_cast<const float *>(p.x.data);
    const float *z = static_cast<const float *>(p.z.data);
    float *y = static_cast<float *>(p.y.data);
    const int threads = threads_for(e, rows * cy);
    parallel_region(threads, [&] {
#pragma omp for schedule(static)
        for (int64_t r = 0; r < rows; ++r) {
            std::memcpy(y + r * cy, x + r * c1, size_t(c1) * sizeof(float));
            std::memcpy(y + r * cy + c1, z + r * c2, size_t(c2) * sizeof(float));
        }
    });
    return KN_OK;
}

}  // namespace kinema::cpu
