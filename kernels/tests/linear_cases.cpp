// linear_cases.cpp - linear and conv3d through the plugin's op table against double references:
// every activation, geglu pairing, gate per batch, residual == y, tile tails (rows and columns not
// multiples of 64, K not a multiple of 16); conv3d on the implicit-GEMM shapes and on the direct
// fallback (kt != kh, kh != kw, 5-wide kernels).
#include <cmath>
#include <cstdio>
#include <sstream>

#include "op_cases.h"
#include "reference_ops.h"

using namespace kinema::ref;

namespace {

struct LinearCase {
    int64_t batch, seq, k, n;
    int act;
    bool bias, gate, residual, residual_is_y;
};

double activate(int act, double v) {
    switch (act) {
        case KN_ACT_GELU: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
        case KN_ACT_GELU_TANH: return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
        case KN_ACT_SILU: return v / (1.0 + std::exp(-v));
        default: return v;
    }
}

std::vector<double> linear_reference(const LinearCase &c, const std::vector<float> &x, const std::vector<float> &w,
                                     const std::vector<float> &b, const std::vector<float> &gate,
                                     const std::vector<float> &residual) {
    const int64_t rows = c.batch * c.seq, n_out = c.act == KN_ACT_GEGLU ? c.n / 2 : c.n;
    std::vector<double> y(size_t(rows * n_out)), h(size_t(c.n));
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < c.n; ++j) {
            double acc = b.empty() ? 0.0 : b[size_t(j)];
            for (int64_t i = 0; i < c.k; ++i) acc += double(x[size_t(r * c.k + i)]) * w[size_t(j * c.k + i)];
            h[size_t(j)] = acc;
        }
        for (int64_t j = 0; j < n_out; ++j) {
            double v = c.act == KN_ACT_GEGLU ? h[size_t(j)] * activate(KN_ACT_GELU, h[size_t(n_out + j)])
                                             : activate(c.act, h[size_t(j)]);
            if (!gate.empty()) v *= gate[size_t((r / c.seq) * n_out + j)];
            if (!residual.empty()) v += residual[size_t(r * n_out + j)];
            y[size_t(r * n_out + j)] = v;
        }
    }
    return y;
}

