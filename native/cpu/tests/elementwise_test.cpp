// elementwise_test.cpp - the cpu add, mul, silu, gelu and scale_add on every SIMD path against naive
// float64 loops of OPS.md's formulas: full-shape and trailing-dims broadcast z (down to a scalar),
// per-batch z ([B,1,1,1,C] and its lower-rank and B = 1 forms), odd lengths (masked tails), threaded
// sizes, in place, misaligned views, and closed forms.
#include <cmath>
#include <string>
#include <vector>

#include "elementwise_ops.h"
#include "reference_ops.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

const char *kNames[] = {"add", "mul", "silu", "gelu", "scale_add"};

kn_tensor dense_shape(void *data, const std::vector<int64_t> &shape) {
    kn_tensor t{};
    t.data = data;
    t.dtype = KN_DTYPE_F32;
    t.rank = int32_t(shape.size());
    int64_t stride = 1;
    for (int i = t.rank - 1; i >= 0; --i) t.shape[i] = shape[size_t(i)], t.strides[i] = stride, stride *= shape[size_t(i)];
    return t;
}

int64_t product(const std::vector<int64_t> &s, size_t from = 0) {
    int64_t n = 1;
    for (size_t i = from; i < s.size(); ++i) n *= s[i];
    return n;
}

double ref1(int op, double x, double z, double a, double b) {
    switch (op) {
        case KN_ELEMENTWISE_ADD: return x + z;
        case KN_ELEMENTWISE_MUL: return x * z;
        case KN_ELEMENTWISE_SILU: return x / (1 + std::exp(-x));
        case KN_ELEMENTWISE_GELU: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
        default: return a * x + b * z;
    }
}

