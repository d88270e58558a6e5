// Runs one block: its CUDA threads are fibers on the calling OS thread. Each runnable fiber runs
// until it blocks (block barrier, warp collective) or finishes, then switches directly to the next
// runnable fiber in scan order; when none is runnable while some are unfinished, the block is
// deadlocked. Odd blocks scan their threads in reverse so that a missing __syncthreads/__syncwarp
// shows up as a different result.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memory>

#include "runtime_internal.h"

namespace kn_emu::rt {

Worker::~Worker() {
    if (guarded_region != nullptr) {
        release_guarded_smem(*this);
    } else {
        free(dynamic_smem);
    }
}

Worker &this_worker() {
    static thread_local std::unique_ptr<Worker> worker;
    if (!worker) worker.reset(new Worker());
    return *worker;
}

// Every jump passes the fiber it leaves (nullptr from the scheduler); whoever resumes stores the
// left context there, so fibers can switch straight to each other without a scheduler round trip.
static inline void on_resumed(Worker &w, transfer_t t) {
    if (t.data == nullptr) {
        w.scheduler = t.fctx;
    } else {
        static_cast<Fiber *>(t.data)->context = t.fctx;
    }
}

// The next runnable fiber after `from` in this block's scan order (wrapping around), or nullptr.
static inline Fiber *next_ready(const Worker &w, uint32_t from) {
    const uint32_t n = w.thread_count;
    uint32_t i = from;
    for (uint32_t k = 0; k < n; ++k) {
        if (w.ascending) {
            i = i + 1 == n ? 0 : i + 1;
        } else {
            i = i == 0 ? n - 1 : i - 1;
        }
        if (w.state[i] == FiberState::Ready) return w.fibers[i];
    }
    return nullptr;
}

// Leaves fiber f for the next runnable one; with none left (all done or a deadlock) control goes
// back to the scheduler. Returns when f is resumed.
static inline void switch_from(Worker &w, Fiber *f, Fiber *next) {
    const transfer_t t = switch_context(next != nullptr ? next->context : w.scheduler, f);
    on_resumed(w, t);
}

void suspend(Fiber *f) {
    Worker &w = *f->worker;
    Fiber *next = next_ready(w, f->linear);
    if (next == f) return;  // a yield with nobody else runnable
    switch_from(w, f, next);
}

void fail_block(Fiber *f, const char *message) {
    Worker *w = f->worker;
    if (message != nullptr) w->failure = block_headline(*w, message);
    w->failed = true;
    switch_context(w->scheduler, f);  // never resumed: the scheduler abandons the block
    __builtin_unreachable();
}

static int32_t release_barrier(Worker &w, Fiber *f) {
    BarrierState &b = w.barrier;
    if (b.mixed_sites) {
        w.failure = describe_deadlock(w, "threads wait at different __syncthreads() call sites");
        fail_block(f, nullptr);
    }
    int32_t result = 0;
    switch (w.barrier_kind) {
        case KN_EMU_BAR_COUNT: result = static_cast<int32_t>(b.predicate_count); break;
        case KN_EMU_BAR_AND: result = b.predicate_count == b.arrived; break;
        case KN_EMU_BAR_OR: result = b.predicate_count != 0; break;
        default: break;
    }
    b.result[b.generation & 1] = result;
    ++b.generation;
    b.arrived = 0;
    for (uint32_t i = 0; i < w.thread_count; ++i) {
        if (w.state[i] == FiberState::AtBarrier) w.state[i] = FiberState::Ready;
    }
    return result;
}

// A finished thread counts as arrived at the block barrier (Volta+ semantics).
static void thread_exit(Worker &w, Fiber *f) {
    w.state[f->linear] = FiberState::Done;
    --w.live;
    w.warps[f->linear / kWarpSize].exited |= 1u << (f->linear % kWarpSize);
    if (w.barrier.arrived > 0 && w.barrier.arrived == w.live) release_barrier(w, f);
}

static void fiber_main(transfer_t t) {
    Fiber *f = current_fiber();
    Worker &w = *f->worker;
    on_resumed(w, t);
    w.launch->run_thread(w.launch->call);
    thread_exit(w, f);
    Fiber *next = next_ready(w, f->linear);
    switch_context(next != nullptr ? next->context : w.scheduler, f);  // never resumed
    __builtin_unreachable();
}

static void prepare_fibers(Worker &w, const kn_emu_launch_desc &launch, uint3 block_idx) {
    const uint32_t bx = launch.block[0], by = launch.block[1], bz = launch.block[2];
    const dim3 block_dim(bx, by, bz), grid_dim(launch.grid[0], launch.grid[1], launch.grid[2]);
    const size_t stack_bytes = kFiberSlotBytes - kGuardBytes - kThreadViewOffset - kFiberRecordBytes;
    uint32_t i = 0;
    for (uint32_t z = 0; z < bz; ++z) {
        for (uint32_t y = 0; y < by; ++y) {
            for (uint32_t x = 0; x < bx; ++x, ++i) {
                auto *view = reinterpret_cast<ThreadView *>(w.stacks.slot_top(i) - kThreadViewOffset);
                view->thread_idx = uint3{x, y, z};
                view->block_idx = block_idx;
                view->block_dim = block_dim;
                view->grid_dim = grid_dim;
                view->dynamic_smem = w.dynamic_smem;
                auto *f = reinterpret_cast<Fiber *>(reinterpret_cast<unsigned char *>(view) - kFiberRecordBytes);
                f->worker = &w;
                f->linear = i;
                f->site = nullptr;
                f->context = make_fcontext(f, stack_bytes, fiber_main);
                w.fibers[i] = f;
                w.state[i] = FiberState::Ready;
            }
        }
    }
    const uint32_t n = i;
    for (uint32_t warp = 0; warp * kWarpSize < n; ++warp) {
        const uint32_t lanes = n - warp * kWarpSize;
        w.warps[warp] = WarpState{lanes >= kWarpSize ? 0xffffffffu : (1u << lanes) - 1u, 0u, 0u};
    }
}

static bool prepare_dynamic_smem(Worker &w, size_t bytes) {
    if (guarded_shared_memory()) return prepare_guarded_smem(w, bytes);
    if (bytes > w.dynamic_smem_capacity) {
        const size_t capacity = (bytes + 4095) & ~size_t(4095);
        void *buffer = aligned_alloc(64, capacity);
        if (buffer == nullptr) return false;
        free(w.dynamic_smem);
        w.dynamic_smem = static_cast<unsigned char *>(buffer);
        w.dynamic_smem_capacity = capacity;
    }
    if (bytes > 0) memset(w.dynamic_smem, 0xFF, bytes);
    return true;
}

bool run_block(Worker &w, const kn_emu_launch_desc &launch, const PoisonPlan &poison, uint64_t linear_block) {
    const uint32_t n = launch.block[0] * launch.block[1] * launch.block[2];
    const uint64_t gx = launch.grid[0], gy = launch.grid[1];
    const uint3 block_idx{static_cast<uint32_t>(linear_block % gx), static_cast<uint32_t>((linear_block / gx) % gy),
                          static_cast<uint32_t>(linear_block / (gx * gy))};
    w.launch = &launch;
    w.block_idx = block_idx;
    w.failed = false;
    w.failure.clear();
    if (!w.stacks.reserve(n)) {
        w.failure = "could not map fiber stacks for the block's threads";
        return false;
    }
    if (!prepare_dynamic_smem(w, launch.dynamic_smem_bytes)) {
        w.failure = "could not allocate the block's dynamic shared memory";
        return false;
    }
    if (!poison_module_shared_memory(w, launch.tls_anchor, poison, w.failure)) return false;
    w.thread_count = n;
    w.live = n;
    w.barrier = BarrierState{};
    prepare_fibers(w, launch, block_idx);

    // Fibers switch among themselves; control comes back here once none is runnable.
    w.ascending = (linear_block & 1) == 0;
    Fiber *first = w.fibers[w.ascending ? 0 : n - 1];
    w.in_block = true;
    set_running_worker(&w);
    on_resumed(w, switch_context(first->context, nullptr));
    set_running_worker(nullptr);
    w.in_block = false;
    if (w.failed) return false;
    if (w.live == 0) return true;
    w.failure = describe_deadlock(w, "deadlock: no thread can proceed");
    return false;
}

}  // namespace kn_emu::rt

