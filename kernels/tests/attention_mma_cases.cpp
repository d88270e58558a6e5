// attention_mma_cases.cpp - `attention` (every kv_frames mode) and `temporal_attention` in f16 and bf16
// through the plugin's op table: the tensor-core paths of frame_attention_mma.cu and
// temporal_attention_mma.cu.
//
// Inputs are random values rounded to the dtype. Two double computations follow OPS.md's formulas on
// those rounded values: the exact reference, and PyTorch's own computation in the dtype as its eager
// ops round: scores = rnd(rnd(q @ k.T) * scale) (+ rel_bias, rounded again), P = rnd(softmax(scores))
// (softmax evaluated in f32 and rounded once), y = rnd(P @ v). OPS.md's bound for f16/bf16 is then
// max|y - ref| <= 2 * max|y_torch - ref|, floored at one rounding of max|ref| (for shapes where
// PyTorch happens to be exact, e.g. a single key). Shapes: D in {40, 64, 80, 128, 160} and odd D,
// Nq / Nk off the 64-row / 32-key tiles, T = 1, Tk != T, context lengths 1 and 77, T beyond one
// 16-frame chunk, window, causal and rel_bias; plus the refusals (D > 160, mixed dtypes).
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "half_buffers.h"
#include "op_cases.h"
#include "reference_ops.h"

namespace {

using namespace half_buffers;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Exact and PyTorch-like outputs of the whole tensor, accumulated row by row.
struct Outputs {
    std::vector<double> exact, torch;
    explicit Outputs(size_t n) : exact(n), torch(n) {}
};

// One query row (q at q_at) against keys k_at[j] / values v_at[j] with additive bias[j] (-inf: masked).
void attend_row(const Half &half, const std::vector<float> &q, const std::vector<float> &k,
                const std::vector<float> &v, size_t q_at, const std::vector<size_t> &kv_at,
                const std::vector<double> &bias, bool has_bias, int dim, double scale, Outputs &out) {
    const size_t n = kv_at.size();
    std::vector<double> s(n), st(n);
    double max = -kInf, max_t = -kInf;
    for (size_t j = 0; j < n; ++j) {
        double dot = 0;
        for (int d = 0; d < dim; ++d) dot += double(q[q_at + d]) * double(k[kv_at[j] + d]);
        s[j] = dot * scale + bias[j];
        double t = half.round(half.round(dot) * scale);
        if (has_bias) t = half.round(t + bias[j]);
        st[j] = bias[j] == -kInf ? -kInf : t;
        max = std::fmax(max, s[j]);
        max_t = std::fmax(max_t, st[j]);
    }
    double sum = 0, sum_t = 0;
    for (size_t j = 0; j < n; ++j) sum += std::exp(s[j] - max), sum_t += std::exp(st[j] - max_t);
    for (int d = 0; d < dim; ++d) {
        double acc = 0, acc_t = 0;
        for (size_t j = 0; j < n; ++j) {
            acc += std::exp(s[j] - max) / sum * double(v[kv_at[j] + d]);
            const double p = half.round(static_cast<float>(std::exp(st[j] - max_t) / sum_t));
            acc_t += p * double(v[kv_at[j] + d]);
        }
        out.exact[q_at + d] = acc;
        out.torch[q_at + d] = half.round(static_cast<float>(acc_t));
    }
}

// Downloads y and checks it against OPS.md's f16/bf16 bound, the pad half and the guard zones.
bool check_against_torch(const std::string &name, const Half &half, const DeviceBuffer &dy, const Outputs &out) {
    dy.check_guards(name);
    const std::vector<uint16_t> y = unpack(dy.download());
    const size_t n = out.exact.size();
    bool ok = n % 2 == 0 || y[n] == kPadBits;
    double err = 0, err_torch = 0, max_ref = 0;
    for (size_t i = 0; i < n; ++i) {
        const double e = std::fabs(half.value(y[i]) - out.exact[i]);
        if (!(e <= err)) err = e;  // NaN-aware: a NaN sticks and fails below
        err_torch = std::fmax(err_torch, std::fabs(out.torch[i] - out.exact[i]));
        max_ref = std::fmax(max_ref, std::fabs(out.exact[i]));
    }
    const double bound = std::fmax(2 * err_torch, std::fabs(half.round(max_ref) - max_ref) + max_ref * 0x1p-24);
    ok = ok && err <= bound;
    std::printf("%s %s %s: max error %.3g, PyTorch-%s error %.3g, bound %.3g\n", ok ? "PASS" : "FAIL", name.c_str(),
                half.name(), err, half.name(), err_torch, bound);
    return ok;
}

struct FrameCase {
    int64_t batch, frames, queries, kv_frames, keys;  // kv_frames 1 for context (k, v [B,L,heads,D])
    int heads, dim, mode;
};

bool run_frame_case(const Plugin &plugin, const Half &half, const FrameCase &c, unsigned seed) {
    static const char *modes[] = {"same", "first", "sparse_causal", "all", "context"};
    std::ostringstream o;
    o << "attention " << modes[c.mode] << " B" << c.batch << " T" << c.frames << " Nq" << c.queries << " Tk"
      << c.kv_frames << " Nk" << c.keys << " heads" << c.heads << " D" << c.dim;
    const std::string name = o.str();
    const int64_t H = c.heads, D = c.dim;
    const size_t nq = size_t(c.batch * c.frames * c.queries * H * D), nk = size_t(c.batch * c.kv_frames * c.keys * H * D);
    const Rounded q = rounded(half, nq, seed, 3.f), k = rounded(half, nk, seed + 1, 1.f),
                  v = rounded(half, nk, seed + 2, 1.f);
    const double scale = 1.0 / std::sqrt(double(D));

    Outputs out(nq);
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t t = 0; t < c.frames; ++t)
            for (int64_t h = 0; h < H; ++h) {
                std::vector<size_t> rows;  // KV(t) rows concatenated along N
                for (int64_t f : kinema::ref::kv_frames_of(c.mode, t, c.kv_frames))
                    for (int64_t j = 0; j < c.keys; ++j)
                        rows.push_back(size_t((((b * c.kv_frames + f) * c.keys + j) * H + h) * D));
                const std::vector<double> no_bias(rows.size(), 0.0);
                for (int64_t i = 0; i < c.queries; ++i)
                    attend_row(half, q.values, k.values, v.values, size_t((((b * c.frames + t) * c.queries + i) * H + h) * D),
                               rows, no_bias, false, c.dim, scale, out);
            }

