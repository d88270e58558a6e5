// abi_frame_attention_test - kn_attention refuses bad input with KN_ERR_INVALID_ARGUMENT and a message
// naming the argument, never a crash, and runs a valid call to the right numbers (one key: y == v).
#include <cstdio>
#include <vector>

#include "abi_test_util.h"
#include "kinema.h"

static void expect_refused(int32_t status, const char *needle, const char *what) {
    expect_error(status, KN_ERR_INVALID_ARGUMENT, needle, what, "kn_attention");
}

int main() {
    kn_context ctx = nullptr;
    if (kn_context_create(KN_BACKEND_CPU, 0, &ctx) != KN_OK) {
        std::printf("FAIL: cpu context: %s\n", kn_last_error());
        return 1;
    }
    // q, y [1,3,4,2,8]; k, v [1,3,5,2,8].
    std::vector<float> q(192, 0.5f), k(240, 0.25f), v(240, 1.0f), y(192), ctxkv(96, 0.1f);
    const std::vector<int64_t> qs = {1, 3, 4, 2, 8}, ks = {1, 3, 5, 2, 8};
    auto valid = [&]() {
        kn_attention_params p{};
        p.q = dense(q.data(), qs);
        p.k = dense(k.data(), ks);
        p.v = dense(v.data(), ks);
        p.y = dense(y.data(), qs);
        p.scale = 0.5;
        p.kv_frames = KN_KV_FRAMES_SAME;
        return p;
    };
    kn_attention_params p = valid();
    expect(kn_attention(ctx, nullptr, &p) == KN_OK, "valid call succeeds");
    expect_refused(kn_attention(ctx, nullptr, nullptr), "params", "NULL params refused");
    p = valid();
    p.kv_frames = 5;
    expect_refused(kn_attention(ctx, nullptr, &p), "kv_frames", "kv_frames 5 refused");
    p = valid();
    p.kv_frames = -1;
    expect_refused(kn_attention(ctx, nullptr, &p), "kv_frames", "kv_frames -1 refused");
    p = valid();
    p.q.data = nullptr;
    expect_refused(kn_attention(ctx, nullptr, &p), "'q'", "NULL q refused");
    p = valid();
    p.k = dense(k.data(), {1, 2, 5, 2, 8});
    p.v = dense(v.data(), {1, 2, 5, 2, 8});
    expect_refused(kn_attention(ctx, nullptr, &p), "Tk = T", "same with Tk != T refused");
    p.kv_frames = KN_KV_FRAMES_SPARSE_CAUSAL;
    expect_refused(kn_attention(ctx, nullptr, &p), "Tk = T", "sparse_causal with Tk != T refused");
    p.kv_frames = KN_KV_FRAMES_ALL;
    expect(kn_attention(ctx, nullptr, &p) == KN_OK, "all with Tk != T accepted");
    p = valid();
    p.k = dense(k.data(), {1, 3, 5, 1, 16});
    expect_refused(kn_attention(ctx, nullptr, &p), "'k'", "k with other heads refused");
    p = valid();
    p.k = dense(k.data(), {1, 3, 0, 2, 8});
    p.v = dense(v.data(), {1, 3, 0, 2, 8});
    expect_refused(kn_attention(ctx, nullptr, &p), "Nk >= 1", "no keys refused");
    p = valid();
    p.v = dense(v.data(), {1, 3, 4, 2, 8});
    expect_refused(kn_attention(ctx, nullptr, &p), "'v'", "v shaped unlike k refused");
    p = valid();
    p.kv_frames = KN_KV_FRAMES_CONTEXT;
    expect_refused(kn_attention(ctx, nullptr, &p), "rank 4", "context with rank-5 k refused");
    p.k = dense(ctxkv.data(), {1, 6, 2, 8});
    p.v = dense(ctxkv.data(), {1, 6, 2, 8});
    expect(kn_attention(ctx, nullptr, &p) == KN_OK, "context with [B,L,heads,D] accepted");
    p = valid();
    p.y.dtype = KN_DTYPE_F16;
    expect_refused(kn_attention(ctx, nullptr, &p), "'y'", "y dtype mismatch refused");
    p = valid();
    p.scale = 1.0 / 0.0;
    expect_refused(kn_attention(ctx, nullptr, &p), "scale", "infinite scale refused");
    p = valid();
    p.y = dense(v.data(), qs);
    expect_refused(kn_attention(ctx, nullptr, &p), "'v'", "y overlapping v refused");
    p = valid();
    p.y.strides[4] = 2;
    expect_refused(kn_attention(ctx, nullptr, &p), "strides", "strided y refused");

    // One key (context L = 1): softmax is 1, so every query row gets that value row exactly.
    std::vector<float> q1(24, 3.0f), k1(4, -2.0f), v1 = {0.5f, -1.25f, 2.0f, 3.5f}, y1(24, -1.0f), want(24);
    for (size_t i = 0; i < want.size(); ++i) want[i] = v1[i % 4];
    kn_attention_params one{};
    one.q = dense(q1.data(), {1, 2, 3, 1, 4});
    one.k = dense(k1.data(), {1, 1, 1, 4});
    one.v = dense(v1.data(), {1, 1, 1, 4});
    one.y = dense(y1.data(), {1, 2, 3, 1, 4});
    one.scale = 0.7;
    one.kv_frames = KN_KV_FRAMES_CONTEXT;
    expect(kn_attention(ctx, nullptr, &one) == KN_OK && y1 == want, "one key gives y == v");
    kn_context_destroy(ctx);
    std::printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
