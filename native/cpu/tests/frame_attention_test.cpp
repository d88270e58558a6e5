// frame_attention_test.cpp - the cpu `attention` op on every SIMD path against OPS.md's formula in
// float64 (the key/value frames of each frame concatenated explicitly, full score rows, two-pass
// softmax), in every kv_frames mode, at D in {40, 64, 80, 128} and odd D, token counts that are not
// tile multiples, T = 1, Tk != T, context lengths 1 and 77, and large logits.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "frame_attention.h"
#include "reference_ops.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

struct Case {
    int64_t batch, frames, queries, kv_frames, keys;  // kv_frames = L-only (1) for context
    int heads, dim, mode;
};

const char *mode_name(int mode) {
    static const char *names[] = {"same", "first", "sparse_causal", "all", "context"};
    return names[mode];
}

std::vector<double> reference(const Case &c, double scale, const std::vector<float> &q, const std::vector<float> &k,
                              const std::vector<float> &v) {
    const int64_t H = c.heads, D = c.dim;
    std::vector<double> y(q.size());
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t t = 0; t < c.frames; ++t)
            for (int64_t h = 0; h < H; ++h) {
                // Concatenate K(t), V(t) rows explicitly (the reference may; the kernels may not).
                std::vector<const float *> krows, vrows;
                for (int64_t f : kinema::ref::kv_frames_of(c.mode, t, c.kv_frames))
                    for (int64_t j = 0; j < c.keys; ++j) {
                        const int64_t at = (((b * c.kv_frames + f) * c.keys + j) * H + h) * D;
                        krows.push_back(&k[size_t(at)]);
                        vrows.push_back(&v[size_t(at)]);
                    }
                std::vector<double> s(krows.size());
                for (int64_t i = 0; i < c.queries; ++i) {
                    const int64_t qa = (((b * c.frames + t) * c.queries + i) * H + h) * D;
                    double max = -std::numeric_limits<double>::infinity();
                    for (size_t j = 0; j < krows.size(); ++j) {
                        double dot = 0;
                        for (int64_t d = 0; d < D; ++d) dot += double(q[size_t(qa + d)]) * double(krows[j][d]);
                        s[j] = dot * scale;
                        max = std::fmax(max, s[j]);
                    }
                    double sum = 0;
                    for (double x : s) sum += std::exp(x - max);
                    for (int64_t d = 0; d < D; ++d) {
                        double acc = 0;
                        for (size_t j = 0; j < krows.size(); ++j) acc += std::exp(s[j] - max) / sum * double(vrows[j][d]);
                        y[size_t(qa + d)] = acc;
                    }
                }
            }
    return y;
}

void run_case(Report &report, cpu::Isa isa, const Case &c, uint32_t seed, float magnitude = 1.0f) {
    const int64_t H = c.heads, D = c.dim;
    const int64_t nq = c.batch * c.frames * c.queries * H * D, nk = c.batch * c.kv_frames * c.keys * H * D;
    auto q = random_values(nq, seed), k = random_values(nk, seed + 1), v = random_values(nk, seed + 2);
    for (float &x : q) x *= magnitude;  // large logits exercise the running max across tiles
    const double scale = 1.0 / std::sqrt(double(D));
    const auto want = reference(c, scale, q, k, v);
    Guarded y(nq, 777.0f);
    kn_attention_params p{};
    p.q = dense(q.data(), {c.batch, c.frames, c.queries, H, D});
    if (c.mode == KN_KV_FRAMES_CONTEXT) {
        p.k = dense(k.data(), {c.batch, c.keys, H, D});
        p.v = dense(v.data(), {c.batch, c.keys, H, D});
    } else {
        p.k = dense(k.data(), {c.batch, c.kv_frames, c.keys, H, D});
        p.v = dense(v.data(), {c.batch, c.kv_frames, c.keys, H, D});
    }
    p.y = dense(y.data(), {c.batch, c.frames, c.queries, H, D});
    p.scale = scale;
    p.kv_frames = c.mode;
    char name[200];
    std::snprintf(name, sizeof name, "attention %s %s B%lld T%lld Nq%lld Tk%lld Nk%lld heads%d D%d%s",
                  cpu::isa_name(isa), mode_name(c.mode), (long long)c.batch, (long long)c.frames,
                  (long long)c.queries, (long long)c.kv_frames, (long long)c.keys, c.heads, c.dim,
                  magnitude != 1.0f ? " large-logits" : "");
    const kn_exec e{0, 2, nullptr};
    if (!report.expect(std::string(name) + " status", cpu::attention(e, p, isa) == KN_OK, last_error())) return;
    report.close(name, y.data(), want);
    report.expect(std::string(name) + " writes only y", y.intact());
}

}  // namespace

