// abi_test_util.h - what every ABI test uses: PASS/FAIL lines with a failure count, error checks on
// status and message, and dense f32 tensor descriptions. Each test prints its own summary line from
// `failures` and returns non-zero when it is not 0.
#pragma once

#include <cstdio>
#include <cstring>
#include <vector>

#include "kinema.h"

inline int failures = 0;

// Prints "PASS: what" or "FAIL: what" and counts the failure.
inline void expect(bool ok, const char *what) {
    std::printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
    if (!ok) ++failures;
}

// Status must be `want` and kn_last_error() must mention `needle` (and `op`, unless it is NULL).
inline void expect_error(int32_t status, int32_t want, const char *needle, const char *what,
                         const char *op = nullptr) {
    const bool ok = status == want && std::strstr(kn_last_error(), needle) != nullptr &&
                    (op == nullptr || std::strstr(kn_last_error(), op) != nullptr);
    if (!ok) std::printf("  got status %d, message \"%s\"\n", status, kn_last_error());
    expect(ok, what);
}

// The common case: an argument refused with KN_ERR_INVALID_ARGUMENT.
inline void expect_error(int32_t status, const char *needle, const char *what) {
    expect_error(status, KN_ERR_INVALID_ARGUMENT, needle, what);
}

// A dense row-major tensor description over `data`; f32 unless `dtype` says otherwise.
inline kn_tensor dense(void *data, const std::vector<int64_t> &shape, int32_t dtype = KN_DTYPE_F32) {
    kn_tensor t{};
    t.data = data;
    t.dtype = dtype;
    t.rank = int32_t(shape.size());
    int64_t stride = 1;
    for (int i = t.rank - 1; i >= 0; --i) {
        t.shape[i] = shape[size_t(i)];
        t.strides[i] = stride;
        stride *= shape[size_t(i)];
    }
    return t;
}