// zshape: z's shape, broadcast to x's by NumPy's rule (ignored for unary ops).
void run_case_z(Report &report, cpu::Isa isa, int op, const std::vector<int64_t> &shape,
                const std::vector<int64_t> &zshape, bool in_place, size_t misalign, uint32_t seed, float scale = 3.0f) {
    const bool binary = op == KN_ELEMENTWISE_ADD || op == KN_ELEMENTWISE_MUL || op == KN_ELEMENTWISE_SCALE_ADD;
    const int64_t n = product(shape);
    const int64_t zn = product(zshape);
    auto x = random_values(n, seed);
    for (auto &v : x) v *= scale;
    const auto z = random_values(zn, seed + 1);
    const double a = 1.75, b = -0.625;
    std::vector<double> want(static_cast<size_t>(n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        want[size_t(i)] = ref1(op, x[size_t(i)], binary ? z[size_t(ref::broadcast_index(shape, zshape, i))] : 0.0, a, b);

    Guarded x_buffer(n + 4), y_buffer(n + 4, 777.0f);
    float *xin = x_buffer.data() + misalign;
    for (int64_t i = 0; i < n; ++i) xin[i] = x[size_t(i)];
    kn_elementwise_params p{};
    p.op = op;
    p.x = dense_shape(xin, shape);
    p.z = binary ? dense_shape(const_cast<float *>(z.data()), zshape) : absent();
    p.y = in_place ? p.x : dense_shape(y_buffer.data() + misalign, shape);
    p.a = a, p.b = b;

    std::string name = std::string(kNames[op]) + " " + cpu::isa_name(isa) + " [";
    for (size_t i = 0; i < shape.size(); ++i) name += (i ? "," : "") + std::to_string(shape[i]);
    name += "]";
    if (binary) {
        name += " z [";
        for (size_t i = 0; i < zshape.size(); ++i) name += (i ? "," : "") + std::to_string(zshape[i]);
        name += "]";
    }
    name += std::string(in_place ? " y=x" : "") + (misalign ? " misaligned" : "");
    if (!report.expect(name + " status", cpu::elementwise(kn_exec{0, 2, nullptr}, p, isa) == KN_OK, last_error())) return;
    report.close(name, in_place ? xin : y_buffer.data() + misalign, want);
    report.expect(name + " writes only y", y_buffer.intact() && x_buffer.intact());
}

// z_rank: how many trailing dims of x z has (ignored for unary ops).
void run_case(Report &report, cpu::Isa isa, int op, const std::vector<int64_t> &shape, size_t z_rank, bool in_place,
              size_t misalign, uint32_t seed, float scale = 3.0f) {
    run_case_z(report, isa, op, shape, std::vector<int64_t>(shape.end() - int64_t(z_rank), shape.end()), in_place,
               misalign, seed, scale);
}

// Values known without a reference: silu(0) = 0, gelu(0) = 0, gelu(+-10) = +-10 (to f32), silu(-100) ~ 0,
// NaN stays NaN; add of x and -x is exactly 0.
void closed_forms(Report &report, cpu::Isa isa) {
    const std::vector<float> x = {0.0f, 10.0f, -10.0f, -100.0f, NAN, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f,
                                  8.0f, 9.0f, 11.0f, 12.0f, 13.0f};
    const int64_t n = int64_t(x.size());
    std::vector<float> y(x.size());
    kn_elementwise_params p{};
    p.x = dense(const_cast<float *>(x.data()), {n});
    p.y = dense(y.data(), {n});
    p.op = KN_ELEMENTWISE_GELU;
    report.expect(std::string("gelu closed forms status ") + cpu::isa_name(isa),
                  cpu::elementwise(kn_exec{0, 1, nullptr}, p, isa) == KN_OK);
    report.expect(std::string("gelu(0)=0, gelu(10)=10, gelu(-10)=0, NaN stays ") + cpu::isa_name(isa),
                  y[0] == 0.0f && std::fabs(y[1] - 10.0f) < 1e-5f && std::fabs(y[2]) < 1e-5f && std::isnan(y[4]));
    p.op = KN_ELEMENTWISE_SILU;
    cpu::elementwise(kn_exec{0, 1, nullptr}, p, isa);
    report.expect(std::string("silu(0)=0, silu(-100)~0, silu(10)~10, NaN stays ") + cpu::isa_name(isa),
                  y[0] == 0.0f && std::fabs(y[3]) < 1e-30f && std::fabs(y[1] - 9.999546f) < 1e-4f && std::isnan(y[4]));
    std::vector<float> neg(x.size());
    for (size_t i = 0; i < x.size(); ++i) neg[i] = -x[i];
    p.op = KN_ELEMENTWISE_ADD;
    p.z = dense(neg.data(), {n});
    cpu::elementwise(kn_exec{0, 1, nullptr}, p, isa);
    bool zero = true;
    for (int64_t i = 0; i < n; ++i) zero = zero && (i == 4 ? std::isnan(y[size_t(i)]) : y[size_t(i)] == 0.0f);
    report.expect(std::string("x + (-x) = 0 exactly ") + cpu::isa_name(isa), zero);
}

}  // namespace

int main() {
    Report report;
    uint32_t seed = 100;
    for (cpu::Isa isa : supported_isas()) {
        for (int op = 0; op < 5; ++op) {
            const bool binary = op == KN_ELEMENTWISE_ADD || op == KN_ELEMENTWISE_MUL || op == KN_ELEMENTWISE_SCALE_ADD;
            run_case(report, isa, op, {2, 3, 5, 7, 11}, 5, false, 0, seed++);
            run_case(report, isa, op, {37}, 1, true, 1, seed++);
            run_case(report, isa, op, {1, 4, 9, 9, 320}, binary ? 1 : 5, false, 0, seed++);    // channel vector, threads
            run_case(report, isa, op, {2, 70000}, binary ? 1 : 2, true, 0, seed++);          // long rows: chunks
            run_case(report, isa, op, {3, 2, 5}, binary ? 0 : 3, false, 3, seed++);          // scalar z
            run_case(report, isa, op, {2, 16, 8, 8, 4}, binary ? 3 : 5, false, 0, seed++, 8.0f);
            run_case(report, isa, op, {0, 5}, binary ? 1 : 2, false, 0, seed++);            // empty
            run_case(report, isa, op, {}, 0, false, 0, seed++);                             // rank 0
            // > 64 MiB of streams with an aligned y: the non-temporal store path (and y = x through it)
            run_case(report, isa, op, {3, 3000000}, binary ? 1 : 2, op % 2 == 1, 0, seed++);
            if (!binary) continue;
            // Broadcast over middle dims: per-batch, per-channel z (the U-Net's time-embedding add).
            run_case_z(report, isa, op, {2, 3, 4, 5, 16}, {2, 1, 1, 1, 16}, false, 0, seed++);
            run_case_z(report, isa, op, {3, 2, 3, 3, 5}, {3, 1, 1, 1, 5}, true, 1, seed++);   // odd C, in place
            run_case_z(report, isa, op, {1, 4, 6, 6, 24}, {1, 1, 1, 1, 24}, false, 0, seed++); // B = 1
            run_case_z(report, isa, op, {2, 4, 6, 6, 8}, {1, 1, 1, 1, 8}, false, 0, seed++);  // z [1,1,1,1,C]
            run_case_z(report, isa, op, {2, 3, 4, 5, 6}, {2, 3, 1, 1, 6}, false, 0, seed++);  // per frame
            run_case_z(report, isa, op, {4, 5, 6}, {4, 1, 1}, false, 0, seed++);              // inner = 1
            run_case_z(report, isa, op, {2, 8, 16, 16, 64}, {2, 1, 1, 1, 64}, false, 0, seed++); // threads
            run_case_z(report, isa, op, {3, 4, 5}, {1, 5}, false, 0, seed++);                // lower rank, leading 1
        }
        closed_forms(report, isa);
    }
    return report.finish();
}
