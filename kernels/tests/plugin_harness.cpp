#include "plugin_harness.h"

#include <dlfcn.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>

namespace {

std::string g_last_error;

void host_set_error(const char *message) { g_last_error = message ? message : ""; }

// A quiet NaN with a payload: bitwise-checkable in the guard zones, and a kernel that reads past a
// tensor and multiplies the value by a zero weight still turns its output into NaN.
float sentinel() {
    const uint32_t bits = 0x7fc0deadu;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}
const float kSentinel = sentinel();

}  // namespace

const std::string &plugin_last_error() { return g_last_error; }
void clear_plugin_error() { g_last_error.clear(); }

Plugin load_plugin(const std::string &path, int32_t abi) {
    Plugin plugin;
    plugin.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (plugin.handle == nullptr) {
        const char *why = dlerror();
        throw TestFailure("cannot load plugin " + path + ": " + (why ? why : "unknown dlopen error"));
    }
    auto entry = reinterpret_cast<kn_plugin_entry_fn>(dlsym(plugin.handle, KN_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) throw TestFailure("plugin " + path + " lacks " + KN_PLUGIN_ENTRY_SYMBOL);
    static kn_host_api host;  // the plugin keeps host->set_error
    host = {abi, host_set_error};
    clear_plugin_error();
    plugin.ops = entry(&host);
    return plugin;
}

void expect_ok(int32_t status, const std::string &what) {
    if (status != KN_OK) {
        throw TestFailure(what + " returned status " + std::to_string(status) + ": " + plugin_last_error());
    }
}

DeviceBuffer::DeviceBuffer(const Plugin &plugin, size_t count, size_t misalign)
    : plugin_(plugin), count_(count), misalign_(misalign) {
    const size_t total = count + misalign + 2 * kGuard;
    expect_ok(plugin_.ops->malloc(&plugin_.exec, static_cast<int64_t>(total * sizeof(float)), &base_), "malloc");
    data_ = static_cast<float *>(base_) + kGuard + misalign;
    std::vector<float> fill(total, kSentinel);
    expect_ok(plugin_.ops->memcpy(&plugin_.exec, base_, fill.data(), static_cast<int64_t>(total * sizeof(float)),
                                  KN_COPY_HOST_TO_DEVICE),
              "memcpy host to device");
}

DeviceBuffer::~DeviceBuffer() {
    if (base_) plugin_.ops->free(&plugin_.exec, base_);
}

void DeviceBuffer::upload(const std::vector<float> &values) {
    if (values.size() != count_) {
        throw TestFailure("upload: " + std::to_string(values.size()) + " values for a buffer of " +
                          std::to_string(count_));
    }
    expect_ok(plugin_.ops->memcpy(&plugin_.exec, data_, values.data(), static_cast<int64_t>(count_ * sizeof(float)),
                                  KN_COPY_HOST_TO_DEVICE),
              "memcpy host to device");
}

std::vector<float> DeviceBuffer::download() const {
    std::vector<float> values(count_);
    expect_ok(plugin_.ops->memcpy(&plugin_.exec, values.data(), data_, static_cast<int64_t>(count_ * sizeof(float)),
                                  KN_COPY_DEVICE_TO_HOST),
              "memcpy device to host");
    return values;
}

void DeviceBuffer::check_guards(const std::string &what) const {
    const size_t total = count_ + misalign_ + 2 * kGuard;
    std::vector<float> all(total);
    expect_ok(plugin_.ops->memcpy(&plugin_.exec, all.data(), base_, static_cast<int64_t>(total * sizeof(float)),
                                  KN_COPY_DEVICE_TO_HOST),
              "memcpy device to host");
    for (size_t i = 0; i < total; ++i) {
        const bool inside = i >= kGuard + misalign_ && i < kGuard + misalign_ + count_;
        if (!inside && std::memcmp(&all[i], &kSentinel, sizeof(float)) != 0) {
            const long offset = static_cast<long>(i) - static_cast<long>(kGuard + misalign_);
            throw TestFailure(what + ": write out of bounds at element " + std::to_string(offset) + " (tensor has " +
                              std::to_string(count_) + ")");
        }
    }
}

kn_tensor make_tensor(const void *data, const std::vector<int64_t> &shape, int32_t dtype) {
    kn_tensor t{};
    t.data = const_cast<void *>(data);
    t.dtype = dtype;
    t.rank = static_cast<int32_t>(shape.size());
    int64_t stride = 1;
    for (int i = t.rank - 1; i >= 0; --i) {
        t.shape[i] = shape[i];
        t.strides[i] = stride;
        stride *= shape[i];
    }
    return t;
}

kn_tensor absent_tensor() { return kn_tensor{}; }

std::vector<float> random_values(size_t count, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    std::vector<float> v(count);
    for (float &x : v) x = dist(rng);
    return v;
}

Comparison compare(const std::vector<float> &y, const std::vector<double> &ref) {
    Comparison c;
    if (y.size() != ref.size()) {
        c.ok = false;
        return c;
    }
    for (double r : ref) {
        if (!std::isnan(r)) c.max_ref = std::fmax(c.max_ref, std::fabs(r));
    }
    c.bound = 1e-4 * std::fmax(1.0, c.max_ref);
    for (size_t i = 0; i < y.size(); ++i) {
        const bool y_nan = std::isnan(y[i]), ref_nan = std::isnan(ref[i]);
        if (y_nan || ref_nan) {
            if (y_nan != ref_nan) {
                c.ok = false;
                ++c.nan_mismatches;
            }
            continue;
        }
        const double err = std::fabs(static_cast<double>(y[i]) - ref[i]);
        if (!(err <= c.bound)) c.ok = false;  // also false for inf - inf
        if (err > c.max_error) c.max_error = err;
    }
    return c;
}

std::string Comparison::describe() const {
    std::ostringstream s;
    s.precision(3);
    s << "max_err=" << max_error << " bound=" << bound << " max|ref|=" << max_ref;
    if (nan_mismatches) s << " nan_mismatches=" << nan_mismatches;
    return s.str();
}

bool expect_unsupported(const std::string &name, int32_t status, const std::vector<std::string> &words) {
    bool ok = status == KN_ERR_UNSUPPORTED;
    for (const std::string &w : words) ok = ok && plugin_last_error().find(w) != std::string::npos;
    std::printf("%s %s: status %d (expected %d), message \"%s\"\n", ok ? "PASS" : "FAIL", name.c_str(), status,
                KN_ERR_UNSUPPORTED, plugin_last_error().c_str());
    return ok;
}
