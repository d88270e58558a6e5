// abi_norm_test - kn_group_norm and kn_layer_norm refuse bad input with a status and a message that
// names the argument, never a crash; a valid call (in place included) succeeds on the cpu backend.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "abi_test_util.h"
#include "kinema.h"

// x[1,2,3,2,8] with 4 groups.
static void test_group_norm(kn_context ctx) {
    std::vector<float> x(96), y(96), gamma(8, 1.0f), beta(8, 0.0f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) - 3.0f;
    auto valid = [&] {
        kn_group_norm_params p{};
        p.x = dense(x.data(), {1, 2, 3, 2, 8});
        p.gamma = dense(gamma.data(), {8});
        p.beta = dense(beta.data(), {8});
        p.y = dense(y.data(), {1, 2, 3, 2, 8});
        p.eps = 1e-5;
        p.groups = 4;
        return p;
    };
    kn_group_norm_params p = valid();
    expect(kn_group_norm(ctx, nullptr, &p) == KN_OK, "group_norm: valid call succeeds");
    double mean = 0;
    for (int i = 0; i < 96; i += 8) mean += y[size_t(i)] + y[size_t(i) + 1];
    expect(std::fabs(mean / 24) < 1e-5, "group_norm: group 0 of y has mean 0");

    expect_error(kn_group_norm(ctx, nullptr, nullptr), "'params'", "group_norm: NULL params");
    p = valid(), p.x.data = nullptr;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'x'", "group_norm: NULL x");
    p = valid(), p.gamma.data = nullptr;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'gamma'", "group_norm: gamma is required");
    p = valid(), p.x = dense(x.data(), {2, 3, 2, 8});
    expect_error(kn_group_norm(ctx, nullptr, &p), "expected rank 5", "group_norm: rank-4 x");
    p = valid(), p.gamma = dense(gamma.data(), {4});
    expect_error(kn_group_norm(ctx, nullptr, &p), "'gamma': expected shape [8]", "group_norm: gamma of wrong size");
    p = valid(), p.y = dense(y.data(), {1, 2, 3, 2, 4});
    expect_error(kn_group_norm(ctx, nullptr, &p), "'y': expected shape", "group_norm: y of wrong shape");
    p = valid(), p.groups = 3;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'groups'", "group_norm: groups not dividing C");
    p = valid(), p.groups = 0;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'groups'", "group_norm: zero groups");
    p = valid(), p.eps = 0;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'eps'", "group_norm: eps 0");
    p = valid(), p.eps = NAN;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'eps'", "group_norm: eps NaN");
    p = valid(), p.per_frame = 2;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'per_frame'", "group_norm: per_frame 2");
    p = valid(), p.silu = -1;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'silu'", "group_norm: silu -1");
    p = valid(), p.beta.dtype = KN_DTYPE_F16;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'beta': expected dtype f32", "group_norm: mixed dtypes");
    p = valid(), p.x.dtype = 9;
    expect_error(kn_group_norm(ctx, nullptr, &p), "'x': expected dtype", "group_norm: unknown dtype");
    p = valid(), p.x.strides[4] = 2;
    expect_error(kn_group_norm(ctx, nullptr, &p), "contiguous strides", "group_norm: strided x");
    p = valid(), p.y = dense(x.data() + 1, {1, 2, 3, 2, 8});
    expect_error(kn_group_norm(ctx, nullptr, &p), "disjoint from 'x'", "group_norm: y partly overlapping x");
    p = valid(), p.y = dense(gamma.data(), {1, 1, 1, 1, 8});
    expect_error(kn_group_norm(ctx, nullptr, &p), "'y': expected shape", "group_norm: y over gamma (shape)");
    p = valid(), p.y = p.x;
    expect(kn_group_norm(ctx, nullptr, &p) == KN_OK, "group_norm: y == x (in place) accepted");
}