    auto dq = upload(plugin, q.bits), dk = upload(plugin, k.bits), dv = upload(plugin, v.bits);
    auto dy = output(plugin, nq);
    kn_attention_params p{};
    const int32_t dt = half.dtype();
    p.q = make_tensor(dq->data(), {c.batch, c.frames, c.queries, H, D}, dt);
    const std::vector<int64_t> kv_shape = c.mode == KN_KV_FRAMES_CONTEXT
                                              ? std::vector<int64_t>{c.batch, c.keys, H, D}
                                              : std::vector<int64_t>{c.batch, c.kv_frames, c.keys, H, D};
    p.k = make_tensor(dk->data(), kv_shape, dt);
    p.v = make_tensor(dv->data(), kv_shape, dt);
    p.y = make_tensor(dy->data(), {c.batch, c.frames, c.queries, H, D}, dt);
    p.scale = scale;
    p.kv_frames = c.mode;
    expect_ok(plugin.ops->attention(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    return check_against_torch(name, half, *dy, out);
}

struct TemporalCase {
    int64_t batch, frames, h, w;
    int heads, dim, window, causal, tmax;
    bool bias;
};

bool run_temporal_case(const Plugin &plugin, const Half &half, const TemporalCase &c, unsigned seed) {
    std::ostringstream o;
    o << "temporal_attention B" << c.batch << " T" << c.frames << " " << c.h << "x" << c.w << " heads" << c.heads
      << " D" << c.dim << " window" << c.window << (c.causal ? " causal" : "") << (c.bias ? " bias" : "")
      << " Tmax" << c.tmax;
    const std::string name = o.str();
    const int64_t C = int64_t(c.heads) * c.dim, P = c.h * c.w, T = c.frames;
    const size_t n = size_t(c.batch * T * P * C), nb = c.bias ? size_t(c.heads) * size_t(2 * c.tmax - 1) : 0;
    const Rounded q = rounded(half, n, seed, 3.f), k = rounded(half, n, seed + 1, 1.f),
                  v = rounded(half, n, seed + 2, 1.f), bias = rounded(half, nb, seed + 3, 1.f);
    const double scale = 1.0 / std::sqrt(double(c.dim));

    Outputs out(n);
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t p = 0; p < P; ++p)
            for (int64_t hd = 0; hd < c.heads; ++hd) {
                const auto at = [&](int64_t t) { return size_t(((b * T + t) * P + p) * C + hd * c.dim); };
                std::vector<size_t> rows;
                for (int64_t j = 0; j < T; ++j) rows.push_back(at(j));
                for (int64_t i = 0; i < T; ++i) {
                    std::vector<double> add(static_cast<size_t>(T));
                    for (int64_t j = 0; j < T; ++j) {
                        const bool masked = (c.causal && j > i) || (c.window > 0 && std::llabs(i - j) > c.window);
                        add[size_t(j)] = masked ? -kInf
                                         : c.bias ? double(bias.values[size_t(hd * (2 * c.tmax - 1) + j - i + c.tmax - 1)])
                                                  : 0.0;
                    }
                    attend_row(half, q.values, k.values, v.values, at(i), rows, add, c.bias, c.dim, scale, out);
                }
            }

    auto dq = upload(plugin, q.bits), dk = upload(plugin, k.bits), dv = upload(plugin, v.bits);
    auto db = c.bias ? upload(plugin, bias.bits) : nullptr;
    auto dy = output(plugin, n);
    const int32_t dt = half.dtype();
    const std::vector<int64_t> shape = {c.batch, T, c.h, c.w, C};
    kn_temporal_attention_params p{};
    p.q = make_tensor(dq->data(), shape, dt);
    p.k = make_tensor(dk->data(), shape, dt);
    p.v = make_tensor(dv->data(), shape, dt);
    p.rel_bias = c.bias ? make_tensor(db->data(), {c.heads, 2 * c.tmax - 1}, dt) : absent_tensor();
    p.y = make_tensor(dy->data(), shape, dt);
    p.scale = scale;
    p.heads = c.heads;
    p.window = c.window;
    p.causal = c.causal;
    p.Tmax = c.tmax;
    expect_ok(plugin.ops->temporal_attention(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    return check_against_torch(name, half, *dy, out);
}

int refusal_cases(const Plugin &plugin) {
    int failures = 0;
    DeviceBuffer buf(plugin, 2048);
    clear_plugin_error();
    kn_attention_params a{};
    a.q = a.k = a.v = make_tensor(buf.data(), {1, 1, 2, 1, 176}, KN_DTYPE_F16);
    a.y = make_tensor(buf.data() + 512, {1, 1, 2, 1, 176}, KN_DTYPE_F16);
    a.scale = 1.0;
    a.kv_frames = KN_KV_FRAMES_SAME;
    failures += !expect_unsupported("attention f16 D 176", plugin.ops->attention(&plugin.exec, &a),
                                    {"attention", "176", "160"});
    clear_plugin_error();
    a.q = a.k = a.v = make_tensor(buf.data(), {1, 1, 2, 1, 8}, KN_DTYPE_F16);
    a.v = make_tensor(buf.data(), {1, 1, 2, 1, 8}, KN_DTYPE_BF16);
    a.y = make_tensor(buf.data() + 512, {1, 1, 2, 1, 8}, KN_DTYPE_F16);
    failures += !expect_unsupported("attention f16 q with bf16 v", plugin.ops->attention(&plugin.exec, &a),
                                    {"attention", "v", "bf16", "f16"});
    clear_plugin_error();
    kn_temporal_attention_params t{};
    t.q = t.k = t.v = make_tensor(buf.data(), {1, 2, 1, 1, 8}, KN_DTYPE_BF16);
    t.rel_bias = make_tensor(buf.data() + 256, {1, 3}, KN_DTYPE_F32);
    t.y = make_tensor(buf.data() + 512, {1, 2, 1, 1, 8}, KN_DTYPE_BF16);
    t.heads = 1;
    t.Tmax = 2;
    t.scale = 1.0;
    failures += !expect_unsupported("temporal_attention bf16 q with f32 rel_bias",
                                    plugin.ops->temporal_attention(&plugin.exec, &t),
                                    {"temporal_attention", "rel_bias", "f32", "bf16"});
    return failures;
}

}  // namespace

int run_attention_mma_cases(const Plugin &plugin) {
    const FrameCase frame_cases[] = {
        {1, 2, 70, 2, 45, 2, 40, KN_KV_FRAMES_SAME},          // SD's D = 40 (padded to 48), off-tile Nq, Nk
        {1, 3, 33, 3, 32, 1, 64, KN_KV_FRAMES_SPARSE_CAUSAL},  // T = 3: frame 0 and t-1
        {1, 2, 17, 3, 20, 1, 80, KN_KV_FRAMES_ALL},           // Tk != T
        {2, 2, 64, 1, 9, 2, 128, KN_KV_FRAMES_FIRST},
        {1, 1, 20, 1, 77, 2, 160, KN_KV_FRAMES_CONTEXT},      // text context of 77, SD's largest D
        {1, 2, 5, 1, 1, 1, 40, KN_KV_FRAMES_CONTEXT},         // context length 1: y = v
        {1, 1, 3, 1, 7, 3, 17, KN_KV_FRAMES_SAME},            // T = 1, odd D (odd element count)
    };
    const TemporalCase temporal_cases[] = {
        {1, 16, 2, 2, 2, 40, 0, 0, 16, false},  // the reference shape's T and D
        {1, 5, 2, 1, 2, 64, 0, 0, 5, true},
        {1, 6, 1, 2, 1, 80, 0, 1, 9, true},     // causal, Tmax > T
        {2, 4, 1, 1, 3, 128, 0, 0, 4, false},   // 6 columns: a partly idle block
        {1, 1, 2, 3, 2, 40, 0, 0, 1, true},     // T = 1
        {1, 3, 2, 2, 3, 24, 1, 0, 3, true},     // window 1
        {1, 21, 1, 1, 2, 17, 4, 1, 25, true},   // two query chunks and key tiles, window + causal, odd D
        {1, 8, 1, 1, 3, 160, 0, 0, 8, false},   // DPAD 160: 2 warps per block
    };
    int failures = 0;
    unsigned seed = 4100;
    for (const bool bf16 : {false, true}) {
        const Half half{bf16};
        for (const FrameCase &c : frame_cases) failures += run_frame_case(plugin, half, c, seed += 10) ? 0 : 1;
        for (const TemporalCase &c : temporal_cases) failures += run_temporal_case(plugin, half, c, seed += 10) ? 0 : 1;
    }
    return failures + refusal_cases(plugin);
}
