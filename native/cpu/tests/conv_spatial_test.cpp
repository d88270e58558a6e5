// conv_spatial_test.cpp - the cpu conv_spatial on every SIMD path against the float64 reference.
#include <cstdio>
#include <string>

#include "reference.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

struct Case {
    ConvShape s;
    int k, stride;
    bool bias, residual, residual_is_y;
};

std::string describe(const Case &c, cpu::Isa isa) {
    char name[200];
    std::snprintf(name, sizeof name, "conv_spatial %s B%lld T%lld %lldx%lld Ci%lld Co%lld k%d s%d%s%s",
                  cpu::isa_name(isa), (long long)c.s.batch, (long long)c.s.frames, (long long)c.s.h,
                  (long long)c.s.w, (long long)c.s.ci, (long long)c.s.co, c.k, c.stride, c.bias ? " bias" : "",
                  c.residual_is_y ? " residual=y" : c.residual ? " residual" : "");
    return name;
}

void run_case(Report &report, const Case &c, cpu::Isa isa, uint32_t seed) {
    const ConvShape &s = c.s;
    const int64_t pad = c.k / 2;
    const int64_t oh = (s.h + 2 * pad - c.k) / c.stride + 1, ow = (s.w + 2 * pad - c.k) / c.stride + 1;
    const int64_t y_n = s.batch * s.frames * oh * ow * s.co;
    const auto x = random_values(s.batch * s.frames * s.h * s.w * s.ci, seed);
    const auto w = random_values(s.co * s.ci * c.k * c.k, seed + 1);
    const auto b = random_values(s.co, seed + 2);
    const auto r = random_values(y_n, seed + 3);
    const bool has_residual = c.residual || c.residual_is_y;
    const auto want = conv_spatial_reference(s, c.k, c.stride, x.data(), w.data(), c.bias ? b.data() : nullptr,
                                             has_residual ? r.data() : nullptr);

    Guarded y(y_n, 777.0f);  // stale values that must not leak into the result
    if (c.residual_is_y)
        for (int64_t i = 0; i < y_n; ++i) y.data()[i] = r[size_t(i)];

    kn_conv_spatial_params p{};
    p.x = dense(const_cast<float *>(x.data()), {s.batch, s.frames, s.h, s.w, s.ci});
    p.w = dense(const_cast<float *>(w.data()), {s.co, s.ci, 1, c.k, c.k});
    p.b = c.bias ? dense(const_cast<float *>(b.data()), {s.co}) : absent();
    p.y = dense(y.data(), {s.batch, s.frames, oh, ow, s.co});
    p.residual = c.residual_is_y ? p.y
                 : c.residual    ? dense(const_cast<float *>(r.data()), {s.batch, s.frames, oh, ow, s.co})
                                 : absent();
    p.stride = c.stride;
    const kn_exec e{0, 2, nullptr};
    const std::string name = describe(c, isa);
    if (!report.expect(name + " status", cpu::conv_spatial(e, p, isa) == KN_OK, last_error())) return;
    report.close(name, y.data(), want);
    report.expect(name + " writes only y", y.intact());
}

}  // namespace

int main() {
    Report report;
    const Case cases[] = {
        // {B, T, H, W, Ci, Co}, k, stride, bias, residual, residual is y
        {{1, 1, 7, 5, 3, 5}, 3, 1, true, false, false},
        {{2, 3, 7, 5, 3, 5}, 3, 2, true, true, false},
        {{1, 2, 9, 11, 4, 4}, 3, 2, false, false, true},
        {{1, 1, 1, 1, 3, 5}, 3, 1, true, true, false},
        {{1, 1, 2, 1, 3, 5}, 3, 2, true, false, false},
        {{1, 2, 8, 8, 128, 128}, 3, 1, true, false, true},
        {{1, 1, 6, 7, 128, 128}, 3, 2, true, true, false},
        {{1, 1, 5, 6, 128, 40}, 3, 1, false, true, false},
        {{1, 1, 5, 5, 40, 128}, 3, 1, true, false, false},
        {{1, 1, 4, 4, 320, 320}, 3, 1, true, false, true},
        {{1, 2, 32, 32, 128, 128}, 3, 1, true, true, false},  // the benchmark's frame size
        {{1, 1, 7, 9, 96, 320}, 3, 2, true, true, false},
        {{1, 2, 7, 5, 3, 5}, 1, 1, true, false, false},
        {{1, 2, 7, 5, 16, 33}, 1, 2, false, true, false},
        {{2, 2, 6, 10, 128, 128}, 1, 1, true, false, true},
        {{1, 1, 1, 1, 3, 5}, 1, 2, true, false, false},
        {{1, 1, 4, 4, 0, 5}, 3, 1, true, true, false},  // no input channels: bias + residual only
        {{1, 0, 4, 4, 3, 5}, 3, 1, true, false, false},  // no frames: nothing to do
    };
    uint32_t seed = 1;
    for (cpu::Isa isa : supported_isas()) {
        for (const Case &c : cases) run_case(report, c, isa, seed += 10);
        // Every row width from 1 to 31 (every tile size of every path) with a 32 + 16 channel split.
        for (int64_t w = 1; w <= 31; ++w)
            run_case(report, {{1, 1, 3, w, 5, 48}, 3, 1, true, true, false}, isa, seed += 10);
    }

    // Other dtypes are refused with a message that names the argument.
    kn_conv_spatial_params p{};
    float dummy[8] = {};
    p.x = dense(dummy, {1, 1, 1, 1, 1});
    p.x.dtype = KN_DTYPE_BF16;
    p.w = dense(dummy, {1, 1, 1, 1, 1});
    p.y = dense(dummy, {1, 1, 1, 1, 1});
    p.stride = 1;
    clear_error();
    const kn_exec e{0, 1, nullptr};
    report.expect("conv_spatial refuses bf16", cpu::conv_spatial(e, p, cpu::best_isa()) == KN_ERR_UNSUPPORTED &&
                                                   last_error().find("'x'") != std::string::npos,
                  last_error());
    return report.finish();
}
