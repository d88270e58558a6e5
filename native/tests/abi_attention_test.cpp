// abi_attention_test - kn_temporal_attention refuses bad input with KN_ERR_INVALID_ARGUMENT and a message
// naming the argument, never a crash, and runs a valid call to the right numbers (T = 1: y == v).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "abi_test_util.h"
#include "kinema.h"

// Every refusal names the op as well as the argument.
static void expect_refused(int32_t status, const char *needle, const char *what) {
    expect_error(status, KN_ERR_INVALID_ARGUMENT, needle, what, "kn_temporal_attention");
}

int main() {
    kn_context ctx = nullptr;
    if (kn_context_create(KN_BACKEND_CPU, 0, &ctx) != KN_OK) {
        std::printf("FAIL: cpu context: %s\n", kn_last_error());
        return 1;
    }
    // q, k, v, y [1,3,2,2,8], heads 2, rel_bias [2, 5] (Tmax 3).
    std::vector<float> q(96, 0.5f), k(96, 0.25f), v(96), y(96), bias(10, 0.1f);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(i) * 0.01f;
    const std::vector<int64_t> shape = {1, 3, 2, 2, 8};
    auto valid = [&]() {
        kn_temporal_attention_params p{};
        p.q = dense(q.data(), shape);
        p.k = dense(k.data(), shape);
        p.v = dense(v.data(), shape);
        p.rel_bias = dense(bias.data(), {2, 5});
        p.y = dense(y.data(), shape);
        p.scale = 0.5;
        p.heads = 2;
        p.Tmax = 3;
        return p;
    };
    kn_temporal_attention_params p = valid();
    expect(kn_temporal_attention(ctx, nullptr, &p) == KN_OK, "valid call succeeds");
    expect_refused(kn_temporal_attention(ctx, nullptr, nullptr), "params", "NULL params refused");
    p.q.data = nullptr;
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'q'", "NULL q refused");
    p = valid();
    p.k = dense(k.data(), {1, 2, 2, 2, 8});
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'k'", "k of another shape refused");
    p = valid();
    p.v.dtype = KN_DTYPE_BF16;
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'v'", "v of another dtype refused");
    p = valid();
    p.q.strides[4] = 2;
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "strides", "strided q refused");
    p = valid();
    p.heads = 3;
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'heads'", "heads not dividing C refused");
    p.heads = 0;
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'heads'", "heads 0 refused");
    p = valid();
    p.window = -2;
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'window'", "negative window refused");
    p = valid();
    p.causal = 7;
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'causal'", "causal 7 refused");
    p = valid();
    p.scale = NAN;
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'scale'", "NaN scale refused");
    p = valid();
    p.Tmax = 2;
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'Tmax'", "Tmax < T refused");
    p = valid();
    p.Tmax = 4;  // rel_bias must then be [2, 7]
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'rel_bias'", "rel_bias of the wrong length refused");
    p = valid();
    p.y = dense(v.data() + 8, shape);
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'y'", "y overlapping v refused");
    p = valid();
    p.y = dense(q.data(), shape);
    expect_refused(kn_temporal_attention(ctx, nullptr, &p), "'q'", "y == q refused");

    // T = 1: the only frame attends to itself, so y == v exactly.
    std::vector<float> q1(16, 3.0f), v1(16), y1(16, -1.0f), b1(2, 5.0f);
    for (size_t i = 0; i < v1.size(); ++i) v1[i] = float(i) - 7.5f;
    kn_temporal_attention_params one{};
    one.q = dense(q1.data(), {1, 1, 2, 1, 8});
    one.k = one.q;
    one.v = dense(v1.data(), {1, 1, 2, 1, 8});
    one.rel_bias = dense(b1.data(), {2, 1});
    one.y = dense(y1.data(), {1, 1, 2, 1, 8});
    one.scale = 0.3;
    one.heads = 2;
    one.Tmax = 1;
    expect(kn_temporal_attention(ctx, nullptr, &one) == KN_OK && y1 == v1, "T = 1 gives y == v");
    kn_context_destroy(ctx);
    std::printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
