// scratch_reuse_test - the kernels' scratch (thread_scratch.h) is allocated once and reused: a call at a
// shape already seen, or a smaller one, allocates nothing, and a call after a larger or different one
// gives bit-identical output (stale scratch contents never leak into results).
#include <cstdio>
#include <cstring>
#include <vector>

#include "norm_ops.h"
#include "test_support.h"
#include "thread_scratch.h"

using namespace kinema;
using namespace kinema::test;

namespace {

// group_norm (32 groups, SiLU) of x [1, T, 8, 8, C]; returns y.
std::vector<float> group_norm_at(cpu::Isa isa, int64_t T, int64_t C, uint32_t seed) {
    auto x = random_values(T * 64 * C, seed);
    const auto gamma = random_values(C, seed + 1), beta = random_values(C, seed + 2);
    std::vector<float> y(x.size());
    kn_group_norm_params p{};
    p.x = dense(x.data(), {1, T, 8, 8, C});
    p.gamma = dense(const_cast<float *>(gamma.data()), {C});
    p.beta = dense(const_cast<float *>(beta.data()), {C});
    p.y = dense(y.data(), {1, T, 8, 8, C});
    p.eps = 1e-5, p.groups = 32, p.per_frame = 0, p.silu = 1;
    const kn_exec e{0, 2, nullptr};
    if (cpu::group_norm(e, p, isa) != KN_OK) std::printf("group_norm failed: %s\n", last_error().c_str());
    return y;
}

// layer_norm with gamma, beta and per-batch shift/scale (modulated: one table per batch) of x [B, 16, C].
std::vector<float> layer_norm_at(cpu::Isa isa, int64_t B, int64_t C, uint32_t seed) {
    auto x = random_values(B * 16 * C, seed);
    const auto gamma = random_values(C, seed + 1), beta = random_values(C, seed + 2);
    const auto shift = random_values(B * C, seed + 3), scale = random_values(B * C, seed + 4);
    std::vector<float> y(x.size());
    kn_layer_norm_params p{};
    p.x = dense(x.data(), {B, 16, C});
    p.gamma = dense(const_cast<float *>(gamma.data()), {C});
    p.beta = dense(const_cast<float *>(beta.data()), {C});
    p.shift = dense(const_cast<float *>(shift.data()), {B, 1, C});
    p.scale = dense(const_cast<float *>(scale.data()), {B, 1, C});
    p.y = dense(y.data(), {B, 16, C});
    p.eps = 1e-6;
    const kn_exec e{0, 2, nullptr};
    if (cpu::layer_norm(e, p, isa) != KN_OK) std::printf("layer_norm failed: %s\n", last_error().c_str());
    return y;
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

int main() {
    Report report;
    for (cpu::Isa isa : supported_isas()) {
        const std::string name = cpu::isa_name(isa);
        const auto first = group_norm_at(isa, 4, 64, 11);
        const int64_t after_first = cpu::thread_scratch_growths();
        const auto again = group_norm_at(isa, 4, 64, 11);
        report.expect("group_norm " + name + ": the same shape again allocates no scratch",
                      cpu::thread_scratch_growths() == after_first);
        report.expect("group_norm " + name + ": the same shape again gives the same bits", same_bits(first, again));
        group_norm_at(isa, 9, 96, 12);   // larger: grows the scratch and leaves other values in it
        const int64_t after_large = cpu::thread_scratch_growths();
        group_norm_at(isa, 2, 64, 13);   // smaller: fits
        report.expect("group_norm " + name + ": a smaller shape allocates no scratch", cpu::thread_scratch_growths() == after_large);
        report.expect("group_norm " + name + ": output after other shapes is bit-identical",
                      same_bits(first, group_norm_at(isa, 4, 64, 11)));

        const auto ln = layer_norm_at(isa, 2, 48, 21);
        const int64_t after_ln = cpu::thread_scratch_growths();
        layer_norm_at(isa, 1, 40, 22);
        report.expect("layer_norm " + name + ": a smaller shape allocates no scratch", cpu::thread_scratch_growths() == after_ln);
        report.expect("layer_norm " + name + ": output after other shapes is bit-identical",
                      same_bits(ln, layer_norm_at(isa, 2, 48, 21)));
    }
    return report.finish();
}
