// resample_cases.cpp - upsample_nearest, patchify, unpatchify, alpha_blend, timestep_embedding and
// concat through the plugin's op table against double loops written from OPS.md: odd sizes, C = 1,
// p = 1 and p = H, unaligned buffers, several grid-stride waves, in place alpha_blend, both blend
// modes, flip and shift of the embedding, concat of odd and unequal channel counts.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "op_cases.h"

namespace {

int64_t product(const std::vector<int64_t> &s) {
    int64_t n = 1;
    for (int64_t v : s) n *= v;
    return n;
}

std::string dims(const std::vector<int64_t> &s) {
    std::ostringstream o;
    o << "[";
    for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
    o << "]";
    return o.str();
}

bool report(const std::string &name, const DeviceBuffer &y, const std::vector<double> &ref) {
    y.check_guards(name + " y");
    const Comparison cmp = compare(y.download(), ref);
    std::printf("%s %s: %s\n", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    return cmp.ok;
}

bool upsample_case(const Plugin &plugin, const std::vector<int64_t> &xs, size_t misalign, unsigned seed) {
    const int64_t B = xs[0], T = xs[1], H = xs[2], W = xs[3], C = xs[4];
    const std::vector<int64_t> ys = {B, T, 2 * H, 2 * W, C};
    const auto x = random_values(size_t(product(xs)), seed);
    std::vector<double> ref(size_t(product(ys)));
    for (int64_t f = 0; f < B * T; ++f)
        for (int64_t i = 0; i < 2 * H; ++i)
            for (int64_t j = 0; j < 2 * W; ++j)
                for (int64_t c = 0; c < C; ++c)
                    ref[size_t(((f * 2 * H + i) * 2 * W + j) * C + c)] = x[size_t(((f * H + i / 2) * W + j / 2) * C + c)];
    DeviceBuffer dx(plugin, x.size(), misalign), dy(plugin, ref.size(), misalign);
    dx.upload(x);
    kn_upsample_nearest_params p{};
    p.x = make_tensor(dx.data(), xs);
    p.y = make_tensor(dy.data(), ys);
    const std::string name = "upsample_nearest x" + dims(xs) + (misalign ? " unaligned" : "");
    expect_ok(plugin.ops->upsample_nearest(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    return report(name, dy, ref);
}

// patchify of x, then unpatchify of independent tokens, each against its own loop.
int patch_case(const Plugin &plugin, const std::vector<int64_t> &xs, int32_t P, size_t misalign, unsigned seed) {
    const int64_t B = xs[0], T = xs[1], H = xs[2], W = xs[3], C = xs[4], Hp = H / P, Wp = W / P;
    const std::vector<int64_t> ts = {B, T, Hp * Wp, int64_t(P) * P * C};
    const auto x = random_values(size_t(product(xs)), seed);
    const auto tok = random_values(size_t(product(ts)), seed + 1);
    std::vector<double> ref_tok(tok.size()), ref_img(x.size());
    for (int64_t f = 0; f < B * T; ++f)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t w = 0; w < W; ++w)
                for (int64_t c = 0; c < C; ++c) {
                    const size_t img = size_t(((f * H + h) * W + w) * C + c);
                    const size_t t = size_t((f * Hp * Wp + (h / P) * Wp + w / P) * P * P * C + ((h % P) * P + w % P) * C + c);
                    ref_tok[t] = x[img];
                    ref_img[img] = tok[t];
                }
    int failures = 0;
    const std::string suffix = dims(xs) + " p" + std::to_string(P) + (misalign ? " unaligned" : "");
    {
        DeviceBuffer dx(plugin, x.size(), misalign), dy(plugin, tok.size(), misalign);
        dx.upload(x);
        kn_patch_params p{};
        p.x = make_tensor(dx.data(), xs);
        p.y = make_tensor(dy.data(), ts);
        p.p = P;
        expect_ok(plugin.ops->patchify(&plugin.exec, &p), "patchify " + suffix);
        expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), "patchify synchronize");
        failures += report("patchify x" + suffix, dy, ref_tok) ? 0 : 1;
    }
    {
        DeviceBuffer dx(plugin, tok.size(), misalign), dy(plugin, x.size(), misalign);
        dx.upload(tok);
        kn_patch_params p{};
        p.x = make_tensor(dx.data(), ts);
        p.y = make_tensor(dy.data(), xs);
        p.p = P;
        expect_ok(plugin.ops->unpatchify(&plugin.exec, &p), "unpatchify " + suffix);
        expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), "unpatchify synchronize");
        failures += report("unpatchify y" + suffix, dy, ref_img) ? 0 : 1;
    }
    return failures;
}

