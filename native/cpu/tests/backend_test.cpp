// backend_test.cpp - the cpu backend's table: memory, streams, probe, and op dispatch.
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "cpu_backend.h"
#include "reference.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

int main() {
    Report report;
    const kn_backend_ops *ops = kn_cpu_backend();
    report.expect("table exists", ops != nullptr);
    if (ops == nullptr) return report.finish();
    report.expect("table abi", ops->abi == KN_PLUGIN_ABI);
    report.expect("table name", ops->name != nullptr && std::string(ops->name) == "cpu");
    report.expect("table complete", ops->probe && ops->malloc && ops->free && ops->memcpy && ops->memset &&
                                        ops->stream_create && ops->stream_destroy && ops->stream_synchronize &&
                                        ops->conv_spatial && ops->conv_temporal && ops->ddim_step);

    int32_t devices = -1;
    report.expect("probe: KN_OK, one device", ops->probe(&devices) == KN_OK && devices == 1);

    const kn_exec e{0, 2, nullptr};
    // Every size, 0 included, gets its own 256-byte aligned block.
    std::set<void *> seen;
    std::vector<void *> blocks;
    bool aligned = true, unique = true, ok = true;
    for (int64_t bytes : {0, 0, 1, 3, 255, 256, 257, 4096, 1 << 20}) {
        void *p = nullptr;
        ok = ok && ops->malloc(&e, bytes, &p) == KN_OK && p != nullptr;
        aligned = aligned && reinterpret_cast<uintptr_t>(p) % 256 == 0;
        unique = unique && seen.insert(p).second;
        if (p != nullptr && bytes > 0) std::memset(p, 0xAB, size_t(bytes));  // the whole size is writable
        blocks.push_back(p);
    }
    report.expect("malloc succeeds", ok);
    report.expect("malloc is 256-byte aligned", aligned);
    report.expect("malloc gives distinct blocks, 0 bytes included", unique);
    for (void *p : blocks) ops->free(&e, p);

    // memset and memcpy in every direction are plain host copies.
    unsigned char a[64], b[64];
    std::memset(a, 0, sizeof a);
    report.expect("memset status", ops->memset(&e, a + 3, 0x5A, 40) == KN_OK);
    bool set_ok = true;
    for (int i = 0; i < 64; ++i) set_ok = set_ok && a[i] == (i >= 3 && i < 43 ? 0x5A : 0);
    report.expect("memset writes exactly the range", set_ok);
    for (int kind : {KN_COPY_HOST_TO_DEVICE, KN_COPY_DEVICE_TO_HOST, KN_COPY_DEVICE_TO_DEVICE}) {
        for (int i = 0; i < 64; ++i) a[i] = (unsigned char)(i * 7 + kind), b[i] = 0;
        const bool status = ops->memcpy(&e, b + 1, a + 2, 50, kind) == KN_OK;
        bool same = true;
        for (int i = 0; i < 64; ++i) same = same && b[i] == (i >= 1 && i < 51 ? a[i + 1] : 0);
        report.expect("memcpy kind " + std::to_string(kind), status && same);
    }
    report.expect("memcpy of 0 bytes", ops->memcpy(&e, b, a, 0, KN_COPY_DEVICE_TO_DEVICE) == KN_OK);

    void *stream = nullptr;
    report.expect("stream create gives a handle", ops->stream_create(&e, &stream) == KN_OK && stream != nullptr);
    report.expect("stream synchronize", ops->stream_synchronize(&e, stream) == KN_OK);
    report.expect("stream destroy", ops->stream_destroy(&e, stream) == KN_OK);

    // The table's ops run (on the best path) and match the reference.
    const ConvShape s{1, 3, 5, 6, 7, 9};
    const auto x = random_values(s.frames * s.h * s.w * s.ci, 1), w = random_values(s.co * s.ci * 9, 2);
    const auto wt = random_values(s.co * s.ci * 3, 3), bias = random_values(s.co, 4);
    std::vector<float> y(size_t(s.frames * s.h * s.w * s.co));
    kn_conv_spatial_params sp{};
    sp.x = dense(const_cast<float *>(x.data()), {1, s.frames, s.h, s.w, s.ci});
    sp.w = dense(const_cast<float *>(w.data()), {s.co, s.ci, 1, 3, 3});
    sp.b = dense(const_cast<float *>(bias.data()), {s.co});
    sp.y = dense(y.data(), {1, s.frames, s.h, s.w, s.co});
    sp.stride = 1;
    report.expect("table conv_spatial status", ops->conv_spatial(&e, &sp) == KN_OK, last_error());
    report.close("table conv_spatial", y.data(),
                 conv_spatial_reference(s, 3, 1, x.data(), w.data(), bias.data(), nullptr));

    kn_conv_temporal_params tp{};
    tp.x = sp.x;
    tp.w = dense(const_cast<float *>(wt.data()), {s.co, s.ci, 3, 1, 1});
    tp.y = sp.y;
    report.expect("table conv_temporal status", ops->conv_temporal(&e, &tp) == KN_OK, last_error());
    report.close("table conv_temporal", y.data(), conv_temporal_reference(s, x.data(), wt.data(), nullptr, nullptr));

    const int64_t n = 45;
    const auto c = random_values(n, 5);
    std::vector<float> yd(static_cast<size_t>(n));
    kn_ddim_step_params dp{};
    dp.x = dense(const_cast<float *>(x.data()), {n});
    dp.out_c = dense(const_cast<float *>(c.data()), {n});
    dp.y = dense(yd.data(), {n});
    dp.alpha_t = 0.6, dp.sigma_t = 0.8, dp.alpha_s = 0.8, dp.sigma_s = 0.6, dp.guidance = 1;
    dp.prediction = KN_PREDICTION_V;
    report.expect("table ddim_step status", ops->ddim_step(&e, &dp) == KN_OK, last_error());
    const DdimAttrs attrs{0.6, 0.8, 0.8, 0.6, 1.0, 0.0, 0.0, KN_PREDICTION_V};
    report.close("table ddim_step", yd.data(),
                 ddim_step_reference(n, attrs, x.data(), c.data(), nullptr, nullptr, nullptr));
    return report.finish();
}
