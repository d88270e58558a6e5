// norm_cases.cpp - group_norm and layer_norm through the plugin's op table against double-precision
// loops of OPS.md written here (two-pass mean and biased variance). group_norm: C = 40 in 8 groups (5
// channels a group: groups straddle warps and float4 lanes), statistics over the clip and per frame,
// SiLU on and off, T = 1, odd H and W, data of mean 1000 (a one-pass sum of squares in f32 would lose
// the variance), an unaligned tensor. layer_norm: C in {8, 40, 320, 1000}, gamma/beta present or
// absent, adaLN shift/scale per batch, rank 3 and rank 5, mean-1000 rows, y == x (in place).
#include <cmath>
#include <cstdio>
#include <sstream>

#include "op_cases.h"

namespace {

struct GroupNormCase {
    int64_t batch, frames, h, w, channels;
    int groups, per_frame, silu;
    float offset;  // added to every x (the data's mean)
    size_t misalign;
};

std::string describe(const GroupNormCase &c) {
    std::ostringstream o;
    o << "group_norm B" << c.batch << " T" << c.frames << " " << c.h << "x" << c.w << " C" << c.channels << " groups"
      << c.groups << (c.per_frame ? " per_frame" : "") << (c.silu ? " silu" : "");
    if (c.offset != 0.f) o << " mean" << c.offset;
    if (c.misalign) o << " unaligned";
    return o.str();
}

double silu(double v) { return v / (1.0 + std::exp(-v)); }

std::vector<double> group_norm_reference(const GroupNormCase &c, double eps, const std::vector<float> &x,
                                         const std::vector<float> &gamma, const std::vector<float> &beta) {
    const int64_t P = c.h * c.w, C = c.channels, cg = C / c.groups;
    // A statistics domain is (b) or (b, t); it spans `span` frames starting at frame t0.
    const int64_t domains = c.per_frame ? c.batch * c.frames : c.batch, span = c.per_frame ? 1 : c.frames;
    std::vector<double> y(x.size());
    for (int64_t dmn = 0; dmn < domains; ++dmn) {
        const int64_t b = c.per_frame ? dmn / c.frames : dmn, t0 = c.per_frame ? dmn % c.frames : 0;
        for (int64_t g = 0; g < c.groups; ++g) {
            const auto at = [&](int64_t t, int64_t p, int64_t ch) {
                return static_cast<size_t>(((b * c.frames + t0 + t) * P + p) * C + g * cg + ch);
            };
            double sum = 0, sq = 0;
            const double n = double(span * P * cg);
            for (int64_t t = 0; t < span; ++t)
                for (int64_t p = 0; p < P; ++p)
                    for (int64_t ch = 0; ch < cg; ++ch) sum += x[at(t, p, ch)];
            const double mean = sum / n;
            for (int64_t t = 0; t < span; ++t)
                for (int64_t p = 0; p < P; ++p)
                    for (int64_t ch = 0; ch < cg; ++ch) sq += (x[at(t, p, ch)] - mean) * (x[at(t, p, ch)] - mean);
            const double rstd = 1.0 / std::sqrt(sq / n + eps);
            for (int64_t t = 0; t < span; ++t)
                for (int64_t p = 0; p < P; ++p)
                    for (int64_t ch = 0; ch < cg; ++ch) {
                        const size_t i = at(t, p, ch);
                        const double v = (x[i] - mean) * rstd * gamma[size_t(g * cg + ch)] + beta[size_t(g * cg + ch)];
                        y[i] = c.silu ? silu(v) : v;
                    }
        }
    }
    return y;
}

bool run_group_norm_case(const Plugin &plugin, const GroupNormCase &c, unsigned seed) {
    const std::string name = describe(c);
    const std::vector<int64_t> shape = {c.batch, c.frames, c.h, c.w, c.channels};
    const size_t n = static_cast<size_t>(c.batch * c.frames * c.h * c.w * c.channels);
    auto x = random_values(n, seed);
    for (float &v : x) v += c.offset;
    auto gamma = random_values(size_t(c.channels), seed + 1);
    for (float &g : gamma) g += 1.f;
    const auto beta = random_values(size_t(c.channels), seed + 2);
    const double eps = 1e-5;
    const auto y_ref = group_norm_reference(c, eps, x, gamma, beta);

    DeviceBuffer dx(plugin, n, c.misalign), dg(plugin, gamma.size()), db(plugin, beta.size()), dy(plugin, n, c.misalign);
    dx.upload(x);
    dg.upload(gamma);
    db.upload(beta);
    kn_group_norm_params p{};
    p.x = make_tensor(dx.data(), shape);
    p.gamma = make_tensor(dg.data(), {c.channels});
    p.beta = make_tensor(db.data(), {c.channels});
    p.y = make_tensor(dy.data(), shape);
    p.eps = eps;
    p.groups = c.groups;
    p.per_frame = c.per_frame;
    p.silu = c.silu;
    expect_ok(plugin.ops->group_norm(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    dy.check_guards(name + " y");
    const Comparison cmp = compare(dy.download(), y_ref);
    std::printf("%s %s: y %s\n", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    return cmp.ok;
}

struct LayerNormCase {
    std::vector<int64_t> shape;  // [B, ..., C]
    bool affine, modulated, in_place;
    float offset;
};

std::string describe(const LayerNormCase &c) {
    std::ostringstream o;
    o << "layer_norm x[";
    for (size_t i = 0; i < c.shape.size(); ++i) o << (i ? "," : "") << c.shape[i];
    o << "]" << (c.affine ? " gamma beta" : "") << (c.modulated ? " shift scale" : "") << (c.in_place ? " y==x" : "");
    if (c.offset != 0.f) o << " mean" << c.offset;
    return o.str();
}

bool run_layer_norm_case(const Plugin &plugin, const LayerNormCase &c, unsigned seed) {
    const std::string name = describe(c);
    const int64_t C = c.shape.back(), B = c.shape.front();
    size_t n = 1;
    for (int64_t s : c.shape) n *= size_t(s);
    const int64_t rows = int64_t(n) / C, rows_per_batch = rows / B;
    auto x = random_values(n, seed);
    for (float &v : x) v += c.offset;
    auto gamma = random_values(size_t(C), seed + 1);
    for (float &g : gamma) g += 1.f;
    const auto beta = random_values(size_t(C), seed + 2);
    const auto shift = random_values(size_t(B * C), seed + 3), scale = random_values(size_t(B * C), seed + 4);
    const double eps = 1e-6;

    std::vector<double> y_ref(n);
    for (int64_t r = 0; r < rows; ++r) {
        const float *xr = x.data() + r * C;
        const int64_t b = r / rows_per_batch;
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < C; ++i) sum += xr[i];
        const double mean = sum / double(C);
        for (int64_t i = 0; i < C; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
        const double rstd = 1.0 / std::sqrt(sq / double(C) + eps);
        for (int64_t i = 0; i < C; ++i) {
            double v = (xr[i] - mean) * rstd;
            if (c.affine) v = v * gamma[size_t(i)] + beta[size_t(i)];
            if (c.modulated) v = v * (1.0 + scale[size_t(b * C + i)]) + shift[size_t(b * C + i)];
            y_ref[size_t(r * C + i)] = v;
        }
    }

    DeviceBuffer dx(plugin, n), dg(plugin, size_t(C)), db(plugin, size_t(C)), dsh(plugin, size_t(B * C)),
        dsc(plugin, size_t(B * C)), dy(plugin, n);
    dx.upload(x);
    dg.upload(gamma);
    db.upload(beta);
    dsh.upload(shift);
    dsc.upload(scale);
    kn_layer_norm_params p{};
    p.x = make_tensor(dx.data(), c.shape);
    p.gamma = c.affine ? make_tensor(dg.data(), {C}) : absent_tensor();
    p.beta = c.affine ? make_tensor(db.data(), {C}) : absent_tensor();
    p.shift = c.modulated ? make_tensor(dsh.data(), {B, C}) : absent_tensor();
    p.scale = c.modulated ? make_tensor(dsc.data(), {B, C}) : absent_tensor();
    p.y = make_tensor(c.in_place ? dx.data() : dy.data(), c.shape);
    p.eps = eps;
    expect_ok(plugin.ops->layer_norm(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    DeviceBuffer &out = c.in_place ? dx : dy;
    out.check_guards(name + " y");
    const Comparison cmp = compare(out.download(), y_ref);
    std::printf("%s %s: y %s\n", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    return cmp.ok;
}

}  // namespace

int run_norm_cases(const Plugin &plugin) {
    const GroupNormCase group_cases[] = {
        {1, 3, 5, 7, 40, 8, 0, 0, 0.f, 0},     // statistics over the clip
        {1, 3, 5, 7, 40, 8, 1, 0, 0.f, 0},     // per frame
        {1, 3, 5, 7, 40, 8, 0, 1, 0.f, 0},     // + SiLU
        {2, 2, 3, 5, 40, 8, 1, 1, 0.f, 0},     // per frame + SiLU, two batches
        {2, 1, 7, 3, 40, 8, 0, 1, 0.f, 0},     // T = 1
        {1, 1, 1, 1, 40, 8, 1, 0, 0.f, 0},     // one pixel: 5 values a group
        {1, 4, 5, 5, 40, 8, 0, 0, 1000.f, 0},  // mean 1000
        {1, 2, 5, 3, 40, 8, 1, 1, 1000.f, 0},  // mean 1000, per frame + SiLU
        {1, 2, 3, 3, 40, 8, 0, 1, 0.f, 1},     // unaligned x and y
        {1, 2, 9, 9, 64, 32, 0, 1, 0.f, 0},    // 2 channels a group
    };
    const LayerNormCase layer_cases[] = {
        {{2, 3, 8}, false, false, false, 0.f},
        {{2, 5, 40}, true, false, false, 0.f},
        {{2, 5, 40}, false, true, false, 0.f},
        {{2, 4, 320}, true, true, false, 0.f},
        {{1, 3, 1000}, true, false, false, 0.f},
        {{2, 3, 1000}, true, true, false, 0.f},
        {{1, 2, 3, 5, 40}, true, true, false, 0.f},  // rank 5: B = 1, rows over T, H, W
        {{2, 2, 3, 1, 8}, false, true, false, 0.f},  // rank 5, two batches, modulation per batch
        {{2, 7, 320}, true, false, false, 1000.f},   // mean 1000
        {{1, 5, 40}, false, false, false, 1000.f},
        {{2, 3, 40}, true, true, true, 0.f},         // in place
    };
    int failures = 0;
    unsigned seed = 1700;
    for (const GroupNormCase &c : group_cases) failures += run_group_norm_case(plugin, c, seed += 10) ? 0 : 1;
    for (const LayerNormCase &c : layer_cases) failures += run_layer_norm_case(plugin, c, seed += 10) ? 0 : 1;
    return failures;
}
