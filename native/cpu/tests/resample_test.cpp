// resample_test.cpp - the cpu upsample_nearest, patchify, unpatchify, alpha_blend,
// timestep_embedding and concat against naive float64 loops written from OPS.md (each indexes from the output
// element back to its source, the opposite direction of the backend's copies): odd sizes, C = 1,
// p = 1 and p = H, threaded sizes, misaligned views, in place alpha_blend, round trips, closed forms.
#include <cmath>
#include <string>
#include <vector>

#include "resample_ops.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

const kn_exec kExec{0, 2, nullptr};

std::string dims(const std::vector<int64_t> &s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
    return out + "]";
}

kn_tensor view(float *data, const std::vector<int64_t> &shape) {
    kn_tensor t{};
    t.data = data;
    t.dtype = KN_DTYPE_F32;
    t.rank = int32_t(shape.size());
    int64_t stride = 1;
    for (int i = t.rank - 1; i >= 0; --i) t.shape[i] = shape[size_t(i)], t.strides[i] = stride, stride *= shape[size_t(i)];
    return t;
}

int64_t product(const std::vector<int64_t> &s) {
    int64_t n = 1;
    for (int64_t v : s) n *= v;
    return n;
}

void upsample_case(Report &report, std::vector<int64_t> x_shape, size_t misalign, uint32_t seed) {
    const int64_t B = x_shape[0], T = x_shape[1], H = x_shape[2], W = x_shape[3], C = x_shape[4];
    const std::vector<int64_t> y_shape = {B, T, 2 * H, 2 * W, C};
    const auto x = random_values(product(x_shape), seed);
    std::vector<double> want(size_t(product(y_shape)));
    for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t)
            for (int64_t i = 0; i < 2 * H; ++i)
                for (int64_t j = 0; j < 2 * W; ++j)
                    for (int64_t c = 0; c < C; ++c)
                        want[size_t((((b * T + t) * 2 * H + i) * 2 * W + j) * C + c)] =
                            x[size_t((((b * T + t) * H + i / 2) * W + j / 2) * C + c)];
    Guarded y(int64_t(want.size()) + 4, 777.0f);
    kn_upsample_nearest_params p{};
    p.x = view(const_cast<float *>(x.data()), x_shape);
    p.y = view(y.data() + misalign, y_shape);
    const std::string name = "upsample_nearest x" + dims(x_shape) + (misalign ? " misaligned" : "");
    if (!report.expect(name + " status", cpu::upsample_nearest(kExec, p) == KN_OK, last_error())) return;
    report.close(name, y.data() + misalign, want);
    report.expect(name + " writes only y", y.intact());
}

// patchify x[B,T,H,W,C] -> y, then unpatchify y back into a fresh image, both against the loops.
void patch_case(Report &report, std::vector<int64_t> x_shape, int32_t patch, size_t misalign, uint32_t seed) {
    const int64_t B = x_shape[0], T = x_shape[1], H = x_shape[2], W = x_shape[3], C = x_shape[4], P = patch;
    const int64_t Hp = H / P, Wp = W / P;
    const std::vector<int64_t> y_shape = {B, T, Hp * Wp, P * P * C};
    const auto x = random_values(product(x_shape), seed);
    std::vector<double> want(size_t(product(y_shape)));
    // Output token n = hp*Wp + wp, feature k = (ph*P + pw)*C + c.
    for (int64_t bt = 0; bt < B * T; ++bt)
        for (int64_t n = 0; n < Hp * Wp; ++n)
            for (int64_t k = 0; k < P * P * C; ++k) {
                const int64_t hp = n / Wp, wp = n % Wp, ph = k / (P * C), pw = (k / C) % P, c = k % C;
                want[size_t((bt * Hp * Wp + n) * P * P * C + k)] =
                    x[size_t(((bt * H + hp * P + ph) * W + wp * P + pw) * C + c)];
            }
    const std::string name = "patchify x" + dims(x_shape) + " p" + std::to_string(patch) + (misalign ? " misaligned" : "");
    Guarded y(int64_t(want.size()) + 4, 777.0f);
    kn_patch_params p{};
    p.x = view(const_cast<float *>(x.data()), x_shape);
    p.y = view(y.data() + misalign, y_shape);
    p.p = patch;
    if (!report.expect(name + " status", cpu::patchify(kExec, p) == KN_OK, last_error())) return;
    report.close(name, y.data() + misalign, want);
    report.expect(name + " writes only y", y.intact());

    // unpatchify of an independent token tensor against the inverse loop.
    const auto tokens = random_values(product(y_shape), seed + 7);
    std::vector<double> image(size_t(product(x_shape)));
    for (int64_t bt = 0; bt < B * T; ++bt)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t w = 0; w < W; ++w)
                for (int64_t c = 0; c < C; ++c)
                    image[size_t(((bt * H + h) * W + w) * C + c)] =
                        tokens[size_t((bt * Hp * Wp + (h / P) * Wp + w / P) * P * P * C + ((h % P) * P + w % P) * C + c)];
    Guarded back(int64_t(image.size()) + 4, 777.0f);
    kn_patch_params u{};
    u.x = view(const_cast<float *>(tokens.data()), y_shape);
    u.y = view(back.data() + misalign, x_shape);
    u.p = patch;
    const std::string uname = "unpatchify y" + dims(x_shape) + " p" + std::to_string(patch) + (misalign ? " misaligned" : "");
    if (!report.expect(uname + " status", cpu::unpatchify(kExec, u) == KN_OK, last_error())) return;
    report.close(uname, back.data() + misalign, image);
    report.expect(uname + " writes only y", back.intact());

    // Round trip: unpatchify(patchify(x)) == x bitwise.
    u.x = p.y;
    if (cpu::unpatchify(kExec, u) != KN_OK) return;
    bool same = true;
    for (size_t i = 0; i < x.size(); ++i) same = same && back.data()[misalign + i] == x[i];
    report.expect(name + " round trip is exact", same);
}

