// layer_norm_test.cpp - the cpu layer_norm on every SIMD path against naive float64 loops of OPS.md's
// formula: odd C (masked tails), ranks 2..5, optional gamma/beta/shift/scale in every combination,
// in place, large-mean rows, and a closed form (a two-valued row normalizes to +-1).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "norm_ops.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

int64_t product(const std::vector<int64_t> &shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

kn_tensor dense_shape(void *data, const std::vector<int64_t> &shape) {
    kn_tensor t{};
    t.data = data;
    t.dtype = KN_DTYPE_F32;
    t.rank = int32_t(shape.size());
    int64_t stride = 1;
    for (int i = t.rank - 1; i >= 0; --i) t.shape[i] = shape[size_t(i)], t.strides[i] = stride, stride *= shape[size_t(i)];
    return t;
}

std::vector<double> reference(const std::vector<int64_t> &shape, const std::vector<float> &x, const float *gamma,
                              const float *beta, const float *shift, const float *scale, double eps) {
    const int64_t C = shape.back(), rows = product(shape) / C, per_batch = rows / shape[0];
    std::vector<double> y(x.size());
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t b = r / per_batch;
        double mean = 0, var = 0;
        for (int64_t c = 0; c < C; ++c) mean += x[size_t(r * C + c)];
        mean /= double(C);
        for (int64_t c = 0; c < C; ++c) var += (x[size_t(r * C + c)] - mean) * (x[size_t(r * C + c)] - mean);
        var /= double(C);
        for (int64_t c = 0; c < C; ++c) {
            double v = (x[size_t(r * C + c)] - mean) / std::sqrt(var + eps);
            if (gamma) v *= gamma[c];
            if (beta) v += beta[c];
            if (shift || scale) v = v * (1 + (scale ? scale[b * C + c] : 0.0)) + (shift ? shift[b * C + c] : 0.0);
            y[size_t(r * C + c)] = v;
        }
    }
    return y;
}

// `optional` bits: 1 gamma, 2 beta, 4 shift, 8 scale.
void run_case(Report &report, cpu::Isa isa, const std::vector<int64_t> &shape, int optional, bool in_place,
              uint32_t seed, float offset = 0.0f) {
    const int64_t n = product(shape), C = shape.back(), B = shape[0];
    auto x = random_values(n, seed);
    for (auto &v : x) v = v * 1.7f + offset;
    const auto gamma = random_values(C, seed + 1), beta = random_values(C, seed + 2);
    const auto shift = random_values(B * C, seed + 3), scale = random_values(B * C, seed + 4);
    const float *g = optional & 1 ? gamma.data() : nullptr, *be = optional & 2 ? beta.data() : nullptr;
    const float *sh = optional & 4 ? shift.data() : nullptr, *sc = optional & 8 ? scale.data() : nullptr;
    const double eps = 1e-6;
    const auto want = reference(shape, x, g, be, sh, sc, eps);

    Guarded y_buffer(n, 777.0f), x_buffer(n);
    float *xin = x_buffer.data();
    for (int64_t i = 0; i < n; ++i) xin[i] = x[size_t(i)];
    kn_layer_norm_params p{};
    p.x = dense_shape(xin, shape);
    p.gamma = g ? dense(const_cast<float *>(g), {C}) : absent();
    p.beta = be ? dense(const_cast<float *>(be), {C}) : absent();
    p.shift = sh ? dense(const_cast<float *>(sh), {B, C}) : absent();
    p.scale = sc ? dense(const_cast<float *>(sc), {B, C}) : absent();
    p.y = in_place ? p.x : dense_shape(y_buffer.data(), shape);
    p.eps = eps;

    std::string name = std::string("layer_norm ") + cpu::isa_name(isa) + " [";
    for (size_t i = 0; i < shape.size(); ++i) name += (i ? "," : "") + std::to_string(shape[i]);
    name += "] opt" + std::to_string(optional) + (in_place ? " y=x" : "") + (offset != 0 ? " mean1000" : "");
    const kn_exec e{0, 2, nullptr};
    if (!report.expect(name + " status", cpu::layer_norm(e, p, isa) == KN_OK, last_error())) return;
    report.close(name, in_place ? xin : y_buffer.data(), want);
    report.expect(name + " writes only y", y_buffer.intact() && x_buffer.intact());
}

// A row of C/2 values a and C/2 values b has mean (a+b)/2 and std |a-b|/2: y = -1 and +1 (eps ~ 0).
void two_valued(Report &report, cpu::Isa isa) {
    const int64_t C = 50;
    std::vector<float> x(size_t(2 * C));
    std::vector<double> want(x.size());
    for (int64_t i = 0; i < 2 * C; ++i) {
        x[size_t(i)] = (i % C) < C / 2 ? 999.0f : 1003.0f;
        want[size_t(i)] = (i % C) < C / 2 ? -1.0 : 1.0;
    }
    Guarded y(2 * C);
    kn_layer_norm_params p{};
    p.x = dense(x.data(), {2, C}), p.y = dense(y.data(), {2, C}), p.eps = 1e-12;
    report.expect(std::string("layer_norm two-valued status ") + cpu::isa_name(isa),
                  cpu::layer_norm(kn_exec{0, 1, nullptr}, p, isa) == KN_OK, last_error());
    report.close(std::string("layer_norm two-valued rows give -1/+1 ") + cpu::isa_name(isa), y.data(), want);
}

}  // namespace

int main() {
    Report report;
    for (cpu::Isa isa : supported_isas()) {
        for (int optional = 0; optional < 16; ++optional) run_case(report, isa, {2, 5, 37}, optional, false, 10u + optional);
        run_case(report, isa, {3, 1}, 3, false, 40);  // C = 1: every output is beta
        run_case(report, isa, {2, 3, 4, 16}, 15, true, 41);
        run_case(report, isa, {1, 2, 3, 4, 100}, 12, false, 42);
        run_case(report, isa, {4, 77, 1152}, 15, false, 43);  // DiT width, threads
        run_case(report, isa, {2, 64, 320}, 15, true, 44, 1000.0f);
        run_case(report, isa, {2, 7, 9}, 0, false, 45, 1000.0f);
        two_valued(report, isa);
    }
    return report.finish();
}
