#include "thread_scratch.h"

#include <atomic>
#include <cstdlib>

namespace kinema::cpu {
namespace {

std::atomic<int64_t> growths{0};

struct ThreadBuffers {
    void *data[int(ScratchSlot::count)] = {};
    size_t capacity[int(ScratchSlot::count)] = {};
    ~ThreadBuffers() {
        for (void *p : data) std::free(p);
    }
};

thread_local ThreadBuffers buffers;

}  // namespace

void *thread_scratch(ScratchSlot slot, size_t bytes) {
    const int s = int(slot);
    if (bytes <= buffers.capacity[s]) return buffers.data[s];
    const size_t rounded = (bytes + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
    void *grown = std::aligned_alloc(64, rounded);
    if (grown == nullptr) return nullptr;
    std::free(buffers.data[s]);
    buffers.data[s] = grown;
    buffers.capacity[s] = rounded;
    growths.fetch_add(1, std::memory_order_relaxed);
    return grown;
}

int64_t thread_scratch_growths() { return growths.load(std::memory_order_relaxed); }

}  // namespace kinema::cpu
