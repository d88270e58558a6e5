// conv_temporal_test.cpp - the cpu conv_temporal on every SIMD path against the float64 reference.
#include <cstdio>
#include <string>

#include "reference.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

struct Case {
    ConvShape s;
    bool bias, residual, residual_is_y;
};

std::string describe(const Case &c, cpu::Isa isa) {
    char name[200];
    std::snprintf(name, sizeof name, "conv_temporal %s B%lld T%lld %lldx%lld Ci%lld Co%lld%s%s", cpu::isa_name(isa),
                  (long long)c.s.batch, (long long)c.s.frames, (long long)c.s.h, (long long)c.s.w, (long long)c.s.ci,
                  (long long)c.s.co, c.bias ? " bias" : "",
                  c.residual_is_y ? " residual=y" : c.residual ? " residual" : "");
    return name;
}

void run_case(Report &report, const Case &c, cpu::Isa isa, uint32_t seed) {
    const ConvShape &s = c.s;
    const int64_t y_n = s.batch * s.frames * s.h * s.w * s.co;
    const auto x = random_values(s.batch * s.frames * s.h * s.w * s.ci, seed);
    const auto w = random_values(s.co * s.ci * 3, seed + 1);
    const auto b = random_values(s.co, seed + 2);
    const auto r = random_values(y_n, seed + 3);
    const bool has_residual = c.residual || c.residual_is_y;
    const auto want = conv_temporal_reference(s, x.data(), w.data(), c.bias ? b.data() : nullptr,
                                              has_residual ? r.data() : nullptr);

    Guarded y(y_n, 777.0f);  // stale values that must not leak into the result
    if (c.residual_is_y)
        for (int64_t i = 0; i < y_n; ++i) y.data()[i] = r[size_t(i)];

    kn_conv_temporal_params p{};
    p.x = dense(const_cast<float *>(x.data()), {s.batch, s.frames, s.h, s.w, s.ci});
    p.w = dense(const_cast<float *>(w.data()), {s.co, s.ci, 3, 1, 1});
    p.b = c.bias ? dense(const_cast<float *>(b.data()), {s.co}) : absent();
    p.y = dense(y.data(), {s.batch, s.frames, s.h, s.w, s.co});
    p.residual = c.residual_is_y ? p.y
                 : c.residual    ? dense(const_cast<float *>(r.data()), {s.batch, s.frames, s.h, s.w, s.co})
                                 : absent();
    const kn_exec e{0, 2, nullptr};
    const std::string name = describe(c, isa);
    if (!report.expect(name + " status", cpu::conv_temporal(e, p, isa) == KN_OK, last_error())) return;
    report.close(name, y.data(), want);
    report.expect(name + " writes only y", y.intact());
}

}  // namespace

int main() {
    Report report;
    const Case cases[] = {
        // {B, T, H, W, Ci, Co}, bias, residual, residual is y
        {{1, 1, 7, 5, 3, 5}, true, false, false},  // T = 1: only the middle tap
        {{1, 2, 7, 5, 3, 5}, false, true, false},
        {{2, 5, 7, 5, 3, 5}, true, false, true},
        {{2, 3, 1, 1, 4, 4}, true, true, false},
        {{1, 4, 8, 8, 128, 128}, true, false, true},
        {{1, 3, 5, 7, 128, 40}, false, true, false},
        {{1, 3, 5, 5, 40, 128}, true, false, false},
        {{1, 3, 3, 5, 320, 320}, true, true, false},
        {{1, 5, 16, 15, 24, 56}, true, false, true},  // several pixel chunks per frame
        {{1, 3, 4, 4, 0, 5}, true, true, false},     // no input channels: bias + residual only
        {{0, 3, 4, 4, 3, 5}, true, false, false},    // empty batch: nothing to do
    };
    uint32_t seed = 1;
    for (cpu::Isa isa : supported_isas()) {
        for (const Case &c : cases) run_case(report, c, isa, seed += 10);
        // Every pixel count from 1 to 31 per frame (every tile size of every path), 32 + 16 channels.
        for (int64_t w = 1; w <= 31; ++w) run_case(report, {{1, 3, 1, w, 5, 48}, true, true, false}, isa, seed += 10);
    }

    kn_conv_temporal_params p{};
    float dummy[8] = {};
    p.x = dense(dummy, {1, 1, 1, 1, 1});
    p.x.dtype = KN_DTYPE_F16;
    p.w = dense(dummy, {1, 1, 3, 1, 1});
    p.y = dense(dummy, {1, 1, 1, 1, 1});
    clear_error();
    const kn_exec e{0, 1, nullptr};
    report.expect("conv_temporal refuses f16", cpu::conv_temporal(e, p, cpu::best_isa()) == KN_ERR_UNSUPPORTED &&
                                                   last_error().find("'x'") != std::string::npos,
                  last_error());
    return report.finish();
}
