// Kernels that deadlock or misuse warp collectives make their launch fail with a message naming
// the kernel, the block and where the threads wait; the process survives and launches again.
#include <string.h>

#include <string>
#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

// Block 1 only: half its threads wait at one __syncthreads, half at another.
__global__ void divergent_barrier_kernel(int *out) {
    if (blockIdx.x == 1 && threadIdx.x < 16) {
        __syncthreads();
    } else {
        __syncthreads();
    }
    out[blockIdx.x * blockDim.x + threadIdx.x] = 1;
}

// Lane 5 exits; the others wait forever for it in a full-mask shuffle.
__global__ void exited_lane_shuffle_kernel(int *out) {
    if (threadIdx.x == 5) return;
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (int)threadIdx.x, 1);
}

// Thread 0 waits at the block barrier, its warp-mates in a shuffle that needs thread 0.
__global__ void barrier_versus_shuffle_kernel(int *out) {
    int v = (int)threadIdx.x;
    if (threadIdx.x == 0) {
        __syncthreads();
    } else {
        v = __shfl_down_sync(0xffffffffu, v, 1);
        __syncthreads();
    }
    out[threadIdx.x] = v;
}

// Half the warp shuffles, the other half votes, both with the full mask.
__global__ void mismatched_collectives_kernel(int *out) {
    int v;
    if (threadIdx.x < 16) {
        v = __shfl_xor_sync(0xffffffffu, (int)threadIdx.x, 1);
    } else {
        v = (int)__ballot_sync(0xffffffffu, 1);
    }
    out[threadIdx.x] = v;
}

__global__ void mask_without_self_kernel(int *out) {
    out[threadIdx.x] = __shfl_sync(0x1u, (int)threadIdx.x, 0);
}

__global__ void trap_kernel(int *out) {
    if (threadIdx.x == 3) __trap();
    out[threadIdx.x] = 1;
}

__global__ void fill_kernel(int *out, int value) { out[blockIdx.x * blockDim.x + threadIdx.x] = value; }

// Launches through `launch`, expects a failure whose message holds every string in `parts`.
template <typename Launch>
static void expect_failure(const char *name, Launch launch, std::vector<const char *> parts) {
    launch();
    const cudaError_t err = cudaGetLastError();
    const char *message = cudaGetErrorString(err);
    bool ok = err == cudaErrorLaunchFailure;
    for (const char *p : parts) ok &= strstr(message, p) != nullptr;
    ok &= cudaGetLastError() == cudaSuccess;  // reading the error clears it
    report(name, ok, "%s -> %s", cudaGetErrorName(err), message);
}

int main() {
#if defined(KN_CUDA_EMU)
    DeviceBuffer<int> out(4 * 64);
    expect_failure("divergent_syncthreads_sites",
                   [&] { KN_LAUNCH(divergent_barrier_kernel, 4, 64, 0, nullptr, out.ptr); },
                   {"divergent_barrier_kernel", "block (1,0,0)", "different __syncthreads() call sites",
                    "16 thread(s) wait at __syncthreads() ", "48 thread(s) wait at __syncthreads() ", "deadlock_test.cu:"});
    expect_failure("shuffle_waiting_for_exited_lane",
                   [&] { KN_LAUNCH(exited_lane_shuffle_kernel, 1, 32, 0, nullptr, out.ptr); },
                   {"exited_lane_shuffle_kernel", "block (0,0,0)", "deadlock", "warp 0", "__shfl_xor_sync",
                    "lanes 0x00000020 never join (0x00000020 of them have exited)"});
    expect_failure("barrier_versus_shuffle",
                   [&] { KN_LAUNCH(barrier_versus_shuffle_kernel, 1, 64, 0, nullptr, out.ptr); },
                   {"barrier_versus_shuffle_kernel", "deadlock", "wait at __syncthreads()", "__shfl_down_sync"});
    expect_failure("mismatched_warp_collectives",
                   [&] { KN_LAUNCH(mismatched_collectives_kernel, 1, 32, 0, nullptr, out.ptr); },
                   {"mismatched_collectives_kernel", "lanes disagree", "__shfl_xor_sync", "__ballot_sync"});
    expect_failure("mask_without_own_lane",
                   [&] { KN_LAUNCH(mask_without_self_kernel, 1, 32, 0, nullptr, out.ptr); },
                   {"mask_without_self_kernel", "does not include it"});
    expect_failure("trap", [&] { KN_LAUNCH(trap_kernel, 2, 32, 0, nullptr, out.ptr); },
                   {"trap_kernel", "__trap()", "thread (3,0,0)"});

    // The process goes on: a fresh launch works, on several OS threads, with the stacks reused.
    std::vector<int> host(4 * 64);
    KN_LAUNCH(fill_kernel, 4, 64, 0, nullptr, out.ptr, 77);
    const cudaError_t err = cudaGetLastError();
    out.download(host.data());
    int wrong = 0;
    for (int v : host) wrong += v != 77;
    report("launch_after_failures", err == cudaSuccess && wrong == 0, "%s, %d of %zu values wrong", cudaGetErrorName(err), wrong, host.size());
    return emu_test::finish();
#else
    printf("deadlock_test drives the emulator's deadlock detection; on a GPU these kernels would hang\n");
    return 2;
#endif
}
