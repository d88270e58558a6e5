// conv3d_test.cpp - the cpu conv3d on every SIMD path against float64 loops written from OPS.md.
#include <cstdio>
#include <string>

#include "linear_ops.h"
#include "reference_ops.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

struct Case {
    int64_t b, t, h, w, ci, co;
    int kt, kh, kw;
    bool bias, residual, residual_is_y;
};

// OPS.md's conv3d (stride 1, "same" zero padding) as native/reference's float64 loops.
std::vector<double> reference(const Case &c, const std::vector<float> &x, const std::vector<float> &w,
                              const float *bias, const float *residual) {
    const ref::ConvShape shape{c.b, c.t, c.h, c.w, c.ci, c.co, c.kt, c.kh, c.kw, 1};
    return ref::conv3d_reference(shape, x.data(), w.data(), bias, residual);
}

void run_case(Report &report, const Case &c, cpu::Isa isa, uint32_t seed) {
    const int64_t y_n = c.b * c.t * c.h * c.w * c.co;
    auto x = random_values(c.b * c.t * c.h * c.w * c.ci, seed);
    const auto w = random_values(c.co * c.ci * c.kt * c.kh * c.kw, seed + 1);
    const auto b = random_values(c.co, seed + 2);
    const auto r = random_values(y_n, seed + 3);
    const bool has_residual = c.residual || c.residual_is_y;
    const auto want = reference(c, x, w, c.bias ? b.data() : nullptr, has_residual ? r.data() : nullptr);
    Guarded y(y_n, 777.0f);
    if (c.residual_is_y)
        for (int64_t i = 0; i < y_n; ++i) y.data()[i] = r[size_t(i)];
    kn_conv3d_params p{};
    p.x = dense(x.data(), {c.b, c.t, c.h, c.w, c.ci});
    p.w = dense(const_cast<float *>(w.data()), {c.co, c.ci, c.kt, c.kh, c.kw});
    p.b = c.bias ? dense(const_cast<float *>(b.data()), {c.co}) : absent();
    p.y = dense(y.data(), {c.b, c.t, c.h, c.w, c.co});
    p.residual = c.residual_is_y ? p.y
                 : c.residual    ? dense(const_cast<float *>(r.data()), {c.b, c.t, c.h, c.w, c.co})
                                 : absent();
    char name[200];
    std::snprintf(name, sizeof name, "conv3d %s B%lld T%lld %lldx%lld Ci%lld Co%lld k%dx%dx%d%s%s",
                  cpu::isa_name(isa), (long long)c.b, (long long)c.t, (long long)c.h, (long long)c.w,
                  (long long)c.ci, (long long)c.co, c.kt, c.kh, c.kw, c.bias ? " bias" : "",
                  c.residual_is_y ? " residual=y" : c.residual ? " residual" : "");
    const kn_exec e{0, 2, nullptr};
    if (!report.expect(std::string(name) + " status", cpu::conv3d(e, p, isa) == KN_OK, last_error())) return;
    report.close(name, y.data(), want);
    report.expect(std::string(name) + " writes only y", y.intact());
}

}  // namespace

int main() {
    Report report;
    const Case cases[] = {
        // B, T, H, W, Ci, Co, kt, kh, kw, bias, residual, residual is y
        {1, 3, 5, 7, 3, 5, 3, 3, 3, true, false, false},
        {2, 4, 6, 5, 8, 40, 3, 3, 3, true, true, false},
        {1, 5, 4, 9, 16, 33, 3, 3, 3, false, false, true},
        {1, 2, 3, 3, 5, 7, 1, 1, 1, true, true, false},
        {1, 4, 3, 4, 6, 9, 3, 1, 1, true, false, false},
        {1, 3, 5, 6, 4, 17, 1, 3, 3, false, true, false},
        {1, 6, 7, 8, 3, 20, 5, 3, 1, true, true, false},   // 15 taps: two tile calls
        {1, 2, 6, 7, 4, 12, 1, 5, 5, true, false, true},    // 25 taps: three tile calls
        {1, 1, 2, 2, 3, 4, 3, 5, 7, true, true, false},     // kernel larger than the frame
        {1, 1, 1, 1, 2, 3, 3, 3, 3, true, true, false},
        {1, 3, 8, 8, 64, 64, 3, 3, 3, true, true, false},
        {1, 2, 4, 5, 320, 320, 3, 3, 3, true, false, true},
        {1, 2, 3, 4, 0, 5, 3, 3, 3, true, true, false},     // no input channels: bias + residual
        {1, 0, 3, 4, 3, 5, 3, 3, 3, true, false, false},    // no frames
    };
    uint32_t seed = 1;
    for (cpu::Isa isa : supported_isas()) {
        for (const Case &c : cases) run_case(report, c, isa, seed += 10);
        for (int64_t w = 1; w <= 31; w += 3)  // every tile split of every path
            run_case(report, {1, 2, 2, w, 5, 48, 3, 3, 3, true, true, false}, isa, seed += 10);
    }
    kn_conv3d_params p{};
    float dummy[8] = {};
    p.x = dense(dummy, {1, 1, 1, 1, 1});
    p.x.dtype = KN_DTYPE_BF16;
    p.w = dense(dummy, {1, 1, 1, 1, 1});
    p.y = dense(dummy, {1, 1, 1, 1, 1});
    clear_error();
    const kn_exec e{0, 1, nullptr};
    report.expect("conv3d refuses bf16", cpu::conv3d(e, p, cpu::best_isa()) == KN_ERR_UNSUPPORTED &&
                                             last_error().find("'x'") != std::string::npos,
                  last_error());
    return report.finish();
}