// where: 0 = separate y, 1 = y is x_spatial, 2 = y is x_temporal.
void blend_case(Report &report, std::vector<int64_t> shape, int32_t mode, float mix, int where, uint32_t seed) {
    const int64_t n = product(shape);
    auto xs = random_values(n, seed), xt = random_values(n, seed + 1);
    for (auto &v : xt) v *= 3.0f;
    const double alpha = mode == KN_BLEND_LEARNED ? 1.0 / (1.0 + std::exp(-double(mix))) : double(mix);
    std::vector<double> want(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) want[size_t(i)] = alpha * xs[size_t(i)] + (1.0 - alpha) * xt[size_t(i)];
    Guarded y(n + 4, 777.0f);
    float m = mix;
    kn_alpha_blend_params p{};
    p.x_spatial = view(xs.data(), shape);
    p.x_temporal = view(xt.data(), shape);
    p.mix = view(&m, {1});
    p.y = where == 1 ? p.x_spatial : where == 2 ? p.x_temporal : view(y.data(), shape);
    p.mode = mode;
    const std::string name = std::string("alpha_blend ") + (mode ? "learned" : "fixed") + " mix " +
                             std::to_string(mix) + " " + dims(shape) +
                             (where == 1 ? " y=x_spatial" : where == 2 ? " y=x_temporal" : "");
    if (!report.expect(name + " status", cpu::alpha_blend(kExec, p) == KN_OK, last_error())) return;
    report.close(name, static_cast<float *>(p.y.data), want);
    report.expect(name + " writes only y", y.intact());
}

void embedding_case(Report &report, const std::vector<float> &t, int32_t dim, bool flip, double shift, double period) {
    const int64_t B = int64_t(t.size()), half = dim / 2;
    std::vector<double> want(size_t(B * dim));
    for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < half; ++i) {
            const double arg = double(t[size_t(b)]) * std::exp(-std::log(period) * double(i) / (double(half) - shift));
            const double s = std::sin(arg), c = std::cos(arg);
            want[size_t(b * dim + i)] = flip ? c : s;
            want[size_t(b * dim + half + i)] = flip ? s : c;
        }
    Guarded y(B * dim + 4, 777.0f);
    kn_timestep_embedding_params p{};
    p.t = view(const_cast<float *>(t.data()), {B});
    p.y = view(y.data(), {B, dim});
    p.dim = dim;
    p.flip_sin_to_cos = flip;
    p.downscale_freq_shift = shift;
    p.max_period = period;
    const std::string name = "timestep_embedding B" + std::to_string(B) + " dim" + std::to_string(dim) +
                             (flip ? " flip" : "") + " shift " + std::to_string(shift) + " period " + std::to_string(period);
    if (!report.expect(name + " status", cpu::timestep_embedding(kExec, p) == KN_OK, last_error())) return;
    report.close(name, y.data(), want);
    report.expect(name + " writes only y", y.intact());
}

// Values known without a reference: t = 0 gives sin = 0 and cos = 1 at every frequency; the first
// frequency is 1 whatever the shift, so column 0 is sin(t); mix = 0 learned is an even blend.
void closed_forms(Report &report) {
    std::vector<float> t = {0.0f, 2.5f};
    std::vector<float> y(2 * 8);
    kn_timestep_embedding_params p{};
    p.t = view(t.data(), {2});
    p.y = view(y.data(), {2, 8});
    p.dim = 8;
    p.downscale_freq_shift = 1.0;
    p.max_period = 10000.0;
    cpu::timestep_embedding(kExec, p);
    bool ok = true;
    for (int i = 0; i < 4; ++i) ok = ok && y[size_t(i)] == 0.0f && y[size_t(4 + i)] == 1.0f;
    report.expect("timestep_embedding t=0: sin 0, cos 1", ok);
    report.expect("timestep_embedding column 0 is sin(t), column 4 cos(t)",
                  std::fabs(y[8] - std::sin(2.5f)) < 1e-6f && std::fabs(y[12] - std::cos(2.5f)) < 1e-6f);
    std::vector<float> xs = {2.0f, -4.0f}, xt = {6.0f, 8.0f}, out(2);
    float mix = 0.0f;
    kn_alpha_blend_params b{};
    b.x_spatial = view(xs.data(), {2});
    b.x_temporal = view(xt.data(), {2});
    b.mix = view(&mix, {1});
    b.y = view(out.data(), {2});
    b.mode = KN_BLEND_LEARNED;
    cpu::alpha_blend(kExec, b);
    report.expect("alpha_blend learned mix 0 is the mean", out[0] == 4.0f && out[1] == 2.0f);
}

