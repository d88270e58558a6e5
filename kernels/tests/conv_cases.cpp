// conv_cases.cpp - conv_spatial and conv_temporal through the plugin's op table against the double
// reference, over shapes that hit every path of the implicit GEMM: Ci % 4 != 0 (flat K walk), Ci not
// a multiple of 16 (chunk tail), Co not a multiple of 64 or 4 (tile tail, scalar epilogue), pixel
// counts not a multiple of 128, T = 1, odd H/W with stride 2, unaligned tensors, residual == y.
#include <cstdio>
#include <sstream>

#include "op_cases.h"
#include "reference_ops.h"

using namespace kinema::ref;

namespace {

struct ConvCase {
    ConvShape shape;
    bool bias, residual, residual_is_y;
    size_t misalign;  // floats by which x and y are shifted off 16-byte alignment
};

std::string describe(const char *op, const ConvCase &c) {
    const ConvShape &s = c.shape;
    std::ostringstream o;
    o << op << " k=" << s.kt << "x" << s.kh << "x" << s.kw << " stride=" << s.stride << " B=" << s.batch
      << " T=" << s.frames << " H=" << s.height << " W=" << s.width << " Ci=" << s.in_channels
      << " Co=" << s.out_channels << (c.bias ? " bias" : "") << (c.residual ? " residual" : "")
      << (c.residual_is_y ? "(=y)" : "") << (c.misalign ? " unaligned" : "");
    return o.str();
}

// Runs one case; `temporal` selects conv_temporal (kt = 3) instead of conv_spatial.
bool run_conv_case(const Plugin &plugin, const ConvCase &c, bool temporal, unsigned seed) {
    const ConvShape &s = c.shape;
    const std::string name = describe(temporal ? "conv_temporal" : "conv_spatial", c);
    const auto x = random_values(s.input_count(), seed);
    const auto w = random_values(s.weight_count(), seed + 1);
    const auto bias = c.bias ? random_values(s.out_channels, seed + 2) : std::vector<float>();
    const auto residual = c.residual ? random_values(s.output_count(), seed + 3) : std::vector<float>();
    const auto ref = conv3d_reference(s, x.data(), w.data(), data_or_null(bias), data_or_null(residual));

    DeviceBuffer dx(plugin, x.size(), c.misalign), dw(plugin, w.size()), dy(plugin, ref.size(), c.misalign);
    DeviceBuffer db(plugin, bias.size()), dr(plugin, residual.size());
    dx.upload(x);
    dw.upload(w);
    if (c.bias) db.upload(bias);
    if (c.residual) (c.residual_is_y ? dy : dr).upload(residual);

    const std::vector<int64_t> x_shape = {s.batch, s.frames, s.height, s.width, s.in_channels};
    const std::vector<int64_t> y_shape = {s.batch, s.frames, s.out_height(), s.out_width(), s.out_channels};
    const kn_tensor tw = make_tensor(dw.data(), {s.out_channels, s.in_channels, s.kt, s.kh, s.kw});
    const kn_tensor tb = c.bias ? make_tensor(db.data(), {s.out_channels}) : absent_tensor();
    const kn_tensor tr = !c.residual ? absent_tensor()
                                     : make_tensor(c.residual_is_y ? dy.data() : dr.data(), y_shape);
    int32_t status;
    if (temporal) {
        kn_conv_temporal_params p{make_tensor(dx.data(), x_shape), tw, tb, tr, make_tensor(dy.data(), y_shape)};
        status = plugin.ops->conv_temporal(&plugin.exec, &p);
    } else {
        kn_conv_spatial_params p{make_tensor(dx.data(), x_shape), tw, tb, tr, make_tensor(dy.data(), y_shape),
                                 s.stride, 0};
        status = plugin.ops->conv_spatial(&plugin.exec, &p);
    }
    expect_ok(status, name);
    expect_ok(plugin.ops->stream_synchronize(&plugin.exec, nullptr), name + " synchronize");
    dy.check_guards(name);
    const Comparison cmp = compare(dy.download(), ref);
    std::printf("%s %s: %s\n", cmp.ok ? "PASS" : "FAIL", name.c_str(), cmp.describe().c_str());
    return cmp.ok;
}

ConvShape spatial(int64_t b, int64_t t, int64_t h, int64_t w, int64_t ci, int64_t co, int k, int stride) {
    return ConvShape{b, t, h, w, ci, co, 1, k, k, stride};
}

ConvShape temporal(int64_t b, int64_t t, int64_t h, int64_t w, int64_t ci, int64_t co) {
    return ConvShape{b, t, h, w, ci, co, 3, 1, 1, 1};
}

}  // namespace

int run_conv_spatial_cases(const Plugin &plugin) {
    const ConvCase cases[] = {
        {spatial(1, 1, 5, 7, 3, 5, 3, 1), true, false, false, 0},       // RGB-like input, flat K walk
        {spatial(1, 1, 5, 7, 3, 5, 3, 2), true, true, false, 0},        // stride 2 on odd H and W
        {spatial(2, 3, 9, 6, 64, 64, 3, 1), true, true, false, 0},      // float4 K walk, 2 pixel tiles
        {spatial(1, 2, 7, 9, 128, 128, 3, 2), false, true, true, 0},    // residual is y, 2 channel tiles
        {spatial(1, 2, 11, 13, 20, 70, 3, 1), true, false, false, 0},   // Ci chunk tail, Co % 4 != 0
        {spatial(1, 1, 4, 4, 8, 12, 3, 1), false, false, false, 0},     // no bias, no residual
        {spatial(1, 3, 6, 5, 5, 3, 1, 1), false, true, false, 0},       // 1x1, Ci = 5, Co = 3
        {spatial(2, 1, 9, 7, 64, 128, 1, 2), true, false, false, 0},    // 1x1 stride 2
        {spatial(1, 2, 5, 6, 4, 8, 3, 1), true, true, false, 1},        // unaligned x and y
        {spatial(1, 1, 1, 1, 16, 4, 3, 1), true, false, false, 0},      // 1x1 image: only the centre tap
    };
    int failures = 0;
    unsigned seed = 100;
    for (const ConvCase &c : cases) failures += run_conv_case(plugin, c, false, seed += 10) ? 0 : 1;
    return failures;
}

int run_conv_temporal_cases(const Plugin &plugin) {
    const ConvCase cases[] = {
        {temporal(1, 1, 3, 5, 3, 5), true, false, false, 0},      // T = 1: both side taps are padding
        {temporal(2, 4, 3, 5, 64, 64), true, true, false, 0},     // float4 K walk
        {temporal(1, 5, 2, 2, 128, 128), false, true, true, 0},   // residual is y
        {temporal(1, 2, 7, 5, 6, 10), true, false, false, 0},     // flat K walk, Co % 4 != 0
        {temporal(1, 3, 9, 17, 12, 20), false, false, false, 1},  // 459 pixels, unaligned x and y
    };
    int failures = 0;
    unsigned seed = 500;
    for (const ConvCase &c : cases) failures += run_conv_case(plugin, c, true, seed += 10) ? 0 : 1;
    return failures;
}