bool run_linear_case(const Plugin &plugin, const LinearCase &c, unsigned seed) {
    static const char *acts[] = {"none", "gelu", "gelu_tanh", "silu", "geglu"};
    std::ostringstream o;
    o << "linear act=" << acts[c.act] << " B=" << c.batch << " S=" << c.seq << " K=" << c.k << " N=" << c.n
      << (c.bias ? " bias" : "") << (c.gate ? " gate" : "") << (c.residual ? " residual" : "")
      << (c.residual_is_y ? "(=y)" : "");
    const std::string name = o.str();
    const int64_t rows = c.batch * c.seq, n_out = c.act == KN_ACT_GEGLU ? c.n / 2 : c.n;
    auto x = random_values(size_t(rows * c.k), seed);
    for (auto &v : x) v *= 2.0f;
    const auto w = random_values(size_t(c.n * c.k), seed + 1);
    const auto b = c.bias ? random_values(size_t(c.n), seed + 2) : std::vector<float>();
    const auto gate = c.gate ? random_values(size_t(c.batch * n_out), seed + 3) : std::vector<float>();
    const auto residual = c.residual ? random_values(size_t(rows * n_out), seed + 4) : std::vector<float>();
    const auto ref = linear_reference(c, x, w, b, gate, residual);

    DeviceBuffer dx(plugin, x.size()), dw(plugin, w.size()), db(plugin, b.size()), dg(plugin, gate.size());
    DeviceBuffer dr(plugin, residual.size()), dy(plugin, ref.size());
    dx.upload(x);
    dw.upload(w);
    if (c.bias) db.upload(b);
    if (c.gate) dg.upload(gate);
    if (c.residual) (c.residual_is_y ? dy : dr).upload(residual);
    const std::vector<int64_t> y_shape = {c.batch, c.seq, n_out};
    kn_linear_params p{};
    p.x = make_tensor(dx.data(), {c.batch, c.seq, c.k});
    p.w = make_tensor(dw.data(), {c.n, c.k});
    p.b = c.bias ? make_tensor(db.data(), {c.n}) : absent_tensor();
    p.gate = c.gate ? make_tensor(dg.data(), {c.batch, n_out}) : absent_tensor();
    p.y = make_tensor(dy.data(), y_shape);
    p.residual = !c.residual ? absent_tensor() : make_tensor(c.residual_is_y ? dy.data() : dr.data(), y_shape);
    p.act = c.act;
    expect_ok(plugin.ops->linear(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    dy.check_guards(name);
    const Comparison cmp = compare(dy.download(), ref);
    std::printf("%s %s: %s\n", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    return cmp.ok;
}

struct Conv3dCase {
    ConvShape shape;
    bool bias, residual, residual_is_y;
};

bool run_conv3d_case(const Plugin &plugin, const Conv3dCase &c, unsigned seed) {
    const ConvShape &s = c.shape;
    std::ostringstream o;
    o << "conv3d k=" << s.kt << "x" << s.kh << "x" << s.kw << " B=" << s.batch << " T=" << s.frames
      << " H=" << s.height << " W=" << s.width << " Ci=" << s.in_channels << " Co=" << s.out_channels
      << (c.bias ? " bias" : "") << (c.residual ? " residual" : "") << (c.residual_is_y ? "(=y)" : "");
    const std::string name = o.str();
    const auto x = random_values(s.input_count(), seed);
    const auto w = random_values(s.weight_count(), seed + 1);
    const auto bias = c.bias ? random_values(s.out_channels, seed + 2) : std::vector<float>();
    const auto residual = c.residual ? random_values(s.output_count(), seed + 3) : std::vector<float>();
    const auto ref = conv3d_reference(s, x.data(), w.data(), data_or_null(bias), data_or_null(residual));
    DeviceBuffer dx(plugin, x.size()), dw(plugin, w.size()), dy(plugin, ref.size());
    DeviceBuffer db(plugin, bias.size()), dr(plugin, residual.size());
    dx.upload(x);
    dw.upload(w);
    if (c.bias) db.upload(bias);
    if (c.residual) (c.residual_is_y ? dy : dr).upload(residual);
    const std::vector<int64_t> y_shape = {s.batch, s.frames, s.height, s.width, s.out_channels};
    kn_conv3d_params p{};
    p.x = make_tensor(dx.data(), {s.batch, s.frames, s.height, s.width, s.in_channels});
    p.w = make_tensor(dw.data(), {s.out_channels, s.in_channels, s.kt, s.kh, s.kw});
    p.b = c.bias ? make_tensor(db.data(), {s.out_channels}) : absent_tensor();
    p.y = make_tensor(dy.data(), y_shape);
    p.residual = !c.residual ? absent_tensor() : make_tensor(c.residual_is_y ? dy.data() : dr.data(), y_shape);
    expect_ok(plugin.ops->conv3d(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    dy.check_guards(name);
    const Comparison cmp = compare(dy.download(), ref);
    std::printf("%s %s: %s\n", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    return cmp.ok;
}

ConvShape cube(int64_t b, int64_t t, int64_t h, int64_t w, int64_t ci, int64_t co, int kt, int kh, int kw) {
    return ConvShape{b, t, h, w, ci, co, kt, kh, kw, 1};
}

}  // namespace

int run_linear_cases(const Plugin &plugin) {
    int failures = 0;
    unsigned seed = 900;
    for (int act = KN_ACT_NONE; act <= KN_ACT_GEGLU; ++act) {
        const LinearCase cases[] = {
            {2, 7, 5, 6, act, true, true, true, false},
            {1, 70, 33, 130, act, false, false, false, false},  // row and column tile tails, K % 16 != 0
            {3, 9, 64, 128, act, true, true, true, true},       // residual is y, gate per batch
        };
        for (const LinearCase &c : cases) failures += run_linear_case(plugin, c, seed += 10) ? 0 : 1;
    }
    return failures;
}

int run_conv3d_cases(const Plugin &plugin) {
    const Conv3dCase cases[] = {
        {cube(1, 3, 5, 6, 8, 12, 3, 3, 3), true, true, false},     // implicit GEMM 3x3x3, float4 walk
        {cube(2, 2, 4, 3, 3, 5, 3, 3, 3), true, false, false},     // flat K walk, Co % 4 != 0
        {cube(1, 4, 3, 3, 16, 8, 3, 1, 1), false, true, true},     // 3x1x1, residual is y
        {cube(1, 2, 4, 5, 4, 6, 1, 1, 1), true, false, false},     // 1x1x1
        {cube(1, 4, 5, 6, 3, 5, 5, 3, 1), true, true, false},      // direct fallback, kt != kh != kw
        {cube(1, 2, 3, 4, 5, 4, 1, 5, 5), false, false, false},    // direct fallback, 5x5, kernel > frame
    };
    int failures = 0;
    unsigned seed = 1300;
    for (const Conv3dCase &c : cases) failures += run_conv3d_case(plugin, c, seed += 10) ? 0 : 1;
    return failures;
}
