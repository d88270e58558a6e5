// ddim_cases.cpp - ddim_step through the plugin's op table against the double reference: every
// prediction type, guidance on and off, eta with noise, clip_x0, optional x0 output, y aliasing x, and
// sizes/alignments that hit the float4 body, the scalar tail and the all-scalar path.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "op_cases.h"
#include "reference_ops.h"

using namespace kinema::ref;

namespace {

struct DdimCase {
    int64_t count;
    DdimScalars k;
    bool uncond, noise, x0_out, y_is_x;
    size_t misalign;
};

const char *prediction_name(int p) { return p == KN_PREDICTION_EPS ? "eps" : p == KN_PREDICTION_V ? "v" : "x0"; }

std::string describe(const DdimCase &c) {
    std::ostringstream o;
    o << "ddim_step n=" << c.count << " pred=" << prediction_name(c.k.prediction) << " guidance="
      << (c.uncond ? c.k.guidance : 0.0) << " eta=" << c.k.eta << " clip=" << c.k.clip_x0
      << (c.noise ? " noise" : "") << (c.x0_out ? " x0_out" : "") << (c.y_is_x ? " y=x" : "")
      << (c.misalign ? " unaligned" : "");
    return o.str();
}

bool run_ddim_case(const Plugin &plugin, const DdimCase &c, unsigned seed) {
    const std::string name = describe(c);
    const size_t n = static_cast<size_t>(c.count);
    auto x = random_values(n, seed);
    for (float &v : x) v *= 2.f;  // a noisy latent spans a few units
    const auto out_c = random_values(n, seed + 1);
    const auto out_u = c.uncond ? random_values(n, seed + 2) : std::vector<float>();
    const auto noise = c.noise ? random_values(n, seed + 3) : std::vector<float>();
    std::vector<double> x0_ref;
    const auto y_ref =
        ddim_reference(c.count, c.k, x.data(), out_c.data(), data_or_null(out_u), data_or_null(noise), &x0_ref);

    DeviceBuffer dx(plugin, n, c.misalign), dc(plugin, n, c.misalign), du(plugin, out_u.size(), c.misalign);
    DeviceBuffer dn(plugin, noise.size(), c.misalign), dy(plugin, n, c.misalign);
    DeviceBuffer dx0(plugin, c.x0_out ? n : 0, c.misalign);
    dx.upload(x);
    dc.upload(out_c);
    if (c.uncond) du.upload(out_u);
    if (c.noise) dn.upload(noise);

    const std::vector<int64_t> shape = {c.count};
    kn_ddim_step_params p{};
    p.x = make_tensor(dx.data(), shape);
    p.out_c = make_tensor(dc.data(), shape);
    p.out_u = c.uncond ? make_tensor(du.data(), shape) : absent_tensor();
    p.noise = c.noise ? make_tensor(dn.data(), shape) : absent_tensor();
    p.y = make_tensor(c.y_is_x ? dx.data() : dy.data(), shape);
    p.x0 = c.x0_out ? make_tensor(dx0.data(), shape) : absent_tensor();
    p.alpha_t = c.k.alpha_t;
    p.sigma_t = c.k.sigma_t;
    p.alpha_s = c.k.alpha_s;
    p.sigma_s = c.k.sigma_s;
    p.guidance = c.k.guidance;
    p.eta = c.k.eta;
    p.clip_x0 = c.k.clip_x0;
    p.prediction = c.k.prediction;
    expect_ok(plugin.ops->ddim_step(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");

    const DeviceBuffer &y_buffer = c.y_is_x ? dx : dy;
    y_buffer.check_guards(name + " y");
    Comparison cmp = compare(y_buffer.download(), y_ref);
    bool ok = cmp.ok;
    std::printf("%s %s: y %s", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    if (c.x0_out) {
        dx0.check_guards(name + " x0");
        cmp = compare(dx0.download(), x0_ref);
        ok = ok && cmp.ok;
        std::printf("; x0 %s%s", cmp.describe().c_str(), cmp.ok ? "" : " (x0 FAILED)");
    }
    std::printf("\n");
    return ok;
}

// A VP schedule step from alpha_bar 0.3 (t) to 0.5 (s).
DdimScalars step(int prediction, double guidance, double eta, double clip) {
    const double abar_t = 0.3, abar_s = 0.5;
    return DdimScalars{std::sqrt(abar_t), std::sqrt(1 - abar_t), std::sqrt(abar_s), std::sqrt(1 - abar_s),
                       guidance, eta, clip, prediction};
}

}  // namespace

int run_ddim_step_cases(const Plugin &plugin) {
    const DdimCase cases[] = {
        {1000, step(KN_PREDICTION_EPS, 1.0, 0.0, 0.0), false, false, true, false, 0},  // plain DDIM
        {1003, step(KN_PREDICTION_EPS, 7.5, 0.0, 0.0), true, false, true, false, 0},   // guidance, tail of 3
        {4099, step(KN_PREDICTION_V, 5.0, 0.0, 0.0), true, false, false, false, 0},    // v, no x0 output
        {777, step(KN_PREDICTION_X0, 3.0, 1.0, 0.0), true, true, true, false, 0},      // x0, eta 1 + noise
        {2048, step(KN_PREDICTION_EPS, 7.5, 0.5, 1.0), true, true, true, true, 0},     // clip, y = x
        {515, step(KN_PREDICTION_V, 2.0, 0.3, 1.5), true, true, true, false, 1},       // unaligned: scalar path
        {3, step(KN_PREDICTION_EPS, 1.0, 0.0, 0.0), false, false, true, true, 0},      // tail only
        {1, step(KN_PREDICTION_X0, 4.0, 0.0, 0.5), true, false, true, false, 0},       // one element, clip
    };
    int failures = 0;
    unsigned seed = 900;
    for (const DdimCase &c : cases) failures += run_ddim_case(plugin, c, seed += 10) ? 0 : 1;
    return failures;
}