// x[2,3,8], adaLN shift/scale [2,8].
static void test_layer_norm(kn_context ctx) {
    std::vector<float> x(48), y(48), gamma(8, 1.0f), beta(8, 0.0f), shift(16, 0.5f), scale(16, 0.0f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 5) + 1000.0f;
    auto valid = [&] {
        kn_layer_norm_params p{};
        p.x = dense(x.data(), {2, 3, 8});
        p.gamma = dense(gamma.data(), {8});
        p.beta = dense(beta.data(), {8});
        p.shift = dense(shift.data(), {2, 8});
        p.scale = dense(scale.data(), {2, 8});
        p.y = dense(y.data(), {2, 3, 8});
        p.eps = 1e-6;
        return p;
    };
    kn_layer_norm_params p = valid();
    expect(kn_layer_norm(ctx, nullptr, &p) == KN_OK, "layer_norm: valid call succeeds");
    double mean = 0;
    for (int i = 0; i < 8; ++i) mean += y[size_t(i)];
    expect(std::fabs(mean / 8 - 0.5) < 1e-5, "layer_norm: row 0 of y has mean shift = 0.5");
    p = valid(), p.gamma.data = nullptr, p.beta.data = nullptr, p.shift.data = nullptr, p.scale.data = nullptr;
    expect(kn_layer_norm(ctx, nullptr, &p) == KN_OK, "layer_norm: every optional input absent");

    expect_error(kn_layer_norm(ctx, nullptr, nullptr), "'params'", "layer_norm: NULL params");
    p = valid(), p.x = dense(x.data(), {48});
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'x': expected rank 2..8", "layer_norm: rank-1 x");
    p = valid(), p.y.data = nullptr;
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'y'", "layer_norm: NULL y");
    p = valid(), p.gamma = dense(gamma.data(), {7});
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'gamma': expected shape [8]", "layer_norm: gamma of wrong size");
    p = valid(), p.beta = dense(beta.data(), {1, 8});
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'beta': expected rank 1", "layer_norm: beta of rank 2");
    p = valid(), p.shift = dense(shift.data(), {1, 8});
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'shift': expected shape [2, 8]", "layer_norm: shift of 1 batch");
    p = valid(), p.scale = dense(scale.data(), {2, 4});
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'scale': expected shape [2, 8]", "layer_norm: scale of wrong C");
    p = valid(), p.scale.dtype = KN_DTYPE_BF16;
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'scale': expected dtype f32", "layer_norm: mixed dtypes");
    p = valid(), p.y = dense(y.data(), {2, 24});
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'y': expected shape [2, 3, 8]", "layer_norm: y reshaped");
    p = valid(), p.eps = -1;
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'eps'", "layer_norm: negative eps");
    p = valid(), p.eps = INFINITY;
    expect_error(kn_layer_norm(ctx, nullptr, &p), "'eps'", "layer_norm: infinite eps");
    p = valid(), p.y = dense(x.data() + 8, {2, 3, 8});
    expect_error(kn_layer_norm(ctx, nullptr, &p), "disjoint from 'x'", "layer_norm: y shifted over x");
    {
        std::vector<float> arena(48 + 16);
        p = valid();
        p.y = dense(arena.data(), {2, 3, 8});
        p.shift = dense(arena.data() + 40, {2, 8});
        expect_error(kn_layer_norm(ctx, nullptr, &p), "disjoint from 'shift'", "layer_norm: y overlapping shift");
    }
    p = valid(), p.y = p.x;
    expect(kn_layer_norm(ctx, nullptr, &p) == KN_OK, "layer_norm: y == x (in place) accepted");
}

int main() {
    kn_context ctx = nullptr;
    if (kn_context_create(KN_BACKEND_CPU, 0, &ctx) != KN_OK) {
        std::printf("FAIL: cpu context: %s\n", kn_last_error());
        return 1;
    }
    kn_group_norm_params gp{};
    expect_error(kn_group_norm(nullptr, nullptr, &gp), "'ctx'", "group_norm: NULL context");
    test_group_norm(ctx);
    test_layer_norm(ctx);
    kn_context_destroy(ctx);
    std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