// where: 0 = separate y, 1 = y is x_spatial, 2 = y is x_temporal.
bool blend_case(const Plugin &plugin, const std::vector<int64_t> &shape, int32_t mode, float mix, int where,
                size_t misalign, unsigned seed) {
    const size_t n = size_t(product(shape));
    const auto xs = random_values(n, seed);
    auto xt = random_values(n, seed + 1);
    for (float &v : xt) v *= 3.f;
    const double alpha = mode == KN_BLEND_LEARNED ? 1.0 / (1.0 + std::exp(-double(mix))) : double(mix);
    std::vector<double> ref(n);
    for (size_t i = 0; i < n; ++i) ref[i] = alpha * xs[i] + (1.0 - alpha) * xt[i];
    DeviceBuffer ds(plugin, n, misalign), dt(plugin, n, misalign), dm(plugin, 1), dy(plugin, n, misalign);
    ds.upload(xs);
    dt.upload(xt);
    dm.upload({mix});
    kn_alpha_blend_params p{};
    p.x_spatial = make_tensor(ds.data(), shape);
    p.x_temporal = make_tensor(dt.data(), shape);
    p.mix = make_tensor(dm.data(), {1});
    p.y = make_tensor(where == 1 ? ds.data() : where == 2 ? dt.data() : dy.data(), shape);
    p.mode = mode;
    std::ostringstream o;
    o << "alpha_blend " << (mode ? "learned" : "fixed") << " mix " << mix << " " << dims(shape)
      << (where == 1 ? " y=x_spatial" : where == 2 ? " y=x_temporal" : "") << (misalign ? " unaligned" : "");
    expect_ok(plugin.ops->alpha_blend(&plugin.exec, &p), o.str());
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), o.str() + " synchronize");
    return report(o.str(), where == 1 ? ds : where == 2 ? dt : dy, ref);
}

bool embedding_case(const Plugin &plugin, const std::vector<float> &t, int32_t dim, bool flip, double shift,
                    double period) {
    const int64_t B = int64_t(t.size()), half = dim / 2;
    std::vector<double> ref(size_t(B * dim));
    for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < half; ++i) {
            const double arg = double(t[size_t(b)]) * std::exp(-std::log(period) * double(i) / (double(half) - shift));
            ref[size_t(b * dim + i)] = flip ? std::cos(arg) : std::sin(arg);
            ref[size_t(b * dim + half + i)] = flip ? std::sin(arg) : std::cos(arg);
        }
    DeviceBuffer dt(plugin, t.size()), dy(plugin, ref.size());
    dt.upload(t);
    kn_timestep_embedding_params p{};
    p.t = make_tensor(dt.data(), {B});
    p.y = make_tensor(dy.data(), {B, dim});
    p.dim = dim;
    p.flip_sin_to_cos = flip ? 1 : 0;
    p.downscale_freq_shift = shift;
    p.max_period = period;
    std::ostringstream o;
    o << "timestep_embedding B" << B << " dim" << dim << (flip ? " flip" : "") << " shift " << shift << " period " << period;
    expect_ok(plugin.ops->timestep_embedding(&plugin.exec, &p), o.str());
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), o.str() + " synchronize");
    return report(o.str(), dy, ref);
}

