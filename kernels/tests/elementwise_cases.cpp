// elementwise_cases.cpp - add, mul, silu, gelu and scale_add through the plugin's op table against
// double loops of OPS.md's formulas: full-shape z, trailing-dims broadcast z (down to a scalar),
// per-batch z ([B,1,1,1,C], B = 1, [1,1,1,1,C]), y aliasing x, and sizes/alignments that hit the
// float4 body, the scalar tail and the all-scalar path.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "op_cases.h"
#include "reference_ops.h"

namespace {

const char *kNames[] = {"add", "mul", "silu", "gelu", "scale_add"};

struct ElementwiseCase {
    int op;
    std::vector<int64_t> shape;
    size_t z_rank;  // trailing dims of x that z has (binary ops), unless z_shape is given
    bool y_is_x;
    size_t misalign;
    std::vector<int64_t> z_shape = {};  // z's shape when it is not a suffix of x's
};

int64_t product(const std::vector<int64_t> &s, size_t from) {
    int64_t n = 1;
    for (size_t i = from; i < s.size(); ++i) n *= s[i];
    return n;
}

double reference(int op, double x, double z, double a, double b) {
    switch (op) {
        case KN_ELEMENTWISE_ADD: return x + z;
        case KN_ELEMENTWISE_MUL: return x * z;
        case KN_ELEMENTWISE_SILU: return x / (1.0 + std::exp(-x));
        case KN_ELEMENTWISE_GELU: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
        default: return a * x + b * z;
    }
}

bool run_case(const Plugin &plugin, const ElementwiseCase &c, unsigned seed) {
    const bool binary = c.op == KN_ELEMENTWISE_ADD || c.op == KN_ELEMENTWISE_MUL || c.op == KN_ELEMENTWISE_SCALE_ADD;
    std::ostringstream o;
    o << "elementwise " << kNames[c.op] << " [";
    for (size_t i = 0; i < c.shape.size(); ++i) o << (i ? "," : "") << c.shape[i];
    o << "]";
    const size_t zfrom = c.shape.size() - c.z_rank;
    const std::vector<int64_t> zshape =
        c.z_shape.empty() ? std::vector<int64_t>(c.shape.begin() + static_cast<long>(zfrom), c.shape.end()) : c.z_shape;
    if (binary) {
        o << " z [";
        for (size_t i = 0; i < zshape.size(); ++i) o << (i ? "," : "") << zshape[i];
        o << "]";
    }
    o << (c.y_is_x ? " y=x" : "") << (c.misalign ? " unaligned" : "");
    const std::string name = o.str();

    const size_t n = static_cast<size_t>(product(c.shape, 0));
    const size_t zn = static_cast<size_t>(product(zshape, 0));
    auto x = random_values(n, seed);
    for (float &v : x) v *= 4.f;
    const auto z = random_values(zn, seed + 1);
    const double a = -0.75, b = 1.5;
    std::vector<double> ref(n);
    for (size_t i = 0; i < n; ++i)
        ref[i] = reference(c.op, x[i], binary ? z[size_t(kinema::ref::broadcast_index(c.shape, zshape, int64_t(i)))] : 0.0,
                           a, b);

    DeviceBuffer dx(plugin, n, c.misalign), dz(plugin, binary ? zn : 0, c.misalign), dy(plugin, n, c.misalign);
    dx.upload(x);
    if (binary) dz.upload(z);
    kn_elementwise_params p{};
    p.op = c.op;
    p.x = make_tensor(dx.data(), c.shape);
    p.z = binary ? make_tensor(dz.data(), zshape) : absent_tensor();
    p.y = make_tensor(c.y_is_x ? dx.data() : dy.data(), c.shape);
    p.a = a;
    p.b = b;
    expect_ok(plugin.ops->elementwise(&plugin.exec, &p), name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    const DeviceBuffer &y_buffer = c.y_is_x ? dx : dy;
    y_buffer.check_guards(name + " y");
    const Comparison cmp = compare(y_buffer.download(), ref);
    std::printf("%s %s: %s\n", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    return cmp.ok;
}

}  // namespace

int run_elementwise_cases(const Plugin &plugin) {
    int failures = 0;
    unsigned seed = 900;
    for (int op = 0; op < 5; ++op) {
        const bool binary = op == KN_ELEMENTWISE_ADD || op == KN_ELEMENTWISE_MUL || op == KN_ELEMENTWISE_SCALE_ADD;
        const ElementwiseCase cases[] = {
            {op, {2, 3, 5, 7, 12}, 5, false, 0},                // full z, float4 body
            {op, {2, 3, 4, 4, 10}, binary ? 1u : 5u, false, 0}, // C = 10: broadcast, scalar path
            {op, {2, 4, 4, 4, 16}, binary ? 2u : 5u, true, 0},  // float4 with period 64, in place
            {op, {1, 2, 3, 1031}, binary ? 1u : 4u, false, 1},  // unaligned: all scalar
            {op, {3, 5}, 0, false, 0},                          // scalar z
            {op, {1, 300001}, binary ? 2u : 2u, false, 0},      // grid-stride over several waves + tail
        };
        for (const auto &c : cases) failures += run_case(plugin, c, seed++) ? 0 : 1;
        if (!binary) continue;
        const ElementwiseCase broadcast[] = {
            {op, {2, 3, 4, 4, 16}, 0, false, 0, {2, 1, 1, 1, 16}},  // per-batch z, float4
            {op, {3, 2, 3, 3, 5}, 0, true, 0, {3, 1, 1, 1, 5}},     // odd C: scalar path, in place
            {op, {1, 4, 4, 4, 12}, 0, false, 1, {1, 1, 1, 1, 12}},  // B = 1, unaligned
            {op, {2, 3, 4, 4, 8}, 0, false, 0, {1, 1, 1, 1, 8}},    // z [1,1,1,1,C]: the trailing instance
            {op, {2, 2, 3, 5, 4}, 0, false, 0, {2, 2, 1, 1, 4}},    // per frame
            {op, {4, 5, 6}, 0, false, 0, {4, 1, 1}},                // inner = 1
            {op, {3, 400, 260}, 0, false, 0, {3, 1, 260}},          // several grid-stride waves
        };
        for (const auto &c : broadcast) failures += run_case(plugin, c, seed++) ? 0 : 1;
    }
    return failures;
}
