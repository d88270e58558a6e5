// half_storage_cases.cpp - the memory-bound ops in f16 and bf16 storage through the plugin's op table:
// ddim_step, elementwise (add, mul, silu, gelu, scale_add), group_norm, layer_norm, upsample_nearest,
// patchify, unpatchify, alpha_blend, concat. Inputs are random f32 values rounded to the storage dtype; the
// reference is double arithmetic (OPS.md's expressions) on those ROUNDED values, so the only errors
// left are the kernel's: f32 arithmetic and the one rounding of each output to the storage dtype.
//
// Bound, per element: |y - ref| <= |rnd(ref) - ref| + 2 * delta, rnd = correct rounding to the dtype
// and delta a bound on the distance of the kernel's f32 value from ref before its store. If rnd(v) !=
// rnd(ref), a rounding midpoint lies within delta of ref, so rnd(v) is at most |rnd(ref) - ref| + 2 *
// delta from ref: the error of the correctly rounded result plus f32 noise. delta per op, with T the
// sum of the magnitudes the f32 evaluation goes through (each f32 operation adds <= eps_f32 / 2 of
// its operands' size, and the host's f32 coefficients one more):
//   ddim_step:        8 eps_f32 T, T from |x|, |m|, |x0| and |eps| through the step's coefficients
//   add, mul, scale_add: 4 eps_f32 (|x op z| terms); silu, gelu: 8 eps_f32 (|x| + |y|) (expf / erff are
//                     within 2 ulp; gelu's 1 + erf cancels at negative x, an absolute error of |x| eps)
//   group/layer_norm: (n + 16) eps_f32 (|xhat| + |mean| rstd) |gamma| (1 + |scale|) + 4 eps_f32 (|beta| +
//                     |shift| + |ref|), n the statistics count (Welford in f32 over n values), times
//                     1.1 (largest slope of SiLU) when fused
//   upsample / patchify / unpatchify / concat: 0 (the element is copied; y must equal the input bits
//                     exactly; concat is also checked bit for bit with NaN payloads and -0)
//   alpha_blend:      4 eps_f32 (|a xs| + |b xt|)
// OPS.md allows 2x PyTorch's own error in the dtype; PyTorch's f16/bf16 ops also round each output
// once from an f32 computation, so this bound (one correct rounding plus f32 noise) is inside it.
// A kernel that computes in the 16-bit type (rounding intermediates), reads a neighbour's element or
// stores 4 bytes per element misses the bound by an ulp or more, or breaks the spare half / guards.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>

#include "half_buffers.h"
#include "op_cases.h"
#include "reference_ops.h"

namespace {

using namespace half_buffers;

constexpr double kEpsF32 = 1.1920928955078125e-07;

// Downloads y (count elements) and checks every element against ref within bound(i) plus the
// correct-rounding term, the spare half of the last word and the guard zones.
template <typename Delta>
bool check(const std::string &name, const Half &half, const DeviceBuffer &dy, const std::vector<double> &ref,
           Delta delta) {
    dy.check_guards(name);
    const std::vector<uint16_t> y = unpack(dy.download());
    bool ok = ref.size() % 2 == 0 || y[ref.size()] == kPadBits;
    double max_err = 0, max_ratio = 0, max_ref = 0;
    size_t worst = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double bound = std::fabs(half.round(ref[i]) - ref[i]) + 2 * delta(i);
        const double err = std::fabs(half.value(y[i]) - ref[i]);  // NaN (pad or poison) fails below
        if (!(err <= bound)) ok = false;
        const double ratio = bound > 0 ? err / bound : (err == 0 ? 0 : INFINITY);
        if (!(ratio <= max_ratio)) max_ratio = ratio, worst = i;
        max_err = std::fmax(max_err, err);
        max_ref = std::fmax(max_ref, std::fabs(ref[i]));
    }
    std::printf("%s %s %s: max_err=%.3g max|ref|=%.3g worst err/bound=%.3g (at %zu)%s\n", ok ? "PASS" : "FAIL",
                name.c_str(), half.name(), max_err, max_ref, max_ratio, worst,
                ref.size() % 2 && y[ref.size()] != kPadBits ? " wrote past y" : "");
    return ok;
}

