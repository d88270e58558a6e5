// test_support.h - shared helpers of the cpu backend's tests: tensors, random data, NaN-aware
// comparison against a float64 reference, PASS/FAIL reporting.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "cpu_ops.h"

namespace kinema::test {

// A dense row-major kn_tensor over `data` (NULL data describes an absent optional tensor).
kn_tensor dense(void *data, std::initializer_list<int64_t> shape);
kn_tensor absent();

// Uniform values in [-1, 1) from a fixed seed, so every run checks the same numbers.
std::vector<float> random_values(int64_t n, uint32_t seed);

// The last message the backend set through kn_set_error ("" after clear_error()).
const std::string &last_error();
void clear_error();

// The paths this CPU can run (always includes scalar).
std::vector<cpu::Isa> supported_isas();

// Counts failures and prints one PASS/FAIL line per check.
class Report {
public:
    // max|got - want| <= 1e-4 * max(1, max|want|), every comparison NaN-aware; prints the worst error.
    bool close(const std::string &name, const float *got, const std::vector<double> &want);
    bool expect(const std::string &name, bool ok, const std::string &detail = "");
    // Prints the summary; the process exit code (non-zero on any failure).
    int finish();

private:
    int passed_ = 0;
    int failed_ = 0;
};

// Output buffer with canary floats on both sides, to catch writes past y's ends. data() is 64-byte
// aligned, as kn_malloc's memory is; data() + 1 gives a misaligned view with canaries still around.
class Guarded {
public:
    explicit Guarded(int64_t n, float fill = 0.0f);
    ~Guarded();
    Guarded(const Guarded &) = delete;
    Guarded &operator=(const Guarded &) = delete;
    float *data() { return storage_ + kGuard; }
    bool intact() const;

private:
    static constexpr int64_t kGuard = 64;
    static constexpr float kCanary = -12345.5f;
    int64_t size_;
    float *storage_;
};

}  // namespace kinema::test
