// plugin_harness.h - loads a kernels/ plugin (libkinema_cuda*.so) with dlopen, as libkinema does, and
// moves test data through its backend table. Failures throw TestFailure with the plugin's message.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "backend.h"
#include "kinema.h"

struct TestFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The last message the plugin passed to the host's set_error.
const std::string &plugin_last_error();
void clear_plugin_error();

struct Plugin {
    void *handle = nullptr;
    const kn_backend_ops *ops = nullptr;
    kn_exec exec{0, 2, nullptr};
};

// dlopens `path` and calls kn_plugin_entry with a host api of `abi`. Throws when the file or its symbol
// is missing; returns a Plugin whose ops is NULL when the entry refused (message in plugin_last_error()).
Plugin load_plugin(const std::string &path, int32_t abi = KN_PLUGIN_ABI);

// Throws TestFailure naming `what` and the plugin's message unless status == KN_OK.
void expect_ok(int32_t status, const std::string &what);

// Device memory for `count` floats with guard zones before and after, filled with a NaN sentinel, so
// that a kernel writing out of bounds is caught by check_guards() and one reading out of bounds
// poisons its result. `misalign` shifts data() by that many
// floats off the allocation's 256-byte alignment (exercises the kernels' unaligned paths).
class DeviceBuffer {
  public:
    DeviceBuffer(const Plugin &plugin, size_t count, size_t misalign = 0);
    ~DeviceBuffer();
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;

    float *data() const { return data_; }
    size_t count() const { return count_; }
    void upload(const std::vector<float> &values);
    std::vector<float> download() const;
    void check_guards(const std::string &what) const;

  private:
    static constexpr size_t kGuard = 64;  // floats on each side
    const Plugin &plugin_;
    size_t count_, misalign_;
    void *base_ = nullptr;
    float *data_ = nullptr;
};

// A dense row-major f32 tensor over `data` (NULL: an absent optional input).
kn_tensor make_tensor(const void *data, const std::vector<int64_t> &shape, int32_t dtype = KN_DTYPE_F32);
kn_tensor absent_tensor();

// Prints PASS/FAIL for a refusal: true when status is KN_ERR_UNSUPPORTED and the plugin's message
// contains every one of `words`.
bool expect_unsupported(const std::string &name, int32_t status, const std::vector<std::string> &words);

// Uniform floats in [-1, 1) from a fixed seed.
std::vector<float> random_values(size_t count, unsigned seed);

// max|y - ref| <= 1e-4 * max(1, max|ref|), NaN-aware: a NaN on one side only is a failure.
struct Comparison {
    double max_error = 0, max_ref = 0, bound = 0;
    size_t nan_mismatches = 0;
    bool ok = true;
    std::string describe() const;
};
Comparison compare(const std::vector<float> &y, const std::vector<double> &ref);
