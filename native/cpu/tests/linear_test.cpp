// linear_test.cpp - the cpu linear on every SIMD path against float64 loops written from OPS.md.
#include <cmath>
#include <cstdio>
#include <string>

#include "linear_ops.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

struct Case {
    int64_t batch, seq, k, n;
    int act;
    bool bias, gate, residual, residual_is_y;
};

const char *act_name(int act) {
    static const char *names[] = {"none", "gelu", "gelu_tanh", "silu", "geglu"};
    return names[act];
}

double activate(int act, double v) {
    switch (act) {
        case KN_ACT_GELU: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
        case KN_ACT_GELU_TANH:
            return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
        case KN_ACT_SILU: return v / (1.0 + std::exp(-v));
        default: return v;
    }
}

// h = x @ w.T + b; geglu: a * gelu(g) over the two halves; * gate[b]; + residual.
std::vector<double> reference(const Case &c, const std::vector<float> &x, const std::vector<float> &w,
                              const float *b, const float *gate, const float *residual) {
    const int64_t rows = c.batch * c.seq, n_out = c.act == KN_ACT_GEGLU ? c.n / 2 : c.n;
    std::vector<double> y(size_t(rows * n_out));
    std::vector<double> h(size_t(c.n));
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < c.n; ++j) {
            double acc = b != nullptr ? b[j] : 0.0;
            for (int64_t i = 0; i < c.k; ++i) acc += double(x[size_t(r * c.k + i)]) * w[size_t(j * c.k + i)];
            h[size_t(j)] = acc;
        }
        for (int64_t j = 0; j < n_out; ++j) {
            double v = c.act == KN_ACT_GEGLU ? h[size_t(j)] * activate(KN_ACT_GELU, h[size_t(n_out + j)])
                                             : activate(c.act, h[size_t(j)]);
            if (gate != nullptr) v *= gate[(r / c.seq) * n_out + j];
            if (residual != nullptr) v += residual[r * n_out + j];
            y[size_t(r * n_out + j)] = v;
        }
    }
    return y;
}

void run_case(Report &report, const Case &c, cpu::Isa isa, uint32_t seed) {
    const int64_t rows = c.batch * c.seq, n_out = c.act == KN_ACT_GEGLU ? c.n / 2 : c.n;
    auto x = random_values(rows * c.k, seed);
    for (auto &v : x) v *= 2.0f;  // pre-activations of a few units, where the activations bend
    const auto w = random_values(c.n * c.k, seed + 1);
    const auto b = random_values(c.n, seed + 2);
    const auto gate = random_values(c.batch * n_out, seed + 3);
    const auto r = random_values(rows * n_out, seed + 4);
    const bool has_residual = c.residual || c.residual_is_y;
    const auto want = reference(c, x, w, c.bias ? b.data() : nullptr, c.gate ? gate.data() : nullptr,
                                has_residual ? r.data() : nullptr);
    Guarded y(rows * n_out, 777.0f);
    if (c.residual_is_y)
        for (int64_t i = 0; i < rows * n_out; ++i) y.data()[i] = r[size_t(i)];

    kn_linear_params p{};
    p.x = dense(x.data(), {c.batch, c.seq, c.k});
    p.w = dense(const_cast<float *>(w.data()), {c.n, c.k});
    p.b = c.bias ? dense(const_cast<float *>(b.data()), {c.n}) : absent();
    p.gate = c.gate ? dense(const_cast<float *>(gate.data()), {c.batch, n_out}) : absent();
    p.y = dense(y.data(), {c.batch, c.seq, n_out});
    p.residual = c.residual_is_y ? p.y
                 : c.residual    ? dense(const_cast<float *>(r.data()), {c.batch, c.seq, n_out})
                                 : absent();
    p.act = c.act;
    char name[200];
    std::snprintf(name, sizeof name, "linear %s B%lld S%lld K%lld N%lld %s%s%s%s", cpu::isa_name(isa),
                  (long long)c.batch, (long long)c.seq, (long long)c.k, (long long)c.n, act_name(c.act),
                  c.bias ? " bias" : "", c.gate ? " gate" : "",
                  c.residual_is_y ? " residual=y" : c.residual ? " residual" : "");
    const kn_exec e{0, 2, nullptr};
    if (!report.expect(std::string(name) + " status", cpu::linear(e, p, isa) == KN_OK, last_error())) return;
    report.close(name, y.data(), want);
    report.expect(std::string(name) + " writes only y", y.intact());
}

}  // namespace

int main() {
    Report report;
    std::vector<Case> cases;
    for (int act = KN_ACT_NONE; act <= KN_ACT_GEGLU; ++act) {
        // {B, S, K, N}, act, bias, gate, residual, residual is y
        cases.push_back({2, 7, 5, 6, act, true, true, true, false});
        cases.push_back({1, 33, 17, 42, act, false, false, false, false});
        cases.push_back({3, 11, 64, 96, act, true, true, false, true});
        cases.push_back({2, 50, 320, 320, act, true, false, true, false});
        cases.push_back({1, 1, 3, 2, act, true, true, true, false});
    }
    cases.push_back({2, 300, 40, 64, KN_ACT_NONE, true, false, false, true});   // rows past one chunk
    cases.push_back({5, 3, 8, 80, KN_ACT_GEGLU, true, true, false, false});     // batches inside a tile
    cases.push_back({2, 5, 0, 6, KN_ACT_SILU, true, true, true, false});        // K = 0: epilogue of b only
    cases.push_back({2, 0, 4, 6, KN_ACT_GELU, true, true, false, false});       // no rows
    uint32_t seed = 1;
    for (cpu::Isa isa : supported_isas())
        for (const Case &c : cases) run_case(report, c, isa, seed += 10);

    kn_linear_params p{};
    float dummy[8] = {};
    p.x = dense(dummy, {1, 1});
    p.x.dtype = KN_DTYPE_F16;
    p.w = dense(dummy, {1, 1});
    p.y = dense(dummy, {1, 1});
    clear_error();
    const kn_exec e{0, 1, nullptr};
    report.expect("linear refuses f16", cpu::linear(e, p, cpu::best_isa()) == KN_ERR_UNSUPPORTED &&
                                            last_error().find("'x'") != std::string::npos,
                  last_error());
    return report.finish();
}
