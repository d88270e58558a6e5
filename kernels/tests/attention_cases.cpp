// attention_cases.cpp - temporal_attention through the plugin's op table against a double reference of
// OPS.md's formula (full score rows, two-pass softmax): D in {40, 64, 80, 128} and odd D, T = 1,
// T = 3 with window 1, causal, rel_bias with Tmax > T, T beyond one 16-frame tile (f16/bf16: attention_mma_cases.cpp).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "op_cases.h"

namespace {

struct AttentionCase {
    int64_t batch, frames, h, w;
    int heads, dim, window, causal, tmax;
    bool bias;
};

std::string describe(const AttentionCase &c) {
    std::ostringstream o;
    o << "temporal_attention B" << c.batch << " T" << c.frames << " " << c.h << "x" << c.w << " heads" << c.heads
      << " D" << c.dim << " window" << c.window << (c.causal ? " causal" : "") << (c.bias ? " bias" : "")
      << " Tmax" << c.tmax;
    return o.str();
}

std::vector<double> attention_reference(const AttentionCase &c, double scale, const std::vector<float> &q,
                                        const std::vector<float> &k, const std::vector<float> &v,
                                        const std::vector<float> &bias) {
    const int64_t C = int64_t(c.heads) * c.dim, P = c.h * c.w, T = c.frames;
    std::vector<double> y(q.size()), s(static_cast<size_t>(T));
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t p = 0; p < P; ++p)
            for (int64_t hd = 0; hd < c.heads; ++hd) {
                const auto at = [&](int64_t t, int64_t d) {
                    return static_cast<size_t>(((b * T + t) * P + p) * C + hd * c.dim + d);
                };
                for (int64_t i = 0; i < T; ++i) {
                    double max = -std::numeric_limits<double>::infinity();
                    for (int64_t j = 0; j < T; ++j) {
                        const bool masked = (c.causal && j > i) || (c.window > 0 && std::llabs(i - j) > c.window);
                        double dot = 0;
                        for (int64_t d = 0; d < c.dim; ++d) dot += double(q[at(i, d)]) * double(k[at(j, d)]);
                        const double b_ij = c.bias ? double(bias[size_t(hd * (2 * c.tmax - 1) + j - i + c.tmax - 1)]) : 0.0;
                        s[size_t(j)] = masked ? -std::numeric_limits<double>::infinity() : dot * scale + b_ij;
                        max = std::fmax(max, s[size_t(j)]);
                    }
                    double sum = 0;
                    for (int64_t j = 0; j < T; ++j) sum += std::exp(s[size_t(j)] - max);
                    for (int64_t d = 0; d < c.dim; ++d) {
                        double acc = 0;
                        for (int64_t j = 0; j < T; ++j) acc += std::exp(s[size_t(j)] - max) / sum * double(v[at(j, d)]);
                        y[at(i, d)] = acc;
                    }
                }
            }
    return y;
}

bool run_attention_case(const Plugin &plugin, const AttentionCase &c, unsigned seed) {
    const std::string name = describe(c);
    const int64_t C = int64_t(c.heads) * c.dim;
    const std::vector<int64_t> shape = {c.batch, c.frames, c.h, c.w, C};
    const size_t n = static_cast<size_t>(c.batch * c.frames * c.h * c.w * C);
    auto q = random_values(n, seed);
    for (float &x : q) x *= 3.f;  // logits of a few units: the running max matters
    const auto k = random_values(n, seed + 1), v = random_values(n, seed + 2);
    const auto bias = c.bias ? random_values(size_t(c.heads) * size_t(2 * c.tmax - 1), seed + 3) : std::vector<float>();
    const double scale = 1.0 / std::sqrt(double(c.dim));
    const auto y_ref = attention_reference(c, scale, q, k, v, bias);

    DeviceBuffer dq(plugin, n), dk(plugin, n), dv(plugin, n), dy(plugin, n), db(plugin, bias.size());
    dq.upload(q);
    dk.upload(k);
    dv.upload(v);
    if (c.bias) db.upload(bias);
    kn_temporal_attention_params p{};
    p.q = make_tensor(dq.data(), shape);
    p.k = make_tensor(dk.data(), shape);
    p.v = make_tensor(dv.data(), shape);
    p.rel_bias = c.bias ? make_tensor(db.data(), {c.heads, 2 * c.tmax - 1}) : absent_tensor();
    p.y = make_tensor(dy.data(), shape);
    p.scale = scale;
    p.heads = c.heads;
    p.window = c.window;
    p.causal = c.causal;
    p.Tmax = c.tmax;
    expect_ok(plugin.ops->temporal_attention(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    dy.check_guards(name + " y");
    const Comparison cmp = compare(dy.download(), y_ref);
    std::printf("%s %s: y %s\n", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    return cmp.ok;
}

}  // namespace

int run_temporal_attention_cases(const Plugin &plugin) {
    const AttentionCase cases[] = {
        {1, 16, 2, 2, 2, 40, 0, 0, 16, false},  // the reference shape's D, one full tile
        {1, 5, 2, 1, 2, 64, 0, 0, 5, true},
        {1, 6, 1, 2, 1, 80, 0, 1, 9, true},     // causal, Tmax > T
        {2, 4, 1, 1, 1, 128, 0, 0, 4, false},
        {1, 1, 2, 3, 2, 40, 0, 0, 1, true},     // T = 1
        {1, 3, 2, 2, 3, 24, 1, 0, 3, true},     // T = 3, window 1
        {1, 3, 1, 2, 2, 8, 0, 1, 7, true},      // T = 3, causal, Tmax > T
        {1, 21, 1, 1, 2, 17, 4, 1, 25, true},   // two key tiles, two query chunks, window + causal
        {1, 0, 2, 2, 1, 8, 0, 0, 1, false},     // no frames: nothing to do
    };
    int failures = 0;
    unsigned seed = 1300;
    for (const AttentionCase &c : cases) failures += run_attention_case(plugin, c, seed += 10) ? 0 : 1;

    return failures;
}
