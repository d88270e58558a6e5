// test_support.cpp - see test_support.h. Also the stand-alone kn_set_error the cpu backend reports
// through (libkinema provides the real one).
#include "test_support.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace {
std::string error_message;
}

extern "C" void kn_set_error(const char *fmt, ...) {
    char buffer[1024];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buffer, sizeof buffer, fmt, args);
    va_end(args);
    error_message = buffer;
}

namespace kinema::test {

kn_tensor dense(void *data, std::initializer_list<int64_t> shape) {
    kn_tensor t{};
    t.data = data;
    t.dtype = KN_DTYPE_F32;
    t.rank = int32_t(shape.size());
    int i = 0;
    for (int64_t s : shape) t.shape[i++] = s;
    int64_t stride = 1;
    for (int j = t.rank - 1; j >= 0; --j) {
        t.strides[j] = stride;
        stride *= t.shape[j];
    }
    return t;
}

kn_tensor absent() { return kn_tensor{}; }

std::vector<float> random_values(int64_t n, uint32_t seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(size_t(n < 0 ? 0 : n));
    for (float &f : v) f = dist(gen);
    return v;
}

const std::string &last_error() { return error_message; }
void clear_error() { error_message.clear(); }

std::vector<cpu::Isa> supported_isas() {
    std::vector<cpu::Isa> isas;
    for (cpu::Isa isa : {cpu::Isa::scalar, cpu::Isa::avx2, cpu::Isa::avx512}) {
        if (cpu::isa_supported(isa))
            isas.push_back(isa);
        else
            std::printf("NOTE %s path not run: this CPU lacks it\n", cpu::isa_name(isa));
    }
    return isas;
}

bool Report::close(const std::string &name, const float *got, const std::vector<double> &want) {
    double scale = 1.0;
    for (double w : want) scale = std::fmax(scale, std::fabs(w));
    const double tolerance = 1e-4 * scale;
    double worst = 0.0;
    int64_t bad = -1;
    for (size_t i = 0; i < want.size(); ++i) {
        const double err = std::fabs(double(got[i]) - want[i]);
        // `!(err <= tolerance)` is true for NaN, so a NaN output (or reference) fails.
        if (!(err <= tolerance)) {
            if (bad < 0) bad = int64_t(i);
        } else {
            worst = std::fmax(worst, err);
        }
    }
    char detail[160];
    if (bad >= 0)
        std::snprintf(detail, sizeof detail, "first bad element %lld: got %.9g, want %.9g (tolerance %.3g)",
                      (long long)bad, double(got[bad]), want[size_t(bad)], tolerance);
    else
        std::snprintf(detail, sizeof detail, "max error %.3g (tolerance %.3g)", worst, tolerance);
    return expect(name, bad < 0, detail);
}

bool Report::expect(const std::string &name, bool ok, const std::string &detail) {
    std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
    (ok ? passed_ : failed_) += 1;
    return ok;
}

int Report::finish() {
    std::printf("%d passed, %d failed\n", passed_, failed_);
    return failed_ == 0 && passed_ > 0 ? 0 : 1;
}

Guarded::Guarded(int64_t n, float fill)
    : size_(n + 2 * kGuard),
      storage_(static_cast<float *>(std::aligned_alloc(64, (size_t(size_) * sizeof(float) + 63) / 64 * 64))) {
    if (storage_ == nullptr) {
        std::fprintf(stderr, "FAIL out of memory for a %lld-float test buffer\n", (long long)n);
        std::exit(1);
    }
    for (int64_t i = 0; i < size_; ++i) storage_[i] = i < kGuard || i >= n + kGuard ? kCanary : fill;
}

Guarded::~Guarded() { std::free(storage_); }

bool Guarded::intact() const {
    for (int64_t i = 0; i < kGuard; ++i)
        if (storage_[i] != kCanary || storage_[size_ - 1 - i] != kCanary) return false;
    return true;
}

}  // namespace kinema::test
