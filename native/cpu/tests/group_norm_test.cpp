// group_norm_test.cpp - the cpu group_norm on every SIMD path against naive float64 loops of
// OPS.md's formula: odd channel counts (masked tails), groups of 1..C channels, per-frame statistics,
// SiLU, in place, large-mean data, and a closed form (constant groups normalize to beta).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "norm_ops.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

struct Shape {
    int64_t B, T, H, W, C;
    int64_t numel() const { return B * T * H * W * C; }
};

std::vector<double> reference(const Shape &s, const std::vector<float> &x, const std::vector<float> &gamma,
                              const std::vector<float> &beta, int groups, double eps, bool per_frame, bool silu) {
    std::vector<double> y(size_t(s.numel()));
    const int64_t cg = s.C / groups, HW = s.H * s.W;
    const int64_t domains = per_frame ? s.B * s.T : s.B, positions = per_frame ? HW : s.T * HW;
    for (int64_t d = 0; d < domains; ++d)
        for (int64_t g = 0; g < groups; ++g) {
            double sum = 0;
            for (int64_t p = 0; p < positions; ++p)
                for (int64_t c = g * cg; c < (g + 1) * cg; ++c) sum += x[size_t((d * positions + p) * s.C + c)];
            const double mean = sum / double(positions * cg);
            double var = 0;
            for (int64_t p = 0; p < positions; ++p)
                for (int64_t c = g * cg; c < (g + 1) * cg; ++c) {
                    const double v = x[size_t((d * positions + p) * s.C + c)] - mean;
                    var += v * v;
                }
            var /= double(positions * cg);
            for (int64_t p = 0; p < positions; ++p)
                for (int64_t c = g * cg; c < (g + 1) * cg; ++c) {
                    const size_t i = size_t((d * positions + p) * s.C + c);
                    double v = (x[i] - mean) / std::sqrt(var + eps) * gamma[size_t(c)] + beta[size_t(c)];
                    if (silu) v = v / (1 + std::exp(-v));
                    y[i] = v;
                }
        }
    return y;
}

void run_case(Report &report, cpu::Isa isa, const Shape &s, int groups, bool per_frame, bool silu, bool in_place,
              uint32_t seed, float offset = 0.0f, int threads = 2) {
    auto x = random_values(s.numel(), seed);
    for (auto &v : x) v = v * 1.7f + offset;  // offset 1000 with std ~1: the large-mean case
    const auto gamma = random_values(s.C, seed + 1), beta = random_values(s.C, seed + 2);
    const double eps = 1e-5;
    const auto want = reference(s, x, gamma, beta, groups, eps, per_frame, silu);

    Guarded y_buffer(s.numel(), 777.0f), x_buffer(s.numel());
    float *xin = x_buffer.data();
    for (int64_t i = 0; i < s.numel(); ++i) xin[i] = x[size_t(i)];
    kn_group_norm_params p{};
    p.x = dense(xin, {s.B, s.T, s.H, s.W, s.C});
    p.gamma = dense(const_cast<float *>(gamma.data()), {s.C});
    p.beta = dense(const_cast<float *>(beta.data()), {s.C});
    p.y = in_place ? p.x : dense(y_buffer.data(), {s.B, s.T, s.H, s.W, s.C});
    p.eps = eps, p.groups = groups, p.per_frame = per_frame, p.silu = silu;

    char name[200];
    std::snprintf(name, sizeof name, "group_norm %s [%lld,%lld,%lld,%lld,%lld] g%d%s%s%s%s t%d", cpu::isa_name(isa),
                  (long long)s.B, (long long)s.T, (long long)s.H, (long long)s.W, (long long)s.C, groups,
                  per_frame ? " per-frame" : "", silu ? " silu" : "", in_place ? " y=x" : "",
                  offset != 0 ? " mean1000" : "", threads);
    const kn_exec e{0, threads, nullptr};
    if (!report.expect(std::string(name) + " status", cpu::group_norm(e, p, isa) == KN_OK, last_error())) return;
    report.close(name, in_place ? xin : y_buffer.data(), want);
    report.expect(std::string(name) + " writes only y", y_buffer.intact() && x_buffer.intact());
}

// Every value of a group equal: variance 0, so y = beta exactly (rstd = 1/sqrt(eps) times 0).
void constant_groups(Report &report, cpu::Isa isa) {
    const int64_t C = 12, n = 2 * 3 * 4 * 5 * C;
    std::vector<float> x(static_cast<size_t>(n)), gamma(static_cast<size_t>(C), 2.0f), beta(static_cast<size_t>(C));
    for (int64_t i = 0; i < n; ++i) x[size_t(i)] = float((i % C) / 4) * 3.0f - 2.0f;  // constant per group of 4
    for (int64_t c = 0; c < C; ++c) beta[size_t(c)] = 0.25f * float(c);
    std::vector<double> want(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) want[size_t(i)] = beta[size_t(i % C)];
    Guarded y(n);
    kn_group_norm_params p{};
    p.x = dense(x.data(), {2, 3, 4, 5, C});
    p.gamma = dense(gamma.data(), {C});
    p.beta = dense(beta.data(), {C});
    p.y = dense(y.data(), {2, 3, 4, 5, C});
    p.eps = 1e-6, p.groups = 3;
    const kn_exec e{0, 2, nullptr};
    report.expect(std::string("group_norm constant groups status ") + cpu::isa_name(isa),
                  cpu::group_norm(e, p, isa) == KN_OK, last_error());
    report.close(std::string("group_norm constant groups give beta ") + cpu::isa_name(isa), y.data(), want);
}

}  // namespace

int main() {
    Report report;
    for (cpu::Isa isa : supported_isas()) {
        run_case(report, isa, {1, 2, 3, 3, 8}, 4, false, false, false, 1);
        run_case(report, isa, {2, 3, 5, 7, 40}, 8, false, false, false, 2);   // 5 channels per group
        run_case(report, isa, {2, 3, 5, 7, 40}, 8, true, true, false, 3);
        run_case(report, isa, {1, 4, 6, 5, 37}, 37, false, true, false, 4);   // 1 channel per group, odd C
        run_case(report, isa, {1, 4, 6, 5, 37}, 1, true, false, true, 5);     // one group, in place
        run_case(report, isa, {1, 16, 8, 8, 64}, 32, false, true, false, 6);  // many chunks, threads
        run_case(report, isa, {1, 16, 8, 8, 64}, 32, true, false, true, 7, 0.0f, 1);
        run_case(report, isa, {2, 2, 9, 9, 24}, 6, false, false, false, 8, 1000.0f);
        run_case(report, isa, {2, 2, 9, 9, 24}, 6, true, true, false, 9, 1000.0f);
        run_case(report, isa, {1, 1, 1, 1, 16}, 4, false, false, false, 10);   // one position
        run_case(report, isa, {1, 3, 33, 35, 320}, 32, false, true, false, 11);
        constant_groups(report, isa);
    }
    // Empty tensors are a valid no-op.
    kn_group_norm_params p{};
    float dummy[4] = {0, 0, 0, 0};
    p.x = dense(dummy, {1, 0, 2, 2, 4}), p.y = p.x, p.gamma = dense(dummy, {4}), p.beta = dense(dummy, {4});
    p.eps = 1e-5, p.groups = 2;
    report.expect("group_norm empty T is a no-op", cpu::group_norm(kn_exec{0, 2, nullptr}, p, cpu::best_isa()) == KN_OK);
    return report.finish();
}
