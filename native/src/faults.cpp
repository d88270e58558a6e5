#include "faults.h"

#include <atomic>

#include "errors.h"
#include "kinema.h"

namespace {
// Calls left until the armed fault fires (0 = disarmed), per kind.
std::atomic<int64_t> countdown[2];
}  // namespace

bool kn_fault_fires(int32_t kind) {
    std::atomic<int64_t> &left = countdown[kind];
    int64_t n = left.load(std::memory_order_relaxed);
    while (n > 0) {
        if (left.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) return n == 1;
    }
    return false;
}

extern "C" __attribute__((visibility("default"))) int32_t kn_debug_inject_fault(int32_t kind, int64_t after) {
    kn_clear_error();
    if (kind != KN_FAULT_MALLOC && kind != KN_FAULT_LAUNCH) {
        kn_set_error("kn_debug_inject_fault: argument 'kind': expected KN_FAULT_MALLOC (0) or KN_FAULT_LAUNCH (1), "
                     "got %d", kind);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (after < 0) {
        kn_set_error("kn_debug_inject_fault: argument 'after': expected >= 0, got %lld", (long long)after);
        return KN_ERR_INVALID_ARGUMENT;
    }
    countdown[kind].store(after, std::memory_order_relaxed);
    return KN_OK;
}
