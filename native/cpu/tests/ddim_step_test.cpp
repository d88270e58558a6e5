// ddim_step_test.cpp - the cpu ddim_step on every SIMD path against OPS.md's formula in float64,
// plus closed forms that do not go through that formula.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "reference.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

const char *prediction_name(int p) { return p == KN_PREDICTION_EPS ? "eps" : p == KN_PREDICTION_V ? "v" : "x0"; }

struct Inputs {
    std::vector<float> x, out_c, out_u, noise;
};

Inputs random_inputs(int64_t n, uint32_t seed) {
    return {random_values(n, seed), random_values(n, seed + 1), random_values(n, seed + 2),
            random_values(n, seed + 3)};
}

kn_ddim_step_params make_params(const DdimAttrs &a) {
    kn_ddim_step_params p{};
    p.alpha_t = a.alpha_t, p.sigma_t = a.sigma_t, p.alpha_s = a.alpha_s, p.sigma_s = a.sigma_s;
    p.guidance = a.guidance, p.eta = a.eta, p.clip_x0 = a.clip_x0, p.prediction = a.prediction;
    return p;
}

// One call against the reference; `y_is_x` runs in place (y = x); `misalign` shifts y and x0 by that
// many floats off their 64-byte aligned buffers.
void run_case(Report &report, cpu::Isa isa, int64_t n, const DdimAttrs &a, bool guided, bool x0_out, bool y_is_x,
              uint32_t seed, int misalign = 0) {
    Inputs in = random_inputs(n, seed);
    const bool noisy = a.eta > 0;
    std::vector<double> want_x0;
    const auto want = ddim_step_reference(n, a, in.x.data(), in.out_c.data(), guided ? in.out_u.data() : nullptr,
                                          noisy ? in.noise.data() : nullptr, &want_x0);

    Guarded y_buffer(n + misalign, 777.0f), x0_buffer(n + misalign, 777.0f), x_buffer(n + misalign);
    float *y = y_buffer.data() + misalign, *x0 = x0_buffer.data() + misalign, *x_inout = x_buffer.data() + misalign;
    for (int64_t i = 0; i < n; ++i) x_inout[i] = in.x[size_t(i)];
    kn_ddim_step_params p = make_params(a);
    p.x = dense(y_is_x ? x_inout : in.x.data(), {n});
    p.out_c = dense(in.out_c.data(), {n});
    p.out_u = guided ? dense(in.out_u.data(), {n}) : absent();
    p.noise = noisy ? dense(in.noise.data(), {n}) : absent();
    p.y = y_is_x ? p.x : dense(y, {n});
    p.x0 = x0_out ? dense(x0, {n}) : absent();

    char name[200];
    std::snprintf(name, sizeof name, "ddim_step %s n%lld %s%s eta%g%s%s%s%s", cpu::isa_name(isa), (long long)n,
                  prediction_name(a.prediction), guided ? " guided" : "", a.eta, a.clip_x0 > 0 ? " clip" : "",
                  x0_out ? " x0-out" : "", y_is_x ? " y=x" : "", misalign ? " misaligned" : "");
    const kn_exec e{0, 2, nullptr};
    if (!report.expect(std::string(name) + " status", cpu::ddim_step(e, p, isa) == KN_OK, last_error())) return;
    report.close(name, y_is_x ? x_inout : y, want);
    if (x0_out) report.close(std::string(name) + " x0", x0, want_x0);
    report.expect(std::string(name) + " writes only its outputs",
                  y_buffer.intact() && x0_buffer.intact() && x_buffer.intact());
}

// x built from a known clean sample and noise, x = a_t x0* + s_t e*; a model output that is exact for
// its prediction type must step (eta = 0) to y = a_s x0* + s_s e*, and with a_s = 1, s_s = 0 to x0*.
void closed_forms(Report &report, cpu::Isa isa) {
    const int64_t n = 1000;
    const auto x0_true = random_values(n, 91), eps_true = random_values(n, 92);
    for (int prediction : {KN_PREDICTION_EPS, KN_PREDICTION_V, KN_PREDICTION_X0}) {
        for (bool to_clean : {false, true}) {
            const double at = 0.6, st = 0.8, as = to_clean ? 1.0 : 0.9, ss = to_clean ? 0.0 : std::sqrt(1 - 0.81);
            std::vector<float> x(static_cast<size_t>(n)), out(static_cast<size_t>(n));
            std::vector<double> want(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i) {
                const double c = x0_true[size_t(i)], e = eps_true[size_t(i)];
                x[size_t(i)] = float(at * c + st * e);
                const double exact = prediction == KN_PREDICTION_EPS ? e
                                     : prediction == KN_PREDICTION_V   ? at * e - st * c
                                                                       : c;
                out[size_t(i)] = float(exact);
                want[size_t(i)] = as * c + ss * e;
            }
            kn_ddim_step_params p = make_params({at, st, as, ss, 1.0, 0.0, 0.0, prediction});
            std::vector<float> y(static_cast<size_t>(n)), x0(static_cast<size_t>(n));
            p.x = dense(x.data(), {n});
            p.out_c = dense(out.data(), {n});
            p.y = dense(y.data(), {n});
            p.x0 = dense(x0.data(), {n});
            const kn_exec e{0, 2, nullptr};
            const std::string name = std::string("ddim_step ") + cpu::isa_name(isa) + " closed form " +
                                     prediction_name(prediction) + (to_clean ? " to a_s=1, s_s=0: y == x0" : "");
            if (!report.expect(name + " status", cpu::ddim_step(e, p, isa) == KN_OK, last_error())) continue;
            report.close(name, y.data(), want);
            if (to_clean) {
                bool same = true;
                for (int64_t i = 0; i < n; ++i) same = same && y[size_t(i)] == x0[size_t(i)];
                report.expect(name + " (bitwise)", same);
            }
        }
    }
}

