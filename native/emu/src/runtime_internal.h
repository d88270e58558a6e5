// Internal state of the emulator runtime: fibers, per-OS-thread workers and the block scheduler.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "../cuda_emu/runtime_abi.h"
#include "../cuda_emu/thread_model.h"

namespace kn_emu::rt {

using fcontext_t = void *;
struct transfer_t {
    fcontext_t fctx;
    void *data;
};
// Boost.Context's assembly context switch (libboost_context.a, linked into this library).
extern "C" transfer_t jump_fcontext(fcontext_t const to, void *vp);
extern "C" fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));

// Switches to context `to`. On x86-64 it enters jump_fcontext with a jmp and a pushed return
// address instead of a call: jump_fcontext leaves through an indirect jmp, so a call would leave
// one unmatched return-stack-buffer entry per switch and make every later return mispredict
// (measured: ~31-50 ns per switch pair with call chains, ~11 ns this way). The 128 bytes skipped
// first keep the caller's red zone intact.
static inline __attribute__((always_inline)) transfer_t switch_context(fcontext_t to, void *vp) {
#if defined(__x86_64__)
    transfer_t t;
    __asm__ volatile(
        "subq $128, %%rsp\n\t"
        "leaq 1f(%%rip), %%rcx\n\t"
        "pushq %%rcx\n\t"
        "jmp jump_fcontext@PLT\n\t"
        "1:\n\t"
        "addq $128, %%rsp\n\t"
        : "=a"(t.fctx), "=d"(t.data), "+D"(to), "+S"(vp)
        :
        : "rcx", "r8", "r9", "r10", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
          "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)",
          "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
    return t;
#else
    return jump_fcontext(to, vp);
#endif
}

constexpr uint32_t kMaxThreadsPerBlock = 1024;
constexpr uint32_t kWarpSize = 32;
constexpr uint32_t kMaxWarps = kMaxThreadsPerBlock / kWarpSize;
// Lower half of each fiber slot is a PROT_NONE guard; the upper half is the stack.
constexpr size_t kGuardBytes = kFiberSlotBytes / 2;
constexpr size_t kFiberRecordBytes = 256;

enum class FiberState : uint8_t { Ready, AtBarrier, AtWarp, Done };

// A lane's part in a warp collective, read by whichever lane completes the collective.
struct WarpOpSlot {
    int32_t kind;
    uint32_t mask;
    uint64_t value;
    int32_t param;
    int32_t width;
    uint64_t result;
    int32_t mma_type;
    float *mma_d;
    const uint32_t *mma_a;
    const uint32_t *mma_b;
    const float *mma_c;
};

struct Worker;

// Lives in the fiber's own slot just below its ThreadView, so current_fiber() is pointer math.
struct alignas(64) Fiber {
    fcontext_t context;
    Worker *worker;
    uint32_t linear;   // thread index within the block, x fastest
    const char *site;  // where it waits
    WarpOpSlot op;
};
static_assert(sizeof(Fiber) <= kFiberRecordBytes, "Fiber record must fit its reserved space");

static inline Fiber *current_fiber() {
    const uintptr_t view = reinterpret_cast<uintptr_t>(kn_emu::this_thread());
    return reinterpret_cast<Fiber *>(view - kFiberRecordBytes);
}
static inline ThreadView *view_of(Fiber *f) {
    return reinterpret_cast<ThreadView *>(reinterpret_cast<uintptr_t>(f) + kFiberRecordBytes);
}

// Fiber slots of one OS thread, made once and reused by every block it runs.
class FiberStackPool {
public:
    FiberStackPool() = default;
    FiberStackPool(const FiberStackPool &) = delete;
    FiberStackPool &operator=(const FiberStackPool &) = delete;
    ~FiberStackPool();
    // Makes sure `count` slots exist; false if memory could not be mapped.
    bool reserve(uint32_t count);
    unsigned char *slot_top(uint32_t index) const { return base_ + (index + 1) * kFiberSlotBytes; }

private:
    unsigned char *mapping_ = nullptr;
    size_t mapping_bytes_ = 0;
    unsigned char *base_ = nullptr;
    uint32_t count_ = 0;
};

struct WarpState {
    uint32_t present;  // lanes that exist in this block (a partial last warp has fewer)
    uint32_t arrived;  // lanes waiting in a collective
    uint32_t exited;
};

struct BarrierState {
    uint32_t arrived;
    uint32_t generation;
    const char *site;
    bool mixed_sites;
    uint32_t predicate_count;
    int32_t result[2];  // by generation parity: the last arriver runs on before the others read
};

struct ModuleTls {
    void *(*anchor)(void);
    unsigned char *data;
    size_t bytes;
};

// Everything one OS thread needs to run blocks; created on first use, one per OS thread.
struct Worker {
    fcontext_t scheduler = nullptr;
    FiberStackPool stacks;
    Fiber *fibers[kMaxThreadsPerBlock] = {};
    FiberState state[kMaxThreadsPerBlock] = {};  // compact: the scheduler scans it every pass
    WarpState warps[kMaxWarps] = {};
    BarrierState barrier = {};
    int32_t barrier_kind = 0;
    uint32_t thread_count = 0;
    uint32_t live = 0;
    uint3 block_idx = {};
    bool ascending = true;  // scan order of this block's fibers
    bool in_block = false;  // a block of this OS thread is running (launches from kernels are refused)
    const kn_emu_launch_desc *launch = nullptr;
    bool failed = false;
    std::string failure;
    unsigned char *dynamic_smem = nullptr;
    size_t dynamic_smem_capacity = 0;
    // KN_EMU_CHECK_SHARED=1 (shared_memory_guard.cpp): dynamic shared memory ends at an inaccessible
    // page, smem_guard, in a mapping of guarded_capacity + one page at guarded_region.
    unsigned char *guarded_region = nullptr;
    size_t guarded_capacity = 0;
    unsigned char *smem_guard = nullptr;
    std::vector<ModuleTls> module_tls;

    ~Worker();
};

// Which bytes of the module's TLS block hold a kernel's __shared__ variables.
struct PoisonRange {
    size_t offset;
    size_t bytes;
};
struct PoisonPlan {
    uint64_t version = 0;
    bool whole_block = false;
    std::vector<PoisonRange> ranges;
};

Worker &this_worker();

// Bounds checks of dynamic shared memory (shared_memory_guard.cpp), on when KN_EMU_CHECK_SHARED=1.
bool guarded_shared_memory();
// Points w.dynamic_smem at `bytes` (poisoned) ending at w's guard page; false if it cannot be mapped.
bool prepare_guarded_smem(Worker &w, size_t bytes);
void release_guarded_smem(Worker &w);
// The worker whose block runs on this OS thread (nullptr between blocks), for the fault handler.
void set_running_worker(Worker *w);

// Runs one block to completion; false (with w.failure set) on deadlock or a kernel error.
bool run_block(Worker &w, const kn_emu_launch_desc &launch, const PoisonPlan &poison, uint64_t linear_block);
// Called on a fiber: records the failure and leaves the fiber suspended for good.
[[noreturn]] void fail_block(Fiber *f, const char *message);
void suspend(Fiber *f);
// The plan for a launch's kernel (made on its first launch; valid for the process lifetime).
const PoisonPlan &poison_plan(const kn_emu_launch_desc &launch);
// Fills the calling thread's copy of the kernel's __shared__ variables with 0xFF.
bool poison_module_shared_memory(Worker &w, void *(*anchor)(void), const PoisonPlan &plan, std::string &error);
// "kernel 'k', block (x,y,z) of grid (...) with block dims (...): <what>"
std::string block_headline(const Worker &w, const char *what);
std::string describe_deadlock(const Worker &w, const char *headline);
const char *warp_kind_name(int kind);
void compute_mma(const Worker &w, uint32_t warp_base);

// CUDA's fixed description of an error code.
extern "C" const char *kn_emu_get_error_string_static(cudaError_t e);
// The calling host thread's error state.
void record_error(cudaError_t code, const std::string &message);

// launch.cpp: validates and runs every block of a launch now (errors go to record_error).
cudaError_t launch_now(const kn_emu_launch_desc &d);
// device_api.cpp: a copy or memset checked against the live allocations, done now.
cudaError_t memcpy_now(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t memset_now(void *dst, int value, size_t bytes);
bool is_valid_stream(cudaStream_t stream);

// graph.cpp: stream capture. Each capture_* returns false when stream is not capturing (the caller
// does the work now); otherwise it records the work (or refuses it) and sets err.
bool capture_launch(const kn_emu_launch_desc &d, cudaError_t &err);
bool capture_memcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream,
                    cudaError_t &err);
bool capture_memset(void *dst, int value, size_t bytes, cudaStream_t stream, cudaError_t &err);
// cudaSuccess, or the error for a call that may not run while the calling thread captures (cudaMalloc,
// cudaFree: they would synchronize the device), which also invalidates that capture.
cudaError_t check_capture_safe_call(const char *what);
// cudaSuccess, or the error for synchronizing a capturing stream (which invalidates its capture).
cudaError_t check_not_capturing(cudaStream_t stream, const char *what);
// Drops the capture of a stream that is being destroyed.
void forget_capture(cudaStream_t stream);

}  // namespace kn_emu::rt
