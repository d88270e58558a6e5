// Built-in variables, block barriers, warp collectives, mma and launches on fibers.
#pragma once

#include <stdint.h>
#include <string.h>

#include <tuple>
#include <type_traits>
#include <utility>

#include "runtime_abi.h"
#include "vector_types.h"

namespace kn_emu {

// What a CUDA thread sees of itself. Every fiber stack sits in a slot of kFiberSlotBytes aligned to
// that size, with the view a fixed distance below the slot's top: code on a fiber finds its view
// from the stack pointer alone (no TLS lookup, no call), and the compiler may hoist it freely.
struct ThreadView {
    uint3 thread_idx;
    uint3 block_idx;
    dim3 block_dim;
    dim3 grid_dim;
    void *dynamic_smem;
};
constexpr uintptr_t kFiberSlotBytes = uintptr_t(1) << 17;
constexpr uintptr_t kThreadViewOffset = 64;
static_assert(sizeof(ThreadView) <= kThreadViewOffset, "ThreadView must fit below the slot top");

static inline const ThreadView *this_thread() {
    uintptr_t sp;
#if defined(__x86_64__)
    __asm__("movq %%rsp, %0" : "=r"(sp));
#elif defined(__aarch64__)
    __asm__("mov %0, sp" : "=r"(sp));
#else
    sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
#endif
    return reinterpret_cast<const ThreadView *>((sp | (kFiberSlotBytes - 1)) + 1 - kThreadViewOffset);
}

// The block's dynamic shared memory: 16-byte aligned, poisoned with 0xFF before the block starts.
static inline void *dynamic_shared_memory() { return this_thread()->dynamic_smem; }

template <typename T>
static inline uint64_t to_bits(T v) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value,
                  "warp shuffles take trivially copyable values of at most 8 bytes");
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof(T));
    return bits;
}
template <typename T>
static inline T from_bits(uint64_t bits) {
    T v;
    memcpy(&v, &bits, sizeof(T));
    return v;
}

template <typename T>
static inline T shfl(const char *site, int kind, unsigned mask, T var, int param, int width) {
    return from_bits<T>(kn_emu_warp_op(kind, mask, to_bits(var), param, width, site));
}
template <typename T>
static inline T shfl_sync(const char *site, unsigned mask, T var, int src_lane, int width = 32) {
    return shfl(site, KN_EMU_SHFL_IDX, mask, var, src_lane, width);
}
template <typename T>
static inline T shfl_up_sync(const char *site, unsigned mask, T var, unsigned delta, int width = 32) {
    return shfl(site, KN_EMU_SHFL_UP, mask, var, static_cast<int>(delta), width);
}
template <typename T>
static inline T shfl_down_sync(const char *site, unsigned mask, T var, unsigned delta, int width = 32) {
    return shfl(site, KN_EMU_SHFL_DOWN, mask, var, static_cast<int>(delta), width);
}
template <typename T>
static inline T shfl_xor_sync(const char *site, unsigned mask, T var, int lane_mask, int width = 32) {
    return shfl(site, KN_EMU_SHFL_XOR, mask, var, lane_mask, width);
}
static inline unsigned vote(const char *site, int kind, unsigned mask, int predicate) {
    return static_cast<unsigned>(kn_emu_warp_op(kind, mask, predicate != 0, 0, 32, site));
}
static inline void syncwarp(const char *site, unsigned mask = 0xffffffffu) {
    kn_emu_warp_op(KN_EMU_SYNCWARP, mask, 0, 0, 32, site);
}
static inline unsigned reduce(const char *site, int kind, unsigned mask, unsigned value) {
    return static_cast<unsigned>(kn_emu_warp_op(kind, mask, value, 0, 32, site));
}

// min/max: signed for int values, unsigned for unsigned ones, like CUDA's overloads.
static inline unsigned reduce_min(const char *site, unsigned mask, unsigned v) {
    return reduce(site, KN_EMU_REDUCE_MIN_U, mask, v);
}
static inline int reduce_min(const char *site, unsigned mask, int v) {
    return static_cast<int>(reduce(site, KN_EMU_REDUCE_MIN_I, mask, static_cast<unsigned>(v)));
}
static inline unsigned reduce_max(const char *site, unsigned mask, unsigned v) {
    return reduce(site, KN_EMU_REDUCE_MAX_U, mask, v);
}
static inline int reduce_max(const char *site, unsigned mask, int v) {
    return static_cast<int>(reduce(site, KN_EMU_REDUCE_MAX_I, mask, static_cast<unsigned>(v)));
}

enum class MmaType { F16, BF16 };

// A warp collective like mma.sync: all 32 lanes call it; fragments follow the PTX ISA layouts.
static inline void mma_m16n8k16(MmaType type, float d[4], const uint32_t a[4], const uint32_t b[2],
                                const float c[4]) {
    kn_emu_mma_m16n8k16(type == MmaType::BF16 ? 1 : 0, d, a, b, c, "mma_m16n8k16");
}

// A kernel and its arguments, captured by value like a real launch (converted to the parameter types).
template <typename... P>
struct KernelCall {
    void (*kernel)(P...);
    std::tuple<typename std::decay<P>::type...> args;
    static void run(const void *self) {
        const KernelCall &call = *static_cast<const KernelCall *>(self);
        std::apply(call.kernel, call.args);
    }
    static void *clone(const void *self) { return new KernelCall(*static_cast<const KernelCall *>(self)); }
    static void destroy(void *self) { delete static_cast<KernelCall *>(self); }
};

}  // namespace kn_emu