bool concat_case(const Plugin &plugin, std::vector<int64_t> lead, int64_t c1, int64_t c2, size_t misalign,
                 unsigned seed) {
    std::vector<int64_t> xs = lead, zs = lead, ys = lead;
    xs.push_back(c1), zs.push_back(c2), ys.push_back(c1 + c2);
    const auto x = random_values(size_t(product(xs)), seed), z = random_values(size_t(product(zs)), seed + 1);
    const int64_t rows = product(lead), cy = c1 + c2;
    std::vector<double> ref(size_t(product(ys)));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cy; ++c) ref[size_t(r * cy + c)] = c < c1 ? x[size_t(r * c1 + c)] : z[size_t(r * c2 + c - c1)];
    DeviceBuffer dx(plugin, x.size(), misalign), dz(plugin, z.size()), dy(plugin, ref.size(), misalign);
    dx.upload(x);
    dz.upload(z);
    kn_concat_params p{};
    p.x = make_tensor(dx.data(), xs);
    p.z = make_tensor(dz.data(), zs);
    p.y = make_tensor(dy.data(), ys);
    const std::string name = "concat x" + dims(xs) + " z" + dims(zs) + (misalign ? " unaligned" : "");
    expect_ok(plugin.ops->concat(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    return report(name, dy, ref);
}

}  // namespace

int run_resample_cases(const Plugin &plugin) {
    int failures = 0;
    unsigned seed = 1300;
    failures += upsample_case(plugin, {1, 1, 1, 1, 1}, 0, seed++) ? 0 : 1;
    failures += upsample_case(plugin, {2, 3, 5, 7, 3}, 1, seed++) ? 0 : 1;
    failures += upsample_case(plugin, {1, 2, 16, 16, 40}, 0, seed++) ? 0 : 1;  // 320 blocks
    failures += patch_case(plugin, {1, 1, 4, 6, 3}, 2, 0, seed++);
    failures += patch_case(plugin, {2, 3, 6, 9, 5}, 3, 1, seed++);
    failures += patch_case(plugin, {1, 2, 5, 7, 4}, 1, 0, seed++);
    failures += patch_case(plugin, {1, 1, 4, 4, 2}, 4, 0, seed++);
    failures += patch_case(plugin, {1, 2, 8, 6, 1}, 2, 0, seed++);
    for (int32_t mode : {KN_BLEND_FIXED, KN_BLEND_LEARNED}) {
        failures += blend_case(plugin, {2, 3, 5, 7, 3}, mode, 0.3f, 0, 0, seed++) ? 0 : 1;
        failures += blend_case(plugin, {37}, mode, -1.7f, 1, 1, seed++) ? 0 : 1;
        failures += blend_case(plugin, {1, 2, 4, 4, 40}, mode, 2.5f, 2, 0, seed++) ? 0 : 1;
        failures += blend_case(plugin, {}, mode, 0.75f, 0, 0, seed++) ? 0 : 1;
    }
    const std::vector<float> steps = {0.0f, 1.0f, 17.5f, 999.0f, 500.25f};
    failures += embedding_case(plugin, steps, 320, false, 1.0, 10000.0) ? 0 : 1;
    failures += embedding_case(plugin, steps, 320, true, 0.0, 10000.0) ? 0 : 1;
    failures += embedding_case(plugin, steps, 2, true, 0.5, 10000.0) ? 0 : 1;
    failures += embedding_case(plugin, {3.0f, -2.0f}, 6, false, -2.0, 100.0) ? 0 : 1;
    failures += concat_case(plugin, {2, 3, 4, 5}, 3, 5, 0, seed++) ? 0 : 1;   // rank 5, odd C1 != C2
    failures += concat_case(plugin, {7}, 4, 4, 1, seed++) ? 0 : 1;            // rank 2, unaligned
    failures += concat_case(plugin, {}, 6, 1, 0, seed++) ? 0 : 1;             // rank 1
    failures += concat_case(plugin, {1, 2, 16, 16}, 40, 24, 0, seed++) ? 0 : 1; // 128 blocks
    failures += concat_case(plugin, {3, 2}, 0, 5, 0, seed++) ? 0 : 1;         // C1 = 0
    return failures;
}
