// abi_linear_test - kn_linear and kn_conv3d refuse bad input with a status and a message naming the
// argument, never a crash, and accept the documented in-place residual.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "abi_test_util.h"
#include "kinema.h"

static void test_linear(kn_context ctx) {
    std::vector<float> x(2 * 3 * 4, 1.0f), w(6 * 4, 0.5f), b(6, 0.25f), gate(2 * 6, 2.0f), y(2 * 3 * 6, 0.0f);
    std::vector<float> res(2 * 3 * 6, 1.0f);
    auto valid = [&] {
        kn_linear_params p{};
        p.x = dense(x.data(), {2, 3, 4});
        p.w = dense(w.data(), {6, 4});
        p.b = dense(b.data(), {6});
        p.gate = dense(gate.data(), {2, 6});
        p.y = dense(y.data(), {2, 3, 6});
        p.act = KN_ACT_NONE;
        return p;
    };
    kn_linear_params p = valid();
    expect(kn_linear(ctx, nullptr, &p) == KN_OK, "linear valid call runs");
    // (4 * 0.5 + 0.25) * 2 = 4.5 everywhere
    expect(y[0] == 4.5f && y[35] == 4.5f, "linear valid call computes (x@w.T + b) * gate");
    p.residual = p.y;
    std::copy(res.begin(), res.end(), y.begin());
    expect(kn_linear(ctx, nullptr, &p) == KN_OK && y[7] == 5.5f, "linear residual may be y itself");

    p = valid();
    p.act = 5;
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'act'", "linear act 5 refused");
    p = valid();
    p.act = -1;
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'act'", "linear act -1 refused");
    p = valid();
    p.x = dense(x.data(), {24});
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'x': expected rank 2..",
                 "linear rank-1 x refused");
    p = valid();
    p.w = dense(w.data(), {4, 6});
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'w': expected w.shape[1] == K",
                 "linear K mismatch refused");
    p = valid();
    p.b = dense(b.data(), {5});
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'b': expected shape [6]",
                 "linear bias length refused");
    p = valid();
    p.y = dense(y.data(), {2, 3, 5});
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'y': expected shape [2, 3, 6]",
                 "linear wrong y refused");
    p = valid();
    p.act = KN_ACT_GEGLU;
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'y': expected shape [2, 3, 3]",
                 "linear geglu wants y with N/2 columns");
    p = valid();
    p.w = dense(w.data(), {5, 4});
    p.b = kn_tensor{};
    p.gate = kn_tensor{};
    p.y = dense(y.data(), {2, 3, 2});
    p.act = KN_ACT_GEGLU;
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "expected an even N",
                 "linear geglu odd N refused");
    p = valid();
    p.gate = dense(gate.data(), {3, 6});
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'gate': expected shape [2, 6]",
                 "linear gate batch mismatch refused");
    p = valid();
    p.residual = dense(res.data(), {2, 3, 5});
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'residual'",
                 "linear residual shape refused");
    p = valid();
    p.b.dtype = KN_DTYPE_F16;
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'b': expected dtype f32",
                 "linear mixed dtypes refused");
    p = valid();
    p.y = dense(x.data(), {2, 3, 6});  // overlaps x
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "disjoint from 'x'", "linear y over x refused");
    p = valid();
    p.y = dense(gate.data(), {1, 2, 6});
    p.x = dense(x.data(), {1, 2, 4});
    p.gate = dense(gate.data(), {1, 6});
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "disjoint from 'gate'",
                 "linear y over gate refused");
    p = valid();
    p.residual = dense(y.data() + 1, {2, 3, 6});
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "exactly the same tensor",
                 "linear residual partly overlapping y refused");
    p = valid();
    p.x.strides[2] = 2;
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "contiguous", "linear strided x refused");
    p = valid();
    p.w.data = nullptr;
    expect_error(kn_linear(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'w': expected a tensor",
                 "linear NULL w refused");
    expect_error(kn_linear(ctx, nullptr, nullptr), KN_ERR_INVALID_ARGUMENT, "kn_linear: argument 'params'",
                 "linear NULL params refused");
    expect_error(kn_linear(nullptr, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "ctx", "linear NULL context refused");
}

static void test_conv3d(kn_context ctx) {
    std::vector<float> x(1 * 2 * 3 * 3 * 2, 1.0f), w(4 * 2 * 3 * 3 * 3, 1.0f), b(4, 0.0f), y(1 * 2 * 3 * 3 * 4);
    auto valid = [&] {
        kn_conv3d_params p{};
        p.x = dense(x.data(), {1, 2, 3, 3, 2});
        p.w = dense(w.data(), {4, 2, 3, 3, 3});
        p.b = dense(b.data(), {4});
        p.y = dense(y.data(), {1, 2, 3, 3, 4});
        return p;
    };
    kn_conv3d_params p = valid();
    expect(kn_conv3d(ctx, nullptr, &p) == KN_OK, "conv3d valid call runs");
    // Corner (t=0, h=0, w=0): 2 frames x 2 rows x 2 columns in range x 2 channels = 16 ones.
    expect(y[0] == 16.0f, "conv3d corner sums only in-range taps");
    p = valid();
    p.w = dense(w.data(), {4, 2, 2, 3, 3});
    expect_error(kn_conv3d(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "expected odd kernel sizes",
                 "conv3d even kt refused");
    p = valid();
    p.w = dense(w.data(), {4, 3, 3, 3, 2});
    expect_error(kn_conv3d(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "w.shape[1] == Ci", "conv3d Ci mismatch refused");
    p = valid();
    p.w = dense(w.data(), {4, 2, 1, 3, 0});
    expect_error(kn_conv3d(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "expected odd kernel sizes",
                 "conv3d zero kw refused");
    p = valid();
    p.y = dense(y.data(), {1, 2, 3, 3, 3});
    expect_error(kn_conv3d(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'y': expected shape [1, 2, 3, 3, 4]",
                 "conv3d wrong y refused");
    p = valid();
    p.residual = dense(y.data(), {1, 2, 3, 3, 4});
    p.residual.data = y.data() + 4;
    expect_error(kn_conv3d(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "'residual'",
                 "conv3d residual partly overlapping y refused");
    p = valid();
    p.b = dense(b.data(), {3});
    expect_error(kn_conv3d(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'b'", "conv3d bias length refused");
    p = valid();
    p.x = dense(x.data(), {2, 3, 3, 2});
    expect_error(kn_conv3d(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'x': expected rank 5",
                 "conv3d rank-4 x refused");
    p = valid();
    p.y.dtype = 7;
    expect_error(kn_conv3d(ctx, nullptr, &p), KN_ERR_INVALID_ARGUMENT, "argument 'y': expected dtype",
                 "conv3d unknown dtype refused");
    expect_error(kn_conv3d(ctx, nullptr, nullptr), KN_ERR_INVALID_ARGUMENT, "kn_conv3d: argument 'params'",
                 "conv3d NULL params refused");
}

int main() {
    kn_context ctx = nullptr;
    if (kn_context_create(KN_BACKEND_CPU, 0, &ctx) != KN_OK) {
        std::printf("FAIL: cpu context: %s\n", kn_last_error());
        return 1;
    }
    test_linear(ctx);
    test_conv3d(ctx);
    kn_context_destroy(ctx);
    std::printf("%s (%d failures)\n", failures ? "FAILED" : "ALL PASSED", failures);
    return failures ? 1 : 0;
}
