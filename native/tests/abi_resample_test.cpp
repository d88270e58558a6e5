// abi_resample_test - kn_upsample_nearest, kn_patchify, kn_unpatchify, kn_alpha_blend,
// kn_timestep_embedding and kn_concat refuse bad input with a status and a message naming the op and the argument,
// never a crash; valid calls on the cpu backend give the values OPS.md defines.
#include <cmath>
#include <cstdio>
#include <vector>

#include "abi_test_util.h"

namespace {

void upsample(kn_context ctx) {
    const char *op = "kn_upsample_nearest";
    std::vector<float> x(2 * 3 * 2), y(4 * 6 * 2, -1.0f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);
    auto valid = [&] {
        kn_upsample_nearest_params p{};
        p.x = dense(x.data(), {1, 1, 2, 3, 2});
        p.y = dense(y.data(), {1, 1, 4, 6, 2});
        return p;
    };
    kn_upsample_nearest_params p = valid();
    expect(kn_upsample_nearest(ctx, nullptr, &p) == KN_OK, "upsample_nearest: valid call succeeds");
    // y[0,0,3,5,1] = x[0,0,1,2,1] = 11; y[0,0,0,1,0] = x[0,0,0,0,0] = 0.
    expect(y[((3 * 6) + 5) * 2 + 1] == 11.0f && y[1 * 2] == 0.0f && y[(2 * 6 + 2) * 2] == x[(1 * 3 + 1) * 2],
           "upsample_nearest: y[i,j] = x[i/2,j/2]");
    expect_error(kn_upsample_nearest(ctx, nullptr, nullptr), "'params'", "upsample_nearest: NULL params");
    p = valid(), p.y = dense(y.data(), {1, 1, 4, 5, 2});
    expect_error(kn_upsample_nearest(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'y': expected shape [1, 1, 4, 6, 2]",
                 "upsample_nearest: y of the wrong width", op);
    p = valid(), p.x = dense(x.data(), {1, 2, 3, 2});
    expect_error(kn_upsample_nearest(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'x': expected rank 5",
                 "upsample_nearest: rank 4 x", op);
    p = valid(), p.y = dense(x.data(), {1, 1, 4, 6, 2});
    expect_error(kn_upsample_nearest(ctx, nullptr, &p), "disjoint from 'x'", "upsample_nearest: y overlapping x");
    p = valid(), p.y.dtype = KN_DTYPE_F16;
    expect_error(kn_upsample_nearest(ctx, nullptr, &p), "'y': expected dtype f32", "upsample_nearest: mixed dtypes");
}

void patches(kn_context ctx) {
    // x[1,1,4,6,3] with p = 2: y[1,1,6,12].
    std::vector<float> x(4 * 6 * 3), y(6 * 12), back(x.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);
    auto valid = [&] {
        kn_patch_params p{};
        p.x = dense(x.data(), {1, 1, 4, 6, 3});
        p.y = dense(y.data(), {1, 1, 6, 12});
        p.p = 2;
        return p;
    };
    kn_patch_params p = valid();
    expect(kn_patchify(ctx, nullptr, &p) == KN_OK, "patchify: valid call succeeds");
    // Token 4 = patch (hp 1, wp 1); feature (ph 1, pw 0, c 2) = 8 comes from x[h 3, w 2, c 2].
    expect(y[4 * 12 + 8] == x[(3 * 6 + 2) * 3 + 2] && y[0] == x[0] && y[5] == x[5] && y[6] == x[6 * 3],
           "patchify: token (hp,wp), feature (ph,pw,c) = x[hp*p+ph, wp*p+pw, c]");
    kn_patch_params u{};
    u.x = dense(y.data(), {1, 1, 6, 12});
    u.y = dense(back.data(), {1, 1, 4, 6, 3});
    u.p = 2;
    expect(kn_unpatchify(ctx, nullptr, &u) == KN_OK && back == x, "unpatchify(patchify(x)) == x");

    const char *op = "kn_patchify";
    expect_error(kn_patchify(ctx, nullptr, nullptr), "'params'", "patchify: NULL params");
    p = valid(), p.p = 0;
    expect_error(kn_patchify(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'p': expected >= 1", "patchify: p = 0", op);
    p = valid(), p.p = 4;
    expect_error(kn_patchify(ctx, nullptr, &p), "'p': expected a divisor of x's H and W (4, 6)", "patchify: p = 4 does not divide W");
    p = valid(), p.p = 3;
    expect_error(kn_patchify(ctx, nullptr, &p), "'p': expected a divisor", "patchify: p = 3 does not divide H");
    p = valid(), p.y = dense(y.data(), {1, 1, 12, 6});
    expect_error(kn_patchify(ctx, nullptr, &p), "'y': expected shape [1, 1, 6, 12]", "patchify: y transposed");
    p = valid(), p.y = dense(y.data(), {1, 1, 6, 3, 4});
    expect_error(kn_patchify(ctx, nullptr, &p), "'y': expected rank 4", "patchify: rank 5 y");
    p = valid(), p.y = dense(x.data() + 1, {1, 1, 6, 12});
    expect_error(kn_patchify(ctx, nullptr, &p), "disjoint from 'x'", "patchify: y overlapping x");

    op = "kn_unpatchify";
    auto uvalid = [&] {
        kn_patch_params q{};
        q.x = dense(y.data(), {1, 1, 6, 12});
        q.y = dense(back.data(), {1, 1, 4, 6, 3});
        q.p = 2;
        return q;
    };
    u = uvalid(), u.x = dense(y.data(), {1, 1, 5, 12});
    expect_error(kn_unpatchify(ctx, nullptr, &u), KN_ERR_INVALID_ARGUMENT, "'x': expected shape [1, 1, 6, 12]",
                 "unpatchify: N != (H/p)*(W/p)", op);
    u = uvalid(), u.x = dense(y.data(), {1, 1, 6, 11});
    expect_error(kn_unpatchify(ctx, nullptr, &u), "p*p*C", "unpatchify: last dim != p*p*C");
    u = uvalid(), u.y = dense(back.data(), {1, 1, 4, 5, 3});
    expect_error(kn_unpatchify(ctx, nullptr, &u), "'p': expected a divisor of y's H and W (4, 5)", "unpatchify: W odd");
    u = uvalid(), u.p = -1;
    expect_error(kn_unpatchify(ctx, nullptr, &u), "'p': expected >= 1", "unpatchify: p = -1");
    u = uvalid(), u.y = dense(y.data(), {1, 1, 4, 6, 3});
    expect_error(kn_unpatchify(ctx, nullptr, &u), "disjoint from 'x'", "unpatchify: y is x");
}

void blend(kn_context ctx) {
    const char *op = "kn_alpha_blend";
    std::vector<float> xs = {1, 2, 3, 4, 5, 6}, xt = {-1, 0, 1, 10, 20, 30}, y(6);
    float mix = 0.25f;
    auto valid = [&] {
        kn_alpha_blend_params p{};
        p.x_spatial = dense(xs.data(), {2, 3});
        p.x_temporal = dense(xt.data(), {2, 3});
        p.mix = dense(&mix, {1});
        p.y = dense(y.data(), {2, 3});
        p.mode = KN_BLEND_FIXED;
        return p;
    };
    kn_alpha_blend_params p = valid();
    expect(kn_alpha_blend(ctx, nullptr, &p) == KN_OK, "alpha_blend: valid call succeeds");
    bool ok = true;
    for (size_t i = 0; i < 6; ++i) ok = ok && std::fabs(y[i] - (0.25f * xs[i] + 0.75f * xt[i])) < 1e-6f;
    expect(ok, "alpha_blend fixed: y = 0.25 xs + 0.75 xt");
    std::vector<float> inplace = xt;
    p = valid(), p.x_temporal = dense(inplace.data(), {2, 3}), p.y = p.x_temporal, p.mode = KN_BLEND_LEARNED;
    expect(kn_alpha_blend(ctx, nullptr, &p) == KN_OK, "alpha_blend: y == x_temporal accepted");
    const double a = 1.0 / (1.0 + std::exp(-0.25));
    ok = true;
    for (size_t i = 0; i < 6; ++i) ok = ok && std::fabs(inplace[i] - (a * xs[i] + (1 - a) * xt[i])) < 1e-5;
    expect(ok, "alpha_blend learned in place: alpha = sigmoid(mix)");

    expect_error(kn_alpha_blend(ctx, nullptr, nullptr), "'params'", "alpha_blend: NULL params");
    p = valid(), p.mode = 2;
    expect_error(kn_alpha_blend(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'mode'", "alpha_blend: mode 2", op);
    p = valid(), p.x_temporal = dense(xt.data(), {3, 2});
    expect_error(kn_alpha_blend(ctx, nullptr, &p), "'x_temporal': expected shape [2, 3]", "alpha_blend: shapes differ");
    p = valid(), p.mix = dense(xs.data(), {2});
    expect_error(kn_alpha_blend(ctx, nullptr, &p), "'mix': expected shape [1]", "alpha_blend: mix of 2");
    p = valid(), p.mix.data = nullptr;
    expect_error(kn_alpha_blend(ctx, nullptr, &p), "'mix'", "alpha_blend: NULL mix");
    p = valid(), p.y = dense(y.data(), {6});
    expect_error(kn_alpha_blend(ctx, nullptr, &p), "'y': expected shape [2, 3]", "alpha_blend: y reshaped");
    p = valid(), p.y = dense(xs.data() + 1, {2, 3});
    expect_error(kn_alpha_blend(ctx, nullptr, &p), "disjoint from 'x_spatial'", "alpha_blend: y partly over x_spatial");
    {
        std::vector<float> arena(8);
        p = valid(), p.y = dense(arena.data(), {2, 3}), p.mix = dense(arena.data() + 5, {1});
        expect_error(kn_alpha_blend(ctx, nullptr, &p), "disjoint from 'mix'", "alpha_blend: y covering mix");
    }
    p = valid(), p.mix.dtype = KN_DTYPE_BF16;
    expect_error(kn_alpha_blend(ctx, nullptr, &p), "'mix': expected dtype f32", "alpha_blend: mix dtype differs");
}

void embedding(kn_context ctx) {
    const char *op = "kn_timestep_embedding";
    std::vector<float> t = {0.0f, 10.0f, 999.0f}, y(3 * 8);
    auto valid = [&] {
        kn_timestep_embedding_params p{};
        p.t = dense(t.data(), {3});
        p.y = dense(y.data(), {3, 8});
        p.dim = 8;
        p.flip_sin_to_cos = 1;
        p.downscale_freq_shift = 0.0;
        p.max_period = 10000.0;
        return p;
    };
    kn_timestep_embedding_params p = valid();
    expect(kn_timestep_embedding(ctx, nullptr, &p) == KN_OK, "timestep_embedding: valid call succeeds");
    // flip: cos first. Row 1, i = 1: freq = 10000^(-1/4) = 0.1, arg = 1.
    expect(y[0] == 1.0f && y[4] == 0.0f && std::fabs(y[8 + 1] - std::cos(1.0f)) < 1e-6f &&
               std::fabs(y[8 + 4 + 1] - std::sin(1.0f)) < 1e-6f,
           "timestep_embedding: [cos, sin] with freq_i = 10000^(-i/4)");
    expect_error(kn_timestep_embedding(ctx, nullptr, nullptr), "'params'", "timestep_embedding: NULL params");
    p = valid(), p.dim = 7;
    expect_error(kn_timestep_embedding(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'dim': expected an even number",
                 "timestep_embedding: odd dim", op);
    p = valid(), p.dim = 0;
    expect_error(kn_timestep_embedding(ctx, nullptr, &p), "'dim'", "timestep_embedding: dim 0");
    p = valid(), p.downscale_freq_shift = 4.0;
    expect_error(kn_timestep_embedding(ctx, nullptr, &p), "'downscale_freq_shift': expected a value other than dim/2 = 4",
                 "timestep_embedding: half - shift = 0");
    p = valid(), p.downscale_freq_shift = NAN;
    expect_error(kn_timestep_embedding(ctx, nullptr, &p), "'downscale_freq_shift': expected a finite", "timestep_embedding: NaN shift");
    p = valid(), p.max_period = 0.0;
    expect_error(kn_timestep_embedding(ctx, nullptr, &p), "'max_period': expected a finite number > 0", "timestep_embedding: max_period 0");
    p = valid(), p.flip_sin_to_cos = 2;
    expect_error(kn_timestep_embedding(ctx, nullptr, &p), "'flip_sin_to_cos': expected 0 or 1", "timestep_embedding: flag 2");
    p = valid(), p.y = dense(y.data(), {3, 6});
    expect_error(kn_timestep_embedding(ctx, nullptr, &p), "'y': expected shape [3, 8]", "timestep_embedding: y of dim 6");
    p = valid(), p.t = dense(t.data(), {3, 1});
    expect_error(kn_timestep_embedding(ctx, nullptr, &p), "'t': expected rank 1", "timestep_embedding: rank 2 t");
    p = valid(), p.y = dense(t.data(), {3, 8});
    expect_error(kn_timestep_embedding(ctx, nullptr, &p), "disjoint from 't'", "timestep_embedding: y over t");
}

void concat(kn_context ctx) {
    const char *op = "kn_concat";
    // x[2,3] and z[2,2] -> y[2,5].
    std::vector<float> x = {1, 2, 3, 4, 5, 6}, z = {-1, -2, -3, -4}, y(10, 0.0f);
    auto valid = [&] {
        kn_concat_params p{};
        p.x = dense(x.data(), {2, 3});
        p.z = dense(z.data(), {2, 2});
        p.y = dense(y.data(), {2, 5});
        return p;
    };
    kn_concat_params p = valid();
    expect(kn_concat(ctx, nullptr, &p) == KN_OK, "concat: valid call succeeds");
    expect(y == std::vector<float>({1, 2, 3, -1, -2, 4, 5, 6, -3, -4}), "concat: y rows = [x row, z row]");
    expect_error(kn_concat(ctx, nullptr, nullptr), "'params'", "concat: NULL params");
    p = valid(), p.z = dense(z.data(), {1, 4});
    expect_error(kn_concat(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'z': expected shape [2, 4]",
                 "concat: z with other leading dims", op);
    p = valid(), p.z = dense(z.data(), {4});
    expect_error(kn_concat(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'z': expected shape [2, 4] (x's leading dims",
                 "concat: z of another rank", op);
    p = valid(), p.y = dense(y.data(), {2, 4});
    expect_error(kn_concat(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'y': expected shape [2, 5]",
                 "concat: y without room for C1 + C2", op);
    p = valid(), p.x = dense(x.data(), {});
    expect_error(kn_concat(ctx, nullptr, &p), "'x': expected rank 1..8", "concat: rank 0 x");
    p = valid(), p.z.dtype = KN_DTYPE_BF16;
    expect_error(kn_concat(ctx, nullptr, &p), "'z': expected dtype f32", "concat: mixed dtypes");
    p = valid(), p.y = dense(x.data(), {2, 5});  // refused before anything is written
    expect_error(kn_concat(ctx, nullptr, &p), "disjoint from 'x'", "concat: y overlapping x");
    std::vector<float> arena(16);
    p = valid(), p.z = dense(arena.data(), {2, 2}), p.y = dense(arena.data() + 2, {2, 5});
    expect_error(kn_concat(ctx, nullptr, &p), "disjoint from 'z'", "concat: y overlapping z");
    p = valid(), p.x.dtype = KN_DTYPE_F16, p.z.dtype = KN_DTYPE_F16, p.y.dtype = KN_DTYPE_F16;
    expect(kn_concat(ctx, nullptr, &p) == KN_ERR_UNSUPPORTED, "concat: f16 on cpu is KN_ERR_UNSUPPORTED");
}

}  // namespace

int main() {
    kn_context ctx = nullptr;
    if (kn_context_create(KN_BACKEND_CPU, 0, &ctx) != KN_OK) {
        std::printf("FAIL: cpu context: %s\n", kn_last_error());
        return 1;
    }
    kn_upsample_nearest_params g{};
    expect_error(kn_upsample_nearest(nullptr, nullptr, &g), "'ctx'", "NULL context");
    upsample(ctx);
    patches(ctx);
    blend(ctx);
    embedding(ctx);
    concat(ctx);
    kn_context_destroy(ctx);
    std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