int main() {
    Report report;
    const Case cases[] = {
        // {B, T, Nq, Tk, Nk, heads, D, mode}
        {1, 2, 70, 2, 77, 2, 40, KN_KV_FRAMES_SAME},
        {2, 3, 64, 3, 64, 1, 64, KN_KV_FRAMES_SAME},
        {1, 2, 9, 2, 130, 2, 80, KN_KV_FRAMES_SAME},
        {1, 1, 65, 1, 129, 1, 128, KN_KV_FRAMES_SAME},
        {1, 2, 13, 2, 17, 3, 7, KN_KV_FRAMES_SAME},
        {1, 2, 5, 2, 3, 2, 1, KN_KV_FRAMES_SAME},
        {1, 4, 33, 3, 21, 2, 40, KN_KV_FRAMES_FIRST},
        {2, 3, 20, 1, 70, 1, 64, KN_KV_FRAMES_FIRST},
        {1, 4, 30, 4, 19, 2, 40, KN_KV_FRAMES_SPARSE_CAUSAL},
        {1, 1, 7, 1, 66, 1, 80, KN_KV_FRAMES_SPARSE_CAUSAL},
        {2, 3, 17, 3, 9, 1, 33, KN_KV_FRAMES_SPARSE_CAUSAL},
        {1, 3, 21, 5, 23, 2, 40, KN_KV_FRAMES_ALL},
        {1, 2, 70, 2, 64, 1, 128, KN_KV_FRAMES_ALL},
        {1, 1, 3, 4, 1, 1, 16, KN_KV_FRAMES_ALL},
        {1, 3, 40, 1, 77, 2, 64, KN_KV_FRAMES_CONTEXT},
        {2, 2, 19, 1, 1, 2, 40, KN_KV_FRAMES_CONTEXT},
        {1, 1, 66, 1, 77, 1, 80, KN_KV_FRAMES_CONTEXT},
    };
    for (cpu::Isa isa : supported_isas()) {
        uint32_t seed = 100;
        for (const Case &c : cases) run_case(report, isa, c, seed += 10);
        run_case(report, isa, {1, 2, 70, 2, 150, 1, 40, KN_KV_FRAMES_ALL}, 900, 12.0f);
        run_case(report, isa, {1, 3, 66, 3, 77, 2, 64, KN_KV_FRAMES_SPARSE_CAUSAL}, 910, 12.0f);
    }
    // Non-f32 is an error, not a crash.
    std::vector<float> buf(64, 0.0f), out(64, 0.0f);
    kn_attention_params p{};
    p.q = dense(buf.data(), {1, 1, 4, 1, 4});
    p.k = dense(buf.data(), {1, 1, 4, 1, 4});
    p.v = dense(buf.data(), {1, 1, 4, 1, 4});
    p.y = dense(out.data(), {1, 1, 4, 1, 4});
    p.q.dtype = p.k.dtype = p.v.dtype = p.y.dtype = KN_DTYPE_F16;
    p.scale = 0.5;
    const kn_exec e{0, 1, nullptr};
    report.expect("attention f16 refused", cpu::attention(e, p, cpu::best_isa()) == KN_ERR_UNSUPPORTED, last_error());
    return report.finish();
}