using namespace kn_emu::rt;

extern "C" int kn_emu_barrier(int kind, int predicate, const char *site) {
    Fiber *f = current_fiber();
    Worker &w = *f->worker;
    BarrierState &b = w.barrier;
    if (b.arrived == 0) {
        b.site = site;
        b.mixed_sites = false;
        b.predicate_count = 0;
        w.barrier_kind = kind;
    } else if (site != b.site && strcmp(site, b.site) != 0) {
        b.mixed_sites = true;
    }
    b.predicate_count += predicate != 0;
    f->site = site;
    const uint32_t generation = b.generation;
    w.state[f->linear] = FiberState::AtBarrier;
    if (++b.arrived == w.live) {
        const int32_t result = release_barrier(w, f);  // sets this fiber Ready too
        return result;
    }
    suspend(f);
    return b.result[generation & 1];
}

extern "C" void kn_emu_yield(void) { suspend(current_fiber()); }

extern "C" uint32_t kn_emu_activemask(void) {
    Fiber *f = current_fiber();
    const WarpState &warp = f->worker->warps[f->linear / kWarpSize];
    return warp.present & ~warp.exited;
}

extern "C" void kn_emu_trap(const char *site) {
    Fiber *f = current_fiber();
    char message[512];
    const uint3 t = kn_emu::this_thread()->thread_idx;
    snprintf(message, sizeof message, "__trap() at %s by thread (%u,%u,%u)", site, t.x, t.y, t.z);
    fail_block(f, message);
}
