// half_buffers.h - f16/bf16 test data for the plugin suites: host encodings of both 16-bit types,
// random rounded inputs, and 16-bit tensors packed two per word into the harness's guarded f32
// DeviceBuffers (an odd-length tensor's spare half holds kPadBits, checked after the kernel runs).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "plugin_harness.h"

namespace half_buffers {

// Host encodings written from the IEEE binary16 / bfloat16 definitions, round to nearest even.
inline uint16_t f16_bits(double v) {
    const _Float16 h = static_cast<_Float16>(static_cast<float>(v));  // v is already an f32 value here
    uint16_t bits;
    std::memcpy(&bits, &h, 2);
    return bits;
}
inline double f16_value(uint16_t bits) {
    _Float16 h;
    std::memcpy(&h, &bits, 2);
    return static_cast<double>(h);
}
inline uint16_t bf16_bits(double v) {
    const float f = static_cast<float>(v);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}
inline double bf16_value(uint16_t bits) {
    const uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

struct Half {
    bool bf16;
    const char *name() const { return bf16 ? "bf16" : "f16"; }
    int32_t dtype() const { return bf16 ? KN_DTYPE_BF16 : KN_DTYPE_F16; }
    uint16_t bits(double v) const { return bf16 ? bf16_bits(v) : f16_bits(v); }
    double value(uint16_t b) const { return bf16 ? bf16_value(b) : f16_value(b); }
    // Correct rounding of a double to the dtype (nearest, ties to even; subnormals included).
    double round(double v) const {
        if (v == 0 || !std::isfinite(v)) return v;
        const int e = std::ilogb(v) + 1;
        const double quantum = std::ldexp(1.0, bf16 ? std::max(e - 8, -133) : std::max(e - 11, -24));
        return std::nearbyint(v / quantum) * quantum;
    }
};

// Random values in [offset - scale, offset + scale) rounded to the dtype: bits to upload, exact values.
struct Rounded {
    std::vector<uint16_t> bits;
    std::vector<float> values;  // exact: every f16/bf16 value is an f32 value
};
inline Rounded rounded(const Half &half, size_t count, unsigned seed, float scale, float offset = 0.f) {
    Rounded r;
    for (float v : random_values(count, seed)) {
        r.bits.push_back(half.bits(v * scale + offset));
        r.values.push_back(static_cast<float>(half.value(r.bits.back())));
    }
    return r;
}

constexpr uint16_t kPadBits = 0xdeadu;  // the unused half of an odd-length tensor's last word

// 16-bit tensors travel in the harness's f32 DeviceBuffers (NaN guards around them), two per word.
inline std::vector<float> pack(const std::vector<uint16_t> &bits) {
    std::vector<uint16_t> padded(bits);
    if (padded.size() % 2) padded.push_back(kPadBits);
    std::vector<float> words(padded.size() / 2);
    std::memcpy(words.data(), padded.data(), padded.size() * 2);
    return words;
}
inline std::vector<uint16_t> unpack(const std::vector<float> &words) {
    std::vector<uint16_t> bits(words.size() * 2);
    std::memcpy(bits.data(), words.data(), bits.size() * 2);
    return bits;
}

// A device tensor of `count` 16-bit elements; `misalign` shifts it by 4 bytes (2 elements), which
// sends the vectorized kernels down their scalar path.
inline std::unique_ptr<DeviceBuffer> device(const Plugin &plugin, size_t count, size_t misalign = 0) {
    return std::make_unique<DeviceBuffer>(plugin, (count + 1) / 2, misalign);
}
inline std::unique_ptr<DeviceBuffer> upload(const Plugin &plugin, const std::vector<uint16_t> &bits, size_t misalign = 0) {
    auto buf = device(plugin, bits.size(), misalign);
    buf->upload(pack(bits));
    return buf;
}
// An output buffer poisoned with the pad pattern: a kernel that skips an element is caught.
inline std::unique_ptr<DeviceBuffer> output(const Plugin &plugin, size_t count, size_t misalign = 0) {
    return upload(plugin, std::vector<uint16_t>(count, kPadBits), misalign);
}

}  // namespace half_buffers
