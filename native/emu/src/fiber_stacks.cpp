// Fiber stacks: slots of kFiberSlotBytes aligned to their size (so a fiber finds its ThreadView from
// its stack pointer), each a PROT_NONE guard below a 64 KiB stack. Made once per OS thread, grown
// when a larger block arrives, reused by every block; untouched pages cost no memory.
#include <sys/mman.h>

#include <algorithm>

#include "runtime_internal.h"

namespace kn_emu::rt {

FiberStackPool::~FiberStackPool() {
    if (mapping_ != nullptr) munmap(mapping_, mapping_bytes_);
}

bool FiberStackPool::reserve(uint32_t count) {
    if (count <= count_) return true;
    const uint32_t grown = std::min<uint32_t>(kMaxThreadsPerBlock, std::max<uint32_t>(count, 2 * count_));
    const size_t bytes = (static_cast<size_t>(grown) + 1) * kFiberSlotBytes;  // +1 slot to align
    void *mapping = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) return false;
    if (mapping_ != nullptr) munmap(mapping_, mapping_bytes_);
    mapping_ = static_cast<unsigned char *>(mapping);
    mapping_bytes_ = bytes;
    const uintptr_t aligned = (reinterpret_cast<uintptr_t>(mapping) + kFiberSlotBytes - 1) & ~(kFiberSlotBytes - 1);
    base_ = reinterpret_cast<unsigned char *>(aligned);
    count_ = grown;
    // Best effort: past vm.max_map_count the guards are skipped rather than failing the launch.
    for (uint32_t i = 0; i < grown; ++i) {
        if (mprotect(base_ + static_cast<size_t>(i) * kFiberSlotBytes, kGuardBytes, PROT_NONE) != 0) break;
    }
    return true;
}

}  // namespace kn_emu::rt