void run(const Plugin &plugin, int32_t status, const std::string &name) {
    expect_ok(status, name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
}

// ---- ddim_step ----

struct DdimCase {
    int64_t count;
    kinema::ref::DdimScalars k;
    bool uncond, noise, x0_out, y_is_x;
    size_t misalign;
};

int ddim_cases(const Plugin &plugin, const Half &half, unsigned &seed) {
    const kinema::ref::DdimScalars eps{0.6, 0.8, 0.8, 0.6, 7.5, 0.0, 0.0, KN_PREDICTION_EPS};
    const kinema::ref::DdimScalars v_eta{0.5, std::sqrt(0.75), 0.9, std::sqrt(0.19), 3.0, 1.0, 0.0, KN_PREDICTION_V};
    const kinema::ref::DdimScalars x0_clip{0.3, std::sqrt(0.91), 0.7, std::sqrt(0.51), 1.0, 0.5, 1.5, KN_PREDICTION_X0};
    const kinema::ref::DdimScalars eps_clip{0.4, std::sqrt(0.84), 0.6, 0.8, 5.0, 0.0, 1.0, KN_PREDICTION_EPS};
    const DdimCase cases[] = {
        {37, eps, true, false, true, false, 0},        // vector body + a tail of 1, guidance, x0 out
        {1003, v_eta, true, true, true, false, 1},     // unaligned: all scalar, eta noise
        {64, x0_clip, false, true, false, true, 0},    // x0 prediction, clip, y is x
        {258, eps_clip, true, true, true, false, 0},   // clip recomputes eps; several vectors + tail of 2
    };
    int failures = 0;
    for (const DdimCase &c : cases) {
        seed += 10;
        const size_t n = size_t(c.count);
        const Rounded x = rounded(half, n, seed, 2.f), oc = rounded(half, n, seed + 1, 1.f);
        const Rounded ou = c.uncond ? rounded(half, n, seed + 2, 1.f) : Rounded{};
        const Rounded no = c.noise ? rounded(half, n, seed + 3, 1.f) : Rounded{};
        std::vector<double> x0_ref;
        const std::vector<double> y_ref =
            kinema::ref::ddim_reference(c.count, c.k, x.values.data(), oc.values.data(),
                                        kinema::ref::data_or_null(ou.values), kinema::ref::data_or_null(no.values),
                                        &x0_ref);
        // Magnitudes through the step (see the head comment).
        const double at = c.k.alpha_t, st = c.k.sigma_t, as = c.k.alpha_s, ss = c.k.sigma_s, w = c.k.guidance;
        const double sig_eta = c.k.eta > 0 ? c.k.eta * (ss / st) * std::sqrt(st * st - (at * ss / as) * (at * ss / as)) : 0;
        const double es = std::sqrt(std::max(0.0, ss * ss - sig_eta * sig_eta));
        std::vector<double> x0_mag(n), y_mag(n);
        for (size_t i = 0; i < n; ++i) {
            const double ax = std::fabs(x.values[i]), ac = std::fabs(oc.values[i]);
            const double m = c.uncond ? std::fabs(ou.values[i]) + std::fabs(w) * (ac + std::fabs(ou.values[i])) : ac;
            double x0m, epsm;
            if (c.k.prediction == KN_PREDICTION_EPS) x0m = ax / at + st / at * m, epsm = m;
            else if (c.k.prediction == KN_PREDICTION_V) x0m = at * ax + st * m, epsm = st * ax + at * m;
            else x0m = m, epsm = (ax + at * m) / st;
            if (c.k.prediction == KN_PREDICTION_X0 || c.k.clip_x0 > 0) epsm = (ax + at * x0m) / st;
            x0_mag[i] = x0m;
            y_mag[i] = as * x0m + es * epsm + (c.noise ? sig_eta * std::fabs(no.values[i]) : 0);
        }
        auto dx = upload(plugin, x.bits, c.misalign), dc = upload(plugin, oc.bits, c.misalign);
        auto du = upload(plugin, ou.bits, c.misalign), dn = upload(plugin, no.bits, c.misalign);
        auto dy = output(plugin, n, c.misalign), dx0 = output(plugin, c.x0_out ? n : 0, c.misalign);
        const std::vector<int64_t> shape = {c.count};
        const int32_t dt = half.dtype();
        kn_ddim_step_params p{};
        p.x = make_tensor(dx->data(), shape, dt);
        p.out_c = make_tensor(dc->data(), shape, dt);
        p.out_u = c.uncond ? make_tensor(du->data(), shape, dt) : absent_tensor();
        p.noise = c.noise ? make_tensor(dn->data(), shape, dt) : absent_tensor();
        p.y = make_tensor(c.y_is_x ? dx->data() : dy->data(), shape, dt);
        p.x0 = c.x0_out ? make_tensor(dx0->data(), shape, dt) : absent_tensor();
        p.alpha_t = at, p.sigma_t = st, p.alpha_s = as, p.sigma_s = ss, p.guidance = c.uncond ? w : 1.0;
        p.eta = c.k.eta, p.clip_x0 = c.k.clip_x0, p.prediction = c.k.prediction;
        std::ostringstream o;
        o << "ddim_step n=" << n << " pred=" << c.k.prediction << " clip=" << c.k.clip_x0 << " eta=" << c.k.eta
          << (c.misalign ? " unaligned" : "") << (c.y_is_x ? " y=x" : "");
        run(plugin, plugin.ops->ddim_step(&plugin.exec, &p), o.str());
        failures += !check(o.str() + " y", half, c.y_is_x ? *dx : *dy, y_ref,
                           [&](size_t i) { return 8 * kEpsF32 * y_mag[i]; });
        if (c.x0_out)
            failures += !check(o.str() + " x0", half, *dx0, x0_ref, [&](size_t i) { return 8 * kEpsF32 * x0_mag[i]; });
    }
    return failures;
}

// ---- elementwise ----

int elementwise_cases(const Plugin &plugin, const Half &half, unsigned &seed) {
    struct Case {
        int op;
        std::vector<int64_t> x_shape, z_shape;  // z empty for unary ops
        size_t misalign;
    };
    static const char *names[] = {"add", "mul", "silu", "gelu", "scale_add"};
    const Case cases[] = {
        {KN_ELEMENTWISE_ADD, {3, 5, 7}, {3, 5, 7}, 0},       // full z, 105 = 26 vectors + tail of 1
        {KN_ELEMENTWISE_ADD, {6, 3, 12}, {12}, 1},           // broadcast z, unaligned: scalar path
        {KN_ELEMENTWISE_MUL, {5, 4, 8}, {4, 8}, 0},          // broadcast z over 32, vector path
        {KN_ELEMENTWISE_MUL, {9, 7}, {7}, 0},                // broadcast z of odd length: scalar path
        {KN_ELEMENTWISE_SILU, {2, 3, 5, 7}, {}, 0},          // 210: vectors + tail of 2
        {KN_ELEMENTWISE_GELU, {1001}, {}, 0},
        {KN_ELEMENTWISE_GELU, {4, 33}, {}, 1},
        {KN_ELEMENTWISE_SCALE_ADD, {3, 41}, {3, 41}, 0},
        {KN_ELEMENTWISE_SCALE_ADD, {4, 2, 8}, {8}, 1},
        {KN_ELEMENTWISE_ADD, {2, 3, 2, 2, 8}, {2, 1, 1, 1, 8}, 0},  // per-batch z, vector path
        {KN_ELEMENTWISE_MUL, {3, 2, 2, 3, 5}, {3, 1, 1, 1, 5}, 0},  // per-batch z, odd C: scalar path
        {KN_ELEMENTWISE_ADD, {1, 4, 3, 3, 12}, {1, 1, 1, 1, 12}, 1}, // B = 1, unaligned
        {KN_ELEMENTWISE_SCALE_ADD, {2, 3, 4, 8}, {2, 1, 1, 8}, 0},
    };
    int failures = 0;
    for (const Case &c : cases) {
        seed += 10;
        int64_t count = 1, inner = 1;
        for (int64_t d : c.x_shape) count *= d;
        for (int64_t d : c.z_shape) inner *= d;
        const bool binary = !c.z_shape.empty();
        // gelu/silu over [-4, 4): both tails of the activation; binary ops over a few units.
        const float xs = c.op == KN_ELEMENTWISE_SILU || c.op == KN_ELEMENTWISE_GELU ? 4.f : 3.f;
        const Rounded x = rounded(half, size_t(count), seed, xs);
        const Rounded z = binary ? rounded(half, size_t(inner), seed + 1, 2.f) : Rounded{};
        const double a = 0.7, b = -1.3;
        std::vector<double> ref(static_cast<size_t>(count)), delta(static_cast<size_t>(count));
        for (int64_t i = 0; i < count; ++i) {
            const double xv = x.values[size_t(i)],
                         zv = binary ? z.values[size_t(kinema::ref::broadcast_index(c.x_shape, c.z_shape, i))] : 0.0;
            double y, d;
            switch (c.op) {
                case KN_ELEMENTWISE_ADD: y = xv + zv, d = 4 * kEpsF32 * (std::fabs(xv) + std::fabs(zv)); break;
                case KN_ELEMENTWISE_MUL: y = xv * zv, d = 4 * kEpsF32 * std::fabs(y); break;
                case KN_ELEMENTWISE_SILU:
                    y = xv / (1.0 + std::exp(-xv)), d = 8 * kEpsF32 * (std::fabs(xv) + std::fabs(y)); break;
                case KN_ELEMENTWISE_GELU:
                    y = 0.5 * xv * (1.0 + std::erf(xv / std::sqrt(2.0))),
                    d = 8 * kEpsF32 * (std::fabs(xv) + std::fabs(y)); break;
                default: y = a * xv + b * zv, d = 4 * kEpsF32 * (std::fabs(a * xv) + std::fabs(b * zv)); break;
            }
            ref[size_t(i)] = y, delta[size_t(i)] = d;
        }
        auto dx = upload(plugin, x.bits, c.misalign), dz = upload(plugin, z.bits, c.misalign);
        auto dy = output(plugin, size_t(count), c.misalign);
        kn_elementwise_params p{};
        p.x = make_tensor(dx->data(), c.x_shape, half.dtype());
        p.z = binary ? make_tensor(dz->data(), c.z_shape, half.dtype()) : absent_tensor();
        p.y = make_tensor(dy->data(), c.x_shape, half.dtype());
        p.a = a, p.b = b, p.op = c.op;
        std::ostringstream o;
        o << "elementwise " << names[c.op] << " n=" << count << (binary ? " z=" : "") << (binary ? inner : 0)
          << (c.misalign ? " unaligned" : "");
        run(plugin, plugin.ops->elementwise(&plugin.exec, &p), o.str());
        failures += !check(o.str(), half, *dy, ref, [&](size_t i) { return delta[i]; });
    }
    return failures;
}

// ---- group_norm, layer_norm ----

int norm_cases(const Plugin &plugin, const Half &half, unsigned &seed) {
    int failures = 0;
    struct GroupCase {
        int64_t batch, frames, h, w, channels;
        int groups, per_frame, silu;
    };
    const GroupCase group_cases[] = {
        {2, 3, 5, 3, 20, 4, 0, 1},   // 5 channels a group, odd H and W, statistics over the clip, SiLU
        {1, 2, 7, 9, 12, 3, 1, 0},   // per frame
        {1, 1, 1, 1, 6, 1, 0, 0},    // 6 values: smaller than a warp
    };
    for (const GroupCase &c : group_cases) {
        seed += 10;
        const int64_t P = c.h * c.w, C = c.channels, cg = C / c.groups, count = c.batch * c.frames * P * C;
        const Rounded x = rounded(half, size_t(count), seed, 2.f, 0.5f);
        const Rounded gamma = rounded(half, size_t(C), seed + 1, 1.f, 1.f), beta = rounded(half, size_t(C), seed + 2, 1.f);
        const double eps = 1e-5;
        std::vector<double> ref(static_cast<size_t>(count)), delta(static_cast<size_t>(count));
        const int64_t domains = c.per_frame ? c.batch * c.frames : c.batch, span = c.per_frame ? 1 : c.frames;
        for (int64_t dmn = 0; dmn < domains; ++dmn) {
            const int64_t base = dmn * span * P * C;
            for (int g = 0; g < c.groups; ++g) {
                double sum = 0, sq = 0, n = double(span * P * cg);
                for (int64_t q = 0; q < span * P; ++q)
                    for (int64_t k = 0; k < cg; ++k) sum += x.values[size_t(base + q * C + g * cg + k)];
                const double mean = sum / n;
                for (int64_t q = 0; q < span * P; ++q)
                    for (int64_t k = 0; k < cg; ++k) {
                        const double dv = x.values[size_t(base + q * C + g * cg + k)] - mean;
                        sq += dv * dv;
                    }
                const double rstd = 1.0 / std::sqrt(sq / n + eps);
                for (int64_t q = 0; q < span * P; ++q)
                    for (int64_t k = 0; k < cg; ++k) {
                        const size_t at = size_t(base + q * C + g * cg + k), ch = size_t(g * cg + k);
                        const double xhat = (x.values[at] - mean) * rstd;
                        double v = xhat * gamma.values[ch] + beta.values[ch];
                        double d = (n + 16) * kEpsF32 * (std::fabs(xhat) + std::fabs(mean) * rstd) *
                                   std::fabs(gamma.values[ch]);
                        d += 4 * kEpsF32 * (std::fabs(beta.values[ch]) + std::fabs(v));
                        if (c.silu) v = v / (1.0 + std::exp(-v)), d = 1.1 * d + 4 * kEpsF32 * std::fabs(v);
                        ref[at] = v, delta[at] = d;
                    }
            }
        }
        auto dx = upload(plugin, x.bits), dg = upload(plugin, gamma.bits), db = upload(plugin, beta.bits);
        auto dy = output(plugin, size_t(count));
        const std::vector<int64_t> shape = {c.batch, c.frames, c.h, c.w, C};
        kn_group_norm_params p{};
        p.x = make_tensor(dx->data(), shape, half.dtype());
        p.gamma = make_tensor(dg->data(), {C}, half.dtype());
        p.beta = make_tensor(db->data(), {C}, half.dtype());
        p.y = make_tensor(dy->data(), shape, half.dtype());
        p.eps = eps, p.groups = c.groups, p.per_frame = c.per_frame, p.silu = c.silu;
        std::ostringstream o;
        o << "group_norm B" << c.batch << " T" << c.frames << " " << c.h << "x" << c.w << " C" << C << " groups"
          << c.groups << (c.per_frame ? " per_frame" : "") << (c.silu ? " silu" : "");
        run(plugin, plugin.ops->group_norm(&plugin.exec, &p), o.str());
        failures += !check(o.str(), half, *dy, ref, [&](size_t i) { return delta[i]; });
    }

    struct LayerCase {
        std::vector<int64_t> shape;
        bool affine, modulated, y_is_x;
    };
    const LayerCase layer_cases[] = {
        {{2, 7, 40}, true, true, false},      // adaLN shift/scale per batch
        {{3, 5, 13}, false, false, false},    // C < a warp, odd
        {{1, 2, 3, 3, 70}, true, false, true},  // rank 5, lanes over 3 strides, in place
    };
    for (const LayerCase &c : layer_cases) {
        seed += 10;
        int64_t count = 1;
        for (int64_t d : c.shape) count *= d;
        const int64_t C = c.shape.back(), B = c.shape.front(), rows = count / C;
        const Rounded x = rounded(half, size_t(count), seed, 3.f, -0.25f);
        const Rounded gamma = c.affine ? rounded(half, size_t(C), seed + 1, 1.f, 1.f) : Rounded{};
        const Rounded beta = c.affine ? rounded(half, size_t(C), seed + 2, 1.f) : Rounded{};
        const Rounded shift = c.modulated ? rounded(half, size_t(B * C), seed + 3, 1.f) : Rounded{};
        const Rounded scale = c.modulated ? rounded(half, size_t(B * C), seed + 4, 0.5f) : Rounded{};
        const double eps = 1e-6;
        std::vector<double> ref(static_cast<size_t>(count)), delta(static_cast<size_t>(count));
        for (int64_t r = 0; r < rows; ++r) {
            double sum = 0, sq = 0;
            for (int64_t k = 0; k < C; ++k) sum += x.values[size_t(r * C + k)];
            const double mean = sum / double(C);
            for (int64_t k = 0; k < C; ++k) sq += (x.values[size_t(r * C + k)] - mean) * (x.values[size_t(r * C + k)] - mean);
            const double rstd = 1.0 / std::sqrt(sq / double(C) + eps);
            const int64_t b = r / (rows / B);
            for (int64_t k = 0; k < C; ++k) {
                const size_t at = size_t(r * C + k), bc = size_t(b * C + k);
                const double xhat = (x.values[at] - mean) * rstd;
                const double g = c.affine ? gamma.values[size_t(k)] : 1.0, be = c.affine ? beta.values[size_t(k)] : 0.0;
                const double sc = c.modulated ? scale.values[bc] : 0.0, sh = c.modulated ? shift.values[bc] : 0.0;
                const double v = (xhat * g + be) * (1.0 + sc) + sh;
                ref[at] = v;
                delta[at] = (double(C) + 16) * kEpsF32 * (std::fabs(xhat) + std::fabs(mean) * rstd) * std::fabs(g) *
                                (1.0 + std::fabs(sc)) +
                            4 * kEpsF32 * (std::fabs(be) * (1.0 + std::fabs(sc)) + std::fabs(sh) + std::fabs(v));
            }
        }
        auto dx = upload(plugin, x.bits), dg = upload(plugin, gamma.bits), db = upload(plugin, beta.bits);
        auto dsh = upload(plugin, shift.bits), dsc = upload(plugin, scale.bits);
        auto dy = output(plugin, size_t(count));
        const int32_t dt = half.dtype();
        kn_layer_norm_params p{};
        p.x = make_tensor(dx->data(), c.shape, dt);
        p.gamma = c.affine ? make_tensor(dg->data(), {C}, dt) : absent_tensor();
        p.beta = c.affine ? make_tensor(db->data(), {C}, dt) : absent_tensor();
        p.shift = c.modulated ? make_tensor(dsh->data(), {B, C}, dt) : absent_tensor();
        p.scale = c.modulated ? make_tensor(dsc->data(), {B, C}, dt) : absent_tensor();
        p.y = make_tensor(c.y_is_x ? dx->data() : dy->data(), c.shape, dt);
        p.eps = eps;
        std::ostringstream o;
        o << "layer_norm rows=" << rows << " C=" << C << (c.affine ? " affine" : "") << (c.modulated ? " adaLN" : "")
          << (c.y_is_x ? " y=x" : "");
        run(plugin, plugin.ops->layer_norm(&plugin.exec, &p), o.str());
        failures += !check(o.str(), half, c.y_is_x ? *dx : *dy, ref, [&](size_t i) { return delta[i]; });
    }
    return failures;
}

// ---- upsample_nearest, patchify, unpatchify, alpha_blend ----

int resample_cases(const Plugin &plugin, const Half &half, unsigned &seed) {
    int failures = 0;
    const int32_t dt = half.dtype();
    const auto exact = [](size_t) { return 0.0; };
    {  // upsample_nearest: B2 T3 3x5 C7 (odd everything)
        seed += 10;
        const int64_t B = 2, T = 3, H = 3, W = 5, C = 7;
        const Rounded x = rounded(half, size_t(B * T * H * W * C), seed, 4.f);
        std::vector<double> ref;
        for (int64_t f = 0; f < B * T; ++f)
            for (int64_t i = 0; i < 2 * H; ++i)
                for (int64_t j = 0; j < 2 * W; ++j)
                    for (int64_t c = 0; c < C; ++c) ref.push_back(x.values[size_t(((f * H + i / 2) * W + j / 2) * C + c)]);
        auto dx = upload(plugin, x.bits, 1);
        auto dy = output(plugin, ref.size());
        kn_upsample_nearest_params p{};
        p.x = make_tensor(dx->data(), {B, T, H, W, C}, dt);
        p.y = make_tensor(dy->data(), {B, T, 2 * H, 2 * W, C}, dt);
        run(plugin, plugin.ops->upsample_nearest(&plugin.exec, &p), "upsample_nearest 2x3x3x5x7");
        failures += !check("upsample_nearest 2x3x3x5x7", half, *dy, ref, exact);
    }
    {  // patchify then unpatchify: B1 T3 6x4 C5, p = 2 (N = 6 tokens of 20)
        seed += 10;
        const int64_t T = 3, H = 6, W = 4, C = 5, P = 2, N = (H / P) * (W / P), L = P * P * C;
        const Rounded x = rounded(half, size_t(T * H * W * C), seed, 4.f);
        std::vector<double> tokens(size_t(T * N * L));
        for (int64_t f = 0; f < T; ++f)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t w = 0; w < W; ++w)
                    for (int64_t c = 0; c < C; ++c)
                        tokens[size_t((f * N + (h / P) * (W / P) + w / P) * L + ((h % P) * P + w % P) * C + c)] =
                            x.values[size_t(((f * H + h) * W + w) * C + c)];
        auto dx = upload(plugin, x.bits);
        auto dt_tokens = output(plugin, tokens.size());
        kn_patch_params p{};
        p.x = make_tensor(dx->data(), {1, T, H, W, C}, dt);
        p.y = make_tensor(dt_tokens->data(), {1, T, N, L}, dt);
        p.p = int32_t(P);
        run(plugin, plugin.ops->patchify(&plugin.exec, &p), "patchify 3x6x4x5 p2");
        failures += !check("patchify 3x6x4x5 p2", half, *dt_tokens, tokens, exact);
        // unpatchify of fresh token values (not the patchify output, so it is checked on its own).
        const Rounded tk = rounded(half, tokens.size(), seed + 1, 4.f);
        std::vector<double> image(size_t(T * H * W * C));
        for (int64_t f = 0; f < T; ++f)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t w = 0; w < W; ++w)
                    for (int64_t c = 0; c < C; ++c)
                        image[size_t(((f * H + h) * W + w) * C + c)] =
                            tk.values[size_t((f * N + (h / P) * (W / P) + w / P) * L + ((h % P) * P + w % P) * C + c)];
        auto dtk = upload(plugin, tk.bits, 1);
        auto dimg = output(plugin, image.size(), 1);
        kn_patch_params u{};
        u.x = make_tensor(dtk->data(), {1, T, N, L}, dt);
        u.y = make_tensor(dimg->data(), {1, T, H, W, C}, dt);
        u.p = int32_t(P);
        run(plugin, plugin.ops->unpatchify(&plugin.exec, &u), "unpatchify 3x6x4x5 p2");
        failures += !check("unpatchify 3x6x4x5 p2", half, *dimg, image, exact);
    }
    {  // concat: x[2,3,5] and z[2,3,3] -> y[2,3,8], with NaN payloads, -0 and infinities among the values
        seed += 10;
        const int64_t rows = 6, C1 = 5, C2 = 3;
        Rounded x = rounded(half, size_t(rows * C1), seed, 4.f), z = rounded(half, size_t(rows * C2), seed + 1, 4.f);
        x.bits[1] = 0x7fc3u, x.bits[7] = 0x8000u, z.bits[2] = 0xffd1u, z.bits[4] = 0x7c00u;
        std::vector<uint16_t> want;
        for (int64_t r = 0; r < rows; ++r) {
            for (int64_t c = 0; c < C1; ++c) want.push_back(x.bits[size_t(r * C1 + c)]);
            for (int64_t c = 0; c < C2; ++c) want.push_back(z.bits[size_t(r * C2 + c)]);
        }
        auto dx = upload(plugin, x.bits, 1), dz = upload(plugin, z.bits);
        auto dy = output(plugin, want.size());
        kn_concat_params p{};
        p.x = make_tensor(dx->data(), {2, 3, C1}, dt);
        p.z = make_tensor(dz->data(), {2, 3, C2}, dt);
        p.y = make_tensor(dy->data(), {2, 3, C1 + C2}, dt);
        run(plugin, plugin.ops->concat(&plugin.exec, &p), "concat 2x3x(5+3)");
        dy->check_guards("concat 2x3x(5+3)");
        const std::vector<uint16_t> got = unpack(dy->download());
        const bool same = std::equal(want.begin(), want.end(), got.begin());
        std::printf("%s concat 2x3x(5+3) %s: bit-exact copy\n", same ? "PASS" : "FAIL", half.name());
        failures += !same;
    }
    for (const int32_t mode : {KN_BLEND_FIXED, KN_BLEND_LEARNED}) {  // alpha_blend, 2x3x5x7 = 210 elements
        seed += 10;
        const std::vector<int64_t> shape = {2, 3, 5, 7};
        const size_t n = 210;
        const Rounded xs = rounded(half, n, seed, 3.f), xt = rounded(half, n, seed + 1, 3.f);
        const Rounded mix = {{half.bits(mode == KN_BLEND_LEARNED ? -0.8 : 0.3)}, {}};
        const double m = half.value(mix.bits[0]);
        const double alpha = mode == KN_BLEND_LEARNED ? 1.0 / (1.0 + std::exp(-m)) : m;
        std::vector<double> ref(n), delta(n);
        for (size_t i = 0; i < n; ++i) {
            ref[i] = alpha * xs.values[i] + (1.0 - alpha) * xt.values[i];
            delta[i] = 4 * kEpsF32 * (std::fabs(alpha * xs.values[i]) + std::fabs((1.0 - alpha) * xt.values[i]));
        }
        auto dxs = upload(plugin, xs.bits), dxt = upload(plugin, xt.bits), dm = upload(plugin, mix.bits);
        auto dy = output(plugin, n);
        kn_alpha_blend_params p{};
        p.x_spatial = make_tensor(dxs->data(), shape, dt);
        p.x_temporal = make_tensor(dxt->data(), shape, dt);
        p.mix = make_tensor(dm->data(), {1}, dt);
        p.y = make_tensor(dy->data(), shape, dt);
        p.mode = mode;
        const std::string name = std::string("alpha_blend ") + (mode == KN_BLEND_LEARNED ? "learned" : "fixed");
        run(plugin, plugin.ops->alpha_blend(&plugin.exec, &p), name);
        failures += !check(name, half, *dy, ref, [&](size_t i) { return delta[i]; });
    }
    return failures;
}

