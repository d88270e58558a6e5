// frame_attention_cases.cpp - `attention` through the plugin's op table against a double reference of
// OPS.md's formula (K(t)/V(t) concatenated explicitly, full score rows, two-pass softmax): every
// kv_frames mode, D in {40, 64, 80, 128} and odd D, Nq/Nk not multiples of the 16-row / 32-key
// tiles, T = 1, Tk != T (first, all), context lengths 1 and 77 (f16/bf16: attention_mma_cases.cpp).
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "op_cases.h"
#include "reference_ops.h"

namespace {

struct FrameCase {
    int64_t batch, frames, queries, kv_frames, keys;  // kv_frames 1 for context (k, v [B,L,heads,D])
    int heads, dim, mode;
};

std::string describe(const FrameCase &c) {
    static const char *names[] = {"same", "first", "sparse_causal", "all", "context"};
    std::ostringstream o;
    o << "attention " << names[c.mode] << " B" << c.batch << " T" << c.frames << " Nq" << c.queries << " Tk"
      << c.kv_frames << " Nk" << c.keys << " heads" << c.heads << " D" << c.dim;
    return o.str();
}

std::vector<double> reference(const FrameCase &c, double scale, const std::vector<float> &q,
                              const std::vector<float> &k, const std::vector<float> &v) {
    const int64_t H = c.heads, D = c.dim;
    std::vector<double> y(q.size());
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t t = 0; t < c.frames; ++t)
            for (int64_t h = 0; h < H; ++h) {
                std::vector<size_t> rows;  // K(t)/V(t) row offsets, concatenated along N
                for (int64_t f : kinema::ref::kv_frames_of(c.mode, t, c.kv_frames))
                    for (int64_t j = 0; j < c.keys; ++j)
                        rows.push_back(static_cast<size_t>((((b * c.kv_frames + f) * c.keys + j) * H + h) * D));
                std::vector<double> s(rows.size());
                for (int64_t i = 0; i < c.queries; ++i) {
                    const size_t qa = static_cast<size_t>((((b * c.frames + t) * c.queries + i) * H + h) * D);
                    double max = -std::numeric_limits<double>::infinity();
                    for (size_t j = 0; j < rows.size(); ++j) {
                        double dot = 0;
                        for (int64_t d = 0; d < D; ++d) dot += double(q[qa + d]) * double(k[rows[j] + d]);
                        s[j] = dot * scale;
                        max = std::fmax(max, s[j]);
                    }
                    double sum = 0;
                    for (double x : s) sum += std::exp(x - max);
                    for (int64_t d = 0; d < D; ++d) {
                        double acc = 0;
                        for (size_t j = 0; j < rows.size(); ++j) acc += std::exp(s[j] - max) / sum * double(v[rows[j] + d]);
                        y[qa + d] = acc;
                    }
                }
            }
    return y;
}

bool run_case(const Plugin &plugin, const FrameCase &c, unsigned seed) {
    const std::string name = describe(c);
    const int64_t H = c.heads, D = c.dim;
    const std::vector<int64_t> q_shape = {c.batch, c.frames, c.queries, H, D};
    const std::vector<int64_t> kv_shape = c.mode == KN_KV_FRAMES_CONTEXT
                                              ? std::vector<int64_t>{c.batch, c.keys, H, D}
                                              : std::vector<int64_t>{c.batch, c.kv_frames, c.keys, H, D};
    const size_t nq = static_cast<size_t>(c.batch * c.frames * c.queries * H * D);
    const size_t nk = static_cast<size_t>(c.batch * c.kv_frames * c.keys * H * D);
    auto q = random_values(nq, seed);
    for (float &x : q) x *= 3.f;  // logits of a few units: the running max matters
    const auto k = random_values(nk, seed + 1), v = random_values(nk, seed + 2);
    const double scale = 1.0 / std::sqrt(double(D));
    const auto y_ref = reference(c, scale, q, k, v);

    DeviceBuffer dq(plugin, nq), dk(plugin, nk), dv(plugin, nk), dy(plugin, nq);
    dq.upload(q);
    dk.upload(k);
    dv.upload(v);
    kn_attention_params p{};
    p.q = make_tensor(dq.data(), q_shape);
    p.k = make_tensor(dk.data(), kv_shape);
    p.v = make_tensor(dv.data(), kv_shape);
    p.y = make_tensor(dy.data(), q_shape);
    p.scale = scale;
    p.kv_frames = c.mode;
    expect_ok(plugin.ops->attention(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    dy.check_guards(name + " y");
    const Comparison cmp = compare(dy.download(), y_ref);
    std::printf("%s %s: y %s\n", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    return cmp.ok;
}

}  // namespace

int run_frame_attention_cases(const Plugin &plugin) {
    const FrameCase cases[] = {
        // {B, T, Nq, Tk, Nk, heads, D, mode}
        {1, 2, 37, 2, 45, 2, 40, KN_KV_FRAMES_SAME},
        {1, 1, 17, 1, 33, 1, 64, KN_KV_FRAMES_SAME},           // T = 1
        {1, 2, 16, 2, 32, 1, 80, KN_KV_FRAMES_SAME},           // exact tiles
        {1, 1, 5, 1, 40, 1, 128, KN_KV_FRAMES_SAME},
        {2, 2, 9, 2, 7, 1, 13, KN_KV_FRAMES_SAME},              // odd D
        {1, 3, 20, 2, 21, 1, 40, KN_KV_FRAMES_FIRST},           // Tk != T
        {1, 4, 7, 4, 19, 2, 64, KN_KV_FRAMES_SPARSE_CAUSAL},    // t = 0, 1 see frame 0 twice
        {1, 1, 9, 1, 35, 1, 80, KN_KV_FRAMES_SPARSE_CAUSAL},    // T = 1
        {1, 3, 18, 2, 17, 1, 128, KN_KV_FRAMES_ALL},            // Tk != T
        {1, 2, 6, 3, 11, 2, 40, KN_KV_FRAMES_ALL},
        {1, 2, 19, 1, 77, 2, 40, KN_KV_FRAMES_CONTEXT},         // L = 77
        {2, 2, 5, 1, 1, 1, 64, KN_KV_FRAMES_CONTEXT},           // L = 1
        {1, 0, 4, 0, 3, 1, 8, KN_KV_FRAMES_SAME},               // no frames: nothing to do
    };
    int failures = 0;
    unsigned seed = 1700;
    for (const FrameCase &c : cases) failures += run_case(plugin, c, seed += 10) ? 0 : 1;

    return failures;
}
