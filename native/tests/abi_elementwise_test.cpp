// abi_elementwise_test - kn_elementwise refuses bad input with a status and a message that names the
// argument, never a crash; valid calls (broadcast z, in place) succeed on the cpu backend with the
// values OPS.md gives.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "abi_test_util.h"
#include "kinema.h"

int main() {
    kn_context ctx = nullptr;
    if (kn_context_create(KN_BACKEND_CPU, 0, &ctx) != KN_OK) {
        std::printf("FAIL: cpu context: %s\n", kn_last_error());
        return 1;
    }
    // x[2,3,4], z[3,4] or [4].
    std::vector<float> x(24), y(24), z(12), c(4);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i) - 10.0f;
    for (size_t i = 0; i < z.size(); ++i) z[i] = 0.5f * float(i);
    for (size_t i = 0; i < c.size(); ++i) c[i] = float(i + 1);
    auto valid = [&](int32_t op) {
        kn_elementwise_params p{};
        p.op = op;
        p.x = dense(x.data(), {2, 3, 4});
        p.z = dense(z.data(), {3, 4});
        p.y = dense(y.data(), {2, 3, 4});
        p.a = 2.0, p.b = -1.0;
        return p;
    };
    kn_elementwise_params p = valid(KN_ELEMENTWISE_SCALE_ADD);
    expect(kn_elementwise(ctx, nullptr, &p) == KN_OK, "scale_add: valid call succeeds");
    bool ok = true;
    for (size_t i = 0; i < 24; ++i) ok = ok && y[i] == 2.0f * x[i] - z[i % 12];
    expect(ok, "scale_add: y = 2x - z[i % 12]");
    p = valid(KN_ELEMENTWISE_MUL), p.z = dense(c.data(), {4});
    expect(kn_elementwise(ctx, nullptr, &p) == KN_OK, "mul: z of the last dim succeeds");
    ok = true;
    for (size_t i = 0; i < 24; ++i) ok = ok && y[i] == x[i] * c[i % 4];
    expect(ok, "mul: y = x * c[i % 4]");
    // Broadcast over the middle dims: z [2,1,4] pairs x[b,t,c] with z[b,0,c]; z [1,3,4] is the trailing form.
    p = valid(KN_ELEMENTWISE_ADD), p.z = dense(z.data(), {2, 1, 4});
    expect(kn_elementwise(ctx, nullptr, &p) == KN_OK, "add: z [2,1,4] broadcast over dim 1 succeeds");
    ok = true;
    for (size_t i = 0; i < 24; ++i) ok = ok && y[i] == x[i] + z[(i / 12) * 4 + i % 4];
    expect(ok, "add: y[b,t,c] = x[b,t,c] + z[b,0,c]");
    p = valid(KN_ELEMENTWISE_MUL), p.z = dense(z.data(), {2, 1, 1});
    expect(kn_elementwise(ctx, nullptr, &p) == KN_OK, "mul: z [2,1,1] (one factor per batch) succeeds");
    ok = true;
    for (size_t i = 0; i < 24; ++i) ok = ok && y[i] == x[i] * z[i / 12];
    expect(ok, "mul: y[b,t,c] = x[b,t,c] * z[b,0,0]");
    p = valid(KN_ELEMENTWISE_ADD), p.z = dense(z.data(), {2, 3, 1});
    expect(kn_elementwise(ctx, nullptr, &p) == KN_OK, "add: z [2,3,1] (one value per row) succeeds");
    ok = true;
    for (size_t i = 0; i < 24; ++i) ok = ok && y[i] == x[i] + z[i / 4];
    expect(ok, "add: y[b,t,c] = x[b,t,c] + z[b,t,0]");
    p = valid(KN_ELEMENTWISE_ADD), p.z = dense(z.data(), {1, 3, 4});
    expect(kn_elementwise(ctx, nullptr, &p) == KN_OK, "add: z [1,3,4] (a leading 1) succeeds");
    ok = true;
    for (size_t i = 0; i < 24; ++i) ok = ok && y[i] == x[i] + z[i % 12];
    expect(ok, "add: z [1,3,4] = z [3,4]");
    std::vector<float> inplace = x;
    p = valid(KN_ELEMENTWISE_ADD), p.x = dense(inplace.data(), {2, 3, 4}), p.y = p.x;
    expect(kn_elementwise(ctx, nullptr, &p) == KN_OK, "add: y == x (in place) accepted");
    ok = true;
    for (size_t i = 0; i < 24; ++i) ok = ok && inplace[i] == x[i] + z[i % 12];
    expect(ok, "add in place: x + z");
    p = valid(KN_ELEMENTWISE_SILU), p.z.data = nullptr;
    expect(kn_elementwise(ctx, nullptr, &p) == KN_OK, "silu: valid call succeeds");
    expect(std::fabs(y[10] - 0.0f) == 0.0f && std::fabs(y[11] - 1.0f / (1.0f + std::exp(-1.0f))) < 1e-6f,
           "silu: silu(0) = 0, silu(1) = sigmoid(1)");

    kn_elementwise_params g{};
    expect_error(kn_elementwise(nullptr, nullptr, &g), "'ctx'", "NULL context");
    expect_error(kn_elementwise(ctx, nullptr, nullptr), "'params'", "NULL params");
    p = valid(KN_ELEMENTWISE_ADD), p.op = 5;
    expect_error(kn_elementwise(ctx, nullptr, &p), "'op'", "op 5 unknown");
    p = valid(KN_ELEMENTWISE_ADD), p.op = -1;
    expect_error(kn_elementwise(ctx, nullptr, &p), "'op'", "op -1 unknown");
    p = valid(KN_ELEMENTWISE_ADD), p.x.data = nullptr;
    expect_error(kn_elementwise(ctx, nullptr, &p), "'x'", "NULL x");
    p = valid(KN_ELEMENTWISE_MUL), p.z.data = nullptr;
    expect_error(kn_elementwise(ctx, nullptr, &p), "'z'", "mul without z");
    p = valid(KN_ELEMENTWISE_GELU);
    expect_error(kn_elementwise(ctx, nullptr, &p), "'z': expected NULL", "gelu with a z");
    p = valid(KN_ELEMENTWISE_ADD), p.z = dense(z.data(), {4, 3});
    expect_error(kn_elementwise(ctx, nullptr, &p), "'z': expected a shape that broadcasts to x's shape [2, 3, 4]",
                 "z [4,3] does not broadcast to [2,3,4]");
    p = valid(KN_ELEMENTWISE_ADD), p.z = dense(z.data(), {1, 3, 1});
    expect_error(kn_elementwise(ctx, nullptr, &p), "got [1, 3, 1]", "z [1,3,1]: two runs of broadcast dims");
    p = valid(KN_ELEMENTWISE_ADD), p.z = dense(z.data(), {3, 3, 4});
    expect_error(kn_elementwise(ctx, nullptr, &p), "got [3, 3, 4]", "z [3,3,4]: a leading dim that is neither x's nor 1");
    p = valid(KN_ELEMENTWISE_ADD), p.z = dense(x.data(), {1, 2, 3, 4});
    expect_error(kn_elementwise(ctx, nullptr, &p), "'z': expected rank 0..3", "z of higher rank than x");
    p = valid(KN_ELEMENTWISE_ADD), p.y = dense(y.data(), {2, 12});
    expect_error(kn_elementwise(ctx, nullptr, &p), "'y': expected shape [2, 3, 4]", "y reshaped");
    p = valid(KN_ELEMENTWISE_ADD), p.z.dtype = KN_DTYPE_F16;
    expect_error(kn_elementwise(ctx, nullptr, &p), "'z': expected dtype f32", "mixed dtypes");
    p = valid(KN_ELEMENTWISE_ADD), p.x.dtype = 7;
    expect_error(kn_elementwise(ctx, nullptr, &p), "'x': expected dtype", "unknown dtype");
    p = valid(KN_ELEMENTWISE_ADD), p.x.strides[2] = 2;
    expect_error(kn_elementwise(ctx, nullptr, &p), "contiguous strides", "strided x");
    p = valid(KN_ELEMENTWISE_ADD), p.x.shape[0] = -2;
    expect_error(kn_elementwise(ctx, nullptr, &p), "non-negative", "negative size");
    p = valid(KN_ELEMENTWISE_ADD), p.x.rank = 9;
    expect_error(kn_elementwise(ctx, nullptr, &p), "'x': expected rank", "rank 9");
    p = valid(KN_ELEMENTWISE_SCALE_ADD), p.a = NAN;
    expect_error(kn_elementwise(ctx, nullptr, &p), "'a'", "scale_add a NaN");
    p = valid(KN_ELEMENTWISE_SCALE_ADD), p.b = INFINITY;
    expect_error(kn_elementwise(ctx, nullptr, &p), "'b'", "scale_add b infinite");
    p = valid(KN_ELEMENTWISE_ADD), p.y = dense(x.data() + 1, {2, 3, 4});
    expect_error(kn_elementwise(ctx, nullptr, &p), "disjoint from 'x'", "y partly overlapping x");
    {
        std::vector<float> arena(40);
        p = valid(KN_ELEMENTWISE_ADD);
        p.y = dense(arena.data(), {2, 3, 4});
        p.z = dense(arena.data() + 20, {3, 4});
        expect_error(kn_elementwise(ctx, nullptr, &p), "disjoint from 'z'", "y overlapping z");
        p.z = dense(arena.data(), {3, 4});
        expect_error(kn_elementwise(ctx, nullptr, &p), "disjoint from 'z'", "y starting at z");
    }
    kn_context_destroy(ctx);
    std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
