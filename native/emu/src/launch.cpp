// Kernel launches: validate the configuration like the CUDA runtime, then run the blocks spread over
// OS threads (OpenMP, dynamic schedule); each OS thread runs its blocks one at a time. The launch
// returns when every block has finished, or after the first failing block (the rest are skipped).
#include <omp.h>
#include <stdio.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>

#include "runtime_internal.h"

namespace kn_emu::rt {

constexpr size_t kDefaultSharedBytes = 48 * 1024;   // without cudaFuncSetAttribute
constexpr size_t kOptInSharedBytes = 227 * 1024;    // sm_90 opt-in maximum per block

std::atomic<int> g_num_threads{0};

// Defined in device_api.cpp.
int max_dynamic_smem_attribute(const void *kernel);

static bool check_configuration(const kn_emu_launch_desc &d, std::string &why, cudaError_t &code) {
    char text[512];
    const uint64_t threads = static_cast<uint64_t>(d.block[0]) * d.block[1] * d.block[2];
    code = cudaErrorInvalidConfiguration;
    if (d.block[0] == 0 || d.block[1] == 0 || d.block[2] == 0 || d.block[0] > 1024 || d.block[1] > 1024 ||
        d.block[2] > 64 || threads > kMaxThreadsPerBlock) {
        snprintf(text, sizeof text,
                 "block dims (%u,%u,%u) are invalid: each >= 1, x,y <= 1024, z <= 64, at most 1024 threads in all",
                 d.block[0], d.block[1], d.block[2]);
        why = text;
        return false;
    }
    if (d.grid[0] == 0 || d.grid[1] == 0 || d.grid[2] == 0 || d.grid[0] > 2147483647u || d.grid[1] > 65535 ||
        d.grid[2] > 65535) {
        snprintf(text, sizeof text, "grid dims (%u,%u,%u) are invalid: each >= 1, x <= 2^31-1, y,z <= 65535",
                 d.grid[0], d.grid[1], d.grid[2]);
        why = text;
        return false;
    }
    code = cudaErrorInvalidValue;
    const int opted_in = max_dynamic_smem_attribute(d.kernel_id);
    const size_t allowed = opted_in > 0 ? static_cast<size_t>(opted_in) : kDefaultSharedBytes;
    if (d.dynamic_smem_bytes > kOptInSharedBytes || d.dynamic_smem_bytes > allowed) {
        snprintf(text, sizeof text,
                 "dynamic shared memory of %zu bytes exceeds the %zu allowed (above 48 KiB a kernel needs "
                 "cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes), at most %zu)",
                 d.dynamic_smem_bytes, d.dynamic_smem_bytes > kOptInSharedBytes ? kOptInSharedBytes : allowed,
                 kOptInSharedBytes);
        why = text;
        return false;
    }
    code = cudaErrorInvalidResourceHandle;
    if (!is_valid_stream(d.stream)) {
        why = "the stream is not a live stream of this device";
        return false;
    }
    return true;
}

static int configured_threads() {
    const int n = g_num_threads.load(std::memory_order_relaxed);
    return n > 0 ? n : omp_get_max_threads();
}

}  // namespace kn_emu::rt

using namespace kn_emu::rt;

extern "C" void kn_emu_set_num_threads(int n) { g_num_threads.store(n > 0 ? n : 0, std::memory_order_relaxed); }

extern "C" int kn_emu_get_num_threads(void) { return configured_threads(); }

extern "C" void kn_emu_launch(const kn_emu_launch_desc *d) {
    if (this_worker().in_block) {
        record_error(cudaErrorNotSupported, std::string("launch of kernel '") + d->kernel_name +
                                                "' from inside a kernel: the emulator has no dynamic parallelism");
        return;
    }
    cudaError_t captured = cudaSuccess;
    if (capture_launch(*d, captured)) return;  // recorded for a graph (or refused, with the error set)
    launch_now(*d);
}

cudaError_t kn_emu::rt::launch_now(const kn_emu_launch_desc &desc) {
    const kn_emu_launch_desc *d = &desc;
    std::string why;
    cudaError_t code = cudaSuccess;
    if (!check_configuration(*d, why, code)) {
        record_error(code, std::string("launch of kernel '") + d->kernel_name + "': " + why);
        return code;
    }
    const uint64_t blocks = static_cast<uint64_t>(d->grid[0]) * d->grid[1] * d->grid[2];
    const int threads = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(configured_threads()), blocks));

    const PoisonPlan &poison = poison_plan(*d);
    std::atomic<bool> stop{false};
    std::mutex failure_lock;
    std::string failure;
    auto run = [&](uint64_t b) {
        if (stop.load(std::memory_order_relaxed)) return;
        bool ok = false;
        std::string message;
        try {
            Worker &w = this_worker();
            ok = run_block(w, *d, poison, b);
            if (!ok) message = w.failure;
        } catch (const std::exception &e) {
            message = std::string("host failure while running a block: ") + e.what();
        }
        if (ok) return;
        std::lock_guard<std::mutex> guard(failure_lock);
        if (!stop.exchange(true)) failure = std::move(message);
    };
    if (threads <= 1) {
        for (uint64_t b = 0; b < blocks && !stop.load(std::memory_order_relaxed); ++b) run(b);
    } else {
#pragma omp parallel for schedule(dynamic) num_threads(threads)
        for (int64_t b = 0; b < static_cast<int64_t>(blocks); ++b) run(static_cast<uint64_t>(b));
    }
    if (!stop.load()) return cudaSuccess;
    record_error(cudaErrorLaunchFailure, failure);
    return cudaErrorLaunchFailure;
}