// One byte of this module's thread-local block. The runtime asks for its address on each OS thread
// that runs blocks to find (and poison) the module's TLS block, where the __shared__ variables live.
[[maybe_unused]] static thread_local unsigned char kn_emu_tls_anchor;
[[maybe_unused]] static void *kn_emu_tls_anchor_address() { return &kn_emu_tls_anchor; }

namespace kn_emu {

// The calling thread's latest error message: kernel, block and wait sites for a failed launch.
static inline const char *last_error_message() { return kn_emu_last_error_message(); }
// Host threads that run the blocks of a launch (process-wide); n <= 0: all cores.
static inline void set_num_threads(int n) { kn_emu_set_num_threads(n); }

// Runs every block of the grid before returning (or, on a capturing stream, records the launch with a
// copy of its arguments); errors go to cudaGetLastError.
template <typename... P, typename... A>
static inline void launch(const char *name, void (*kernel)(P...), dim3 grid, dim3 block, size_t dynamic_smem_bytes,
                          cudaStream_t stream, A &&...args) {
    static_assert(sizeof...(P) == sizeof...(A), "kernel launched with the wrong number of arguments");
    const KernelCall<P...> call{kernel, std::tuple<typename std::decay<P>::type...>(std::forward<A>(args)...)};
    kn_emu_launch_desc desc;
    desc.kernel_name = name;
    desc.kernel_id = reinterpret_cast<const void *>(kernel);
    desc.grid[0] = grid.x, desc.grid[1] = grid.y, desc.grid[2] = grid.z;
    desc.block[0] = block.x, desc.block[1] = block.y, desc.block[2] = block.z;
    desc.dynamic_smem_bytes = dynamic_smem_bytes;
    desc.stream = stream;
    desc.run_thread = &KernelCall<P...>::run;
    desc.call = &call;
    desc.tls_anchor = &kn_emu_tls_anchor_address;
    desc.clone_call = &KernelCall<P...>::clone;
    desc.free_call = &KernelCall<P...>::destroy;
    kn_emu_launch(&desc);
}

}  // namespace kn_emu

#define threadIdx (::kn_emu::this_thread()->thread_idx)
#define blockIdx (::kn_emu::this_thread()->block_idx)
#define blockDim (::kn_emu::this_thread()->block_dim)
#define gridDim (::kn_emu::this_thread()->grid_dim)
// A variable, not a macro, so that `prop.warpSize` keeps working.
static constexpr int warpSize = 32;

#define __syncthreads() ((void)kn_emu_barrier(KN_EMU_BAR_PLAIN, 0, KN_EMU_SITE))
#define __syncthreads_count(pred) kn_emu_barrier(KN_EMU_BAR_COUNT, (pred), KN_EMU_SITE)
#define __syncthreads_and(pred) kn_emu_barrier(KN_EMU_BAR_AND, (pred), KN_EMU_SITE)
#define __syncthreads_or(pred) kn_emu_barrier(KN_EMU_BAR_OR, (pred), KN_EMU_SITE)
#define __syncwarp(...) ::kn_emu::syncwarp(KN_EMU_SITE, ##__VA_ARGS__)
#define __shfl_sync(...) ::kn_emu::shfl_sync(KN_EMU_SITE, __VA_ARGS__)
#define __shfl_up_sync(...) ::kn_emu::shfl_up_sync(KN_EMU_SITE, __VA_ARGS__)
#define __shfl_down_sync(...) ::kn_emu::shfl_down_sync(KN_EMU_SITE, __VA_ARGS__)
#define __shfl_xor_sync(...) ::kn_emu::shfl_xor_sync(KN_EMU_SITE, __VA_ARGS__)
#define __ballot_sync(mask, pred) ::kn_emu::vote(KN_EMU_SITE, KN_EMU_BALLOT, (mask), (pred))
#define __any_sync(mask, pred) static_cast<int>(::kn_emu::vote(KN_EMU_SITE, KN_EMU_ANY, (mask), (pred)))
#define __all_sync(mask, pred) static_cast<int>(::kn_emu::vote(KN_EMU_SITE, KN_EMU_ALL, (mask), (pred)))
#define __reduce_add_sync(mask, v) ::kn_emu::reduce(KN_EMU_SITE, KN_EMU_REDUCE_ADD, (mask), (v))
#define __reduce_and_sync(mask, v) ::kn_emu::reduce(KN_EMU_SITE, KN_EMU_REDUCE_AND, (mask), (v))
#define __reduce_or_sync(mask, v) ::kn_emu::reduce(KN_EMU_SITE, KN_EMU_REDUCE_OR, (mask), (v))
#define __reduce_xor_sync(mask, v) ::kn_emu::reduce(KN_EMU_SITE, KN_EMU_REDUCE_XOR, (mask), (v))
#define __reduce_min_sync(mask, v) ::kn_emu::reduce_min(KN_EMU_SITE, (mask), (v))
#define __reduce_max_sync(mask, v) ::kn_emu::reduce_max(KN_EMU_SITE, (mask), (v))
#define __activemask() kn_emu_activemask()
#define __nanosleep(ns) kn_emu_yield()
#define __trap() kn_emu_trap(KN_EMU_SITE)
