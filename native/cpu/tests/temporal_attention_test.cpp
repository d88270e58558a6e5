// temporal_attention_test.cpp - the cpu temporal_attention on every SIMD path against OPS.md's
// formula in float64 (full T x T scores, two-pass softmax), at odd shapes and all mask options;
// both kernels of each SIMD path (lane groups while T * D <= 4096, columns beyond).
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

struct Case {
    int64_t batch, frames, h, w;
    int heads, dim, window, causal, tmax;
    bool bias;
};

std::vector<double> reference(const Case &c, double scale, const float *q, const float *k, const float *v,
                              const float *bias) {
    const int64_t C = int64_t(c.heads) * c.dim, P = c.h * c.w, T = c.frames;
    std::vector<double> y(static_cast<size_t>(c.batch * T * P * C));
    std::vector<double> s(static_cast<size_t>(T));
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t p = 0; p < P; ++p)
            for (int64_t hd = 0; hd < c.heads; ++hd) {
                const auto at = [&](int64_t t, int64_t d) { return ((b * T + t) * P + p) * C + hd * c.dim + d; };
                for (int64_t i = 0; i < T; ++i) {
                    double max = -std::numeric_limits<double>::infinity();
                    for (int64_t j = 0; j < T; ++j) {
                        const bool masked = (c.causal && j > i) || (c.window > 0 && std::llabs(i - j) > c.window);
                        double dot = 0;
                        for (int64_t d = 0; d < c.dim; ++d) dot += double(q[at(i, d)]) * double(k[at(j, d)]);
                        s[size_t(j)] = masked ? -std::numeric_limits<double>::infinity()
                                              : dot * scale + (bias ? double(bias[hd * (2 * c.tmax - 1) + j - i + c.tmax - 1]) : 0.0);
                        max = std::fmax(max, s[size_t(j)]);
                    }
                    double sum = 0;
                    for (int64_t j = 0; j < T; ++j) sum += std::exp(s[size_t(j)] - max);
                    for (int64_t d = 0; d < c.dim; ++d) {
                        double acc = 0;
                        for (int64_t j = 0; j < T; ++j) acc += std::exp(s[size_t(j)] - max) / sum * double(v[at(j, d)]);
                        y[size_t(at(i, d))] = acc;
                    }
                }
            }
    return y;
}

void run_case(Report &report, cpu::Isa isa, const Case &c, uint32_t seed, float magnitude = 1.0f) {
    const int64_t C = int64_t(c.heads) * c.dim, n = c.batch * c.frames * c.h * c.w * C;
    auto q = random_values(n, seed), k = random_values(n, seed + 1), v = random_values(n, seed + 2);
    auto bias = random_values(int64_t(c.heads) * (2 * c.tmax - 1), seed + 3);
    for (float &x : q) x *= magnitude;  // large logits exercise the running max
    const double scale = 1.0 / std::sqrt(double(c.dim));
    const auto want = reference(c, scale, q.data(), k.data(), v.data(), c.bias ? bias.data() : nullptr);
    Guarded y(n, 777.0f);
    kn_temporal_attention_params p{};
    p.q = dense(q.data(), {c.batch, c.frames, c.h, c.w, C});
    p.k = dense(k.data(), {c.batch, c.frames, c.h, c.w, C});
    p.v = dense(v.data(), {c.batch, c.frames, c.h, c.w, C});
    p.rel_bias = c.bias ? dense(bias.data(), {c.heads, 2 * c.tmax - 1}) : absent();
    p.y = dense(y.data(), {c.batch, c.frames, c.h, c.w, C});
    p.scale = scale;
    p.heads = c.heads;
    p.window = c.window;
    p.causal = c.causal;
    p.Tmax = c.tmax;
    char name[200];
    std::snprintf(name, sizeof name,
                  "temporal_attention %s B%lld T%lld %lldx%lld heads%d D%d window%d%s%s Tmax%d%s", cpu::isa_name(isa),
                  (long long)c.batch, (long long)c.frames, (long long)c.h, (long long)c.w, c.heads, c.dim, c.window,
                  c.causal ? " causal" : "", c.bias ? " bias" : "", c.tmax, magnitude != 1.0f ? " large-logits" : "");
    const kn_exec e{0, 2, nullptr};
    if (!report.expect(std::string(name) + " status", cpu::temporal_attention(e, p, isa) == KN_OK, last_error())) return;
    report.close(name, y.data(), want);
    report.expect(std::string(name) + " writes only y", y.intact());
}

}  // namespace

int main() {
    Report report;
    const Case cases[] = {
        {1, 16, 4, 4, 8, 40, 0, 0, 16, false},  {1, 16, 3, 5, 2, 64, 0, 1, 16, true},
        {2, 5, 3, 3, 2, 80, 0, 0, 8, true},     {1, 7, 2, 3, 1, 128, 2, 0, 7, false},
        {1, 1, 3, 3, 3, 8, 0, 0, 1, true},      {1, 3, 5, 1, 2, 24, 1, 0, 3, true},
        {1, 3, 2, 2, 4, 8, 0, 1, 6, true},      {1, 37, 2, 3, 2, 24, 5, 1, 40, true},
        {1, 20, 2, 2, 2, 17, 0, 0, 20, false},  {2, 9, 11, 13, 2, 40, 3, 0, 12, true},
        {1, 33, 1, 2, 1, 3, 0, 1, 33, false},   {1, 0, 2, 2, 2, 8, 0, 0, 1, false},
        // Many full lane groups plus a partial one per batch, lanes spanning heads and positions.
        {2, 12, 5, 7, 4, 16, 2, 1, 14, true},   {1, 16, 6, 6, 8, 40, 0, 0, 16, true},
        // T * D past the lane kernels' limit (4096): the column kernels.
        {1, 40, 2, 3, 1, 128, 0, 0, 40, true},  {1, 33, 1, 3, 2, 136, 4, 1, 35, false},
    };
    uint32_t seed = 1;
    for (cpu::Isa isa : supported_isas()) {
        for (const Case &c : cases) run_case(report, isa, c, seed += 10);
        run_case(report, isa, {1, 24, 2, 2, 2, 40, 0, 0, 24, true}, seed += 10, 30.0f);
    }
    float dummy[8] = {};
    kn_temporal_attention_params p{};
    p.q = dense(dummy, {1, 1, 1, 1, 8});
    p.q.dtype = KN_DTYPE_F16;
    p.k = p.v = p.q;
    p.y = dense(dummy, {1, 1, 1, 1, 8});
    p.heads = 1;
    p.Tmax = 1;
    clear_error();
    const kn_exec e{0, 1, nullptr};
    report.expect("temporal_attention refuses f16",
                  cpu::temporal_attention(e, p, cpu::best_isa()) == KN_ERR_UNSUPPORTED &&
                      last_error().find("'q'") != std::string::npos,
                  last_error());
    return report.finish();
}