// ---- refusals: mixed dtypes, and timestep_embedding (f32 only) ----

int refusal_cases(const Plugin &plugin) {
    int failures = 0;
    DeviceBuffer buf(plugin, 64);
    clear_plugin_error();
    kn_elementwise_params e{};
    e.x = e.y = make_tensor(buf.data(), {16}, KN_DTYPE_F16);
    e.z = make_tensor(buf.data(), {16}, KN_DTYPE_BF16);
    e.op = KN_ELEMENTWISE_ADD;
    failures += !expect_unsupported("elementwise f16 x with bf16 z", plugin.ops->elementwise(&plugin.exec, &e),
                                    {"elementwise", "z", "bf16", "f16"});
    clear_plugin_error();
    kn_layer_norm_params l{};
    l.x = l.y = make_tensor(buf.data(), {2, 8}, KN_DTYPE_BF16);
    l.gamma = make_tensor(buf.data(), {8}, KN_DTYPE_F32);
    l.eps = 1e-5;
    failures += !expect_unsupported("layer_norm bf16 x with f32 gamma", plugin.ops->layer_norm(&plugin.exec, &l),
                                    {"layer_norm", "gamma", "f32", "bf16"});
    for (const int32_t dt : {KN_DTYPE_F16, KN_DTYPE_BF16}) {
        clear_plugin_error();
        kn_timestep_embedding_params t{};
        t.t = make_tensor(buf.data(), {2}, dt);
        t.y = make_tensor(buf.data() + 8, {2, 8}, dt);
        t.dim = 8;
        t.max_period = 10000;
        failures += !expect_unsupported(std::string("timestep_embedding ") + (dt == KN_DTYPE_F16 ? "f16" : "bf16"),
                                        plugin.ops->timestep_embedding(&plugin.exec, &t),
                                        {"timestep_embedding", "t", dt == KN_DTYPE_F16 ? "f16" : "bf16"});
    }
    return failures;
}

}  // namespace

int run_half_storage_cases(const Plugin &plugin) {
    int failures = 0;
    unsigned seed = 4100;
    for (const bool bf16 : {false, true}) {
        const Half half{bf16};
        failures += ddim_cases(plugin, half, seed);
        failures += elementwise_cases(plugin, half, seed);
        failures += norm_cases(plugin, half, seed);
        failures += resample_cases(plugin, half, seed);
    }
    return failures + refusal_cases(plugin);
}