// concat x[..., C1] and z[..., C2] into y[..., C1+C2]: every element a bit-exact copy.
void concat_case(Report &report, std::vector<int64_t> lead, int64_t c1, int64_t c2, size_t misalign, uint32_t seed) {
    std::vector<int64_t> xs = lead, zs = lead, ys = lead;
    xs.push_back(c1), zs.push_back(c2), ys.push_back(c1 + c2);
    const auto x = random_values(product(xs), seed), z = random_values(product(zs), seed + 1);
    const int64_t rows = product(lead);
    std::vector<double> want(size_t(product(ys)));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < c1 + c2; ++c)
            want[size_t(r * (c1 + c2) + c)] = c < c1 ? x[size_t(r * c1 + c)] : z[size_t(r * c2 + c - c1)];
    Guarded y(int64_t(want.size()) + 4, 777.0f);
    kn_concat_params p{};
    p.x = view(const_cast<float *>(x.data()), xs);
    p.z = view(const_cast<float *>(z.data()), zs);
    p.y = view(y.data() + misalign, ys);
    const std::string name = "concat x" + dims(xs) + " z" + dims(zs) + (misalign ? " misaligned" : "");
    if (!report.expect(name + " status", cpu::concat(kExec, p) == KN_OK, last_error())) return;
    bool exact = true;
    for (size_t i = 0; i < want.size(); ++i) exact = exact && double(y.data()[misalign + i]) == want[i];
    report.expect(name + " is an exact copy", exact);
    report.expect(name + " writes only y", y.intact());
}

}  // namespace

int main() {
    Report report;
    uint32_t seed = 300;
    upsample_case(report, {1, 1, 1, 1, 1}, 0, seed++);
    upsample_case(report, {2, 3, 5, 7, 3}, 1, seed++);
    upsample_case(report, {1, 2, 9, 4, 16}, 0, seed++);
    upsample_case(report, {1, 4, 16, 16, 64}, 0, seed++);  // threaded
    upsample_case(report, {1, 1, 0, 3, 4}, 0, seed++);     // empty
    patch_case(report, {1, 1, 4, 6, 3}, 2, 0, seed++);
    patch_case(report, {2, 3, 6, 9, 5}, 3, 1, seed++);
    patch_case(report, {1, 2, 5, 7, 4}, 1, 0, seed++);     // p = 1: a reshape
    patch_case(report, {1, 1, 4, 4, 2}, 4, 0, seed++);     // p = H = W: one token
    patch_case(report, {1, 4, 32, 32, 16}, 2, 0, seed++);  // threaded
    patch_case(report, {1, 2, 8, 6, 1}, 2, 0, seed++);     // C = 1
    for (int32_t mode : {KN_BLEND_FIXED, KN_BLEND_LEARNED}) {
        blend_case(report, {2, 3, 5, 7, 3}, mode, 0.3f, 0, seed++);
        blend_case(report, {37}, mode, -1.7f, 1, seed++);
        blend_case(report, {1, 4, 16, 16, 64}, mode, 2.5f, 2, seed++);  // threaded, in place
        blend_case(report, {}, mode, 0.75f, 0, seed++);                 // rank 0
        blend_case(report, {0, 4}, mode, 0.5f, 0, seed++);              // empty
    }
    const std::vector<float> steps = {0.0f, 1.0f, 17.5f, 999.0f, 500.25f};
    embedding_case(report, steps, 320, false, 1.0, 10000.0);
    embedding_case(report, steps, 320, true, 0.0, 10000.0);
    embedding_case(report, steps, 2, false, 0.0, 10000.0);
    embedding_case(report, steps, 2, true, 0.5, 10000.0);  // half - shift = 0.5
    embedding_case(report, {3.0f, -2.0f}, 6, false, -2.0, 100.0);
    embedding_case(report, std::vector<float>(70, 981.0f), 1280, true, 1.0, 10000.0);
    concat_case(report, {2, 3, 4, 5}, 3, 5, 0, seed++);     // rank 5, odd C1 != C2
    concat_case(report, {7}, 4, 4, 1, seed++);              // rank 2, misaligned
    concat_case(report, {}, 6, 1, 0, seed++);               // rank 1
    concat_case(report, {1, 4, 16, 16}, 64, 32, 0, seed++); // threaded
    concat_case(report, {3, 2}, 0, 5, 0, seed++);           // C1 = 0
    concat_case(report, {0, 2}, 3, 5, 0, seed++);           // empty
    closed_forms(report);
    return report.finish();
}