// A NaN model output stays NaN through clipping (torch.clamp keeps NaN) instead of becoming +-clip.
void nan_through_clip(Report &report, cpu::Isa isa) {
    const int64_t n = 37;
    Inputs in = random_inputs(n, 7);
    in.out_c[5] = NAN;
    in.out_c[20] = NAN;
    std::vector<float> y(static_cast<size_t>(n)), x0(static_cast<size_t>(n));
    kn_ddim_step_params p = make_params({0.6, 0.8, 0.8, 0.6, 1.0, 0.0, 0.5, KN_PREDICTION_X0});
    p.x = dense(in.x.data(), {n});
    p.out_c = dense(in.out_c.data(), {n});
    p.y = dense(y.data(), {n});
    p.x0 = dense(x0.data(), {n});
    const kn_exec e{0, 1, nullptr};
    cpu::ddim_step(e, p, isa);
    bool ok = true;
    for (int64_t i = 0; i < n; ++i) {
        const bool nan_in = i == 5 || i == 20;
        ok = ok && std::isnan(y[size_t(i)]) == nan_in && std::isnan(x0[size_t(i)]) == nan_in;
    }
    report.expect(std::string("ddim_step ") + cpu::isa_name(isa) + " NaN stays NaN through clip_x0", ok);
}

}  // namespace

int main() {
    Report report;
    const int64_t sizes[] = {1, 7, 16, 37, 100003};  // tails of every vector width; 100003 runs 2 threads
    uint32_t seed = 1;
    for (cpu::Isa isa : supported_isas()) {
        int combo = 0;
        for (int prediction : {KN_PREDICTION_EPS, KN_PREDICTION_V, KN_PREDICTION_X0})
            for (bool guided : {false, true})
                for (double eta : {0.0, 1.0})
                    for (double clip : {0.0, 1.0})
                        for (bool x0_out : {false, true}) {
                            const DdimAttrs a{0.6, 0.8, 0.8, 0.6, 7.5, eta, clip, prediction};
                            const int64_t n = sizes[combo % 5];
                            run_case(report, isa, n, a, guided, x0_out, combo % 2 == 1, seed += 10);
                            ++combo;
                        }
        // Scales that are not variance preserving, with eta between 0 and 1.
        run_case(report, isa, 100003, {0.9, 0.3, 0.95, 0.2, 3.0, 0.5, 0.0, KN_PREDICTION_V}, true, true, false, 77);
        // Beyond 64 MiB streamed: aligned outputs take the non-temporal store path, misaligned ones not.
        for (int misalign : {0, 1})
            for (bool y_is_x : {false, true})
                run_case(report, isa, 2900017, {0.6, 0.8, 0.8, 0.6, 7.5, 1.0, 1.0, KN_PREDICTION_EPS}, true, true,
                         y_is_x, seed += 10, misalign);
        closed_forms(report, isa);
        nan_through_clip(report, isa);
    }

    kn_ddim_step_params p = make_params({0.6, 0.8, 0.8, 0.6, 1.0, 0.0, 0.0, KN_PREDICTION_EPS});
    float dummy[4] = {};
    p.x = dense(dummy, {4});
    p.x.dtype = KN_DTYPE_BF16;
    p.out_c = dense(dummy, {4});
    p.y = dense(dummy, {4});
    clear_error();
    const kn_exec e{0, 1, nullptr};
    report.expect("ddim_step refuses bf16", cpu::ddim_step(e, p, cpu::best_isa()) == KN_ERR_UNSUPPORTED &&
                                                last_error().find("'x'") != std::string::npos,
                  last_error());
    return report.finish();
}
