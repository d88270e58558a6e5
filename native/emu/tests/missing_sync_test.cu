// Kernels that forget a barrier read poisoned shared memory on the emulator: the broken result
// contains NaN, while the same kernel with the barrier is exact.
#include <math.h>

#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

// Each thread stages its value, then reads its neighbour's: needs the __syncthreads.
template <bool kWithBarrier>
__global__ void neighbour_kernel(const float *in, float *out) {
    __shared__ float staged[256];
    const int t = threadIdx.x, g = blockIdx.x * blockDim.x + t;
    staged[t] = in[g];
    if (kWithBarrier) __syncthreads();
    out[g] = staged[(t + 1) % blockDim.x];
}

// Same through dynamic shared memory.
template <bool kWithBarrier>
__global__ void dynamic_neighbour_kernel(const float *in, float *out) {
    KN_DYNAMIC_SHARED(float, staged);
    const int t = threadIdx.x, g = blockIdx.x * blockDim.x + t;
    staged[t] = in[g];
    if (kWithBarrier) __syncthreads();
    out[g] = staged[(t + 1) % blockDim.x];
}

// Within a warp: needs the __syncwarp.
template <bool kWithSyncwarp>
__global__ void warp_neighbour_kernel(const float *in, float *out) {
    __shared__ float staged[128];
    const int t = threadIdx.x, g = blockIdx.x * blockDim.x + t, base = t / 32 * 32;
    staged[t] = in[g];
    if (kWithSyncwarp) __syncwarp();
    out[g] = staged[base + (t % 32 + 1) % 32];
}

struct Outcome {
    int nan_count;
    int wrong;
};

template <typename Launch>
static Outcome run(Launch launch, int threads, int blocks, int group) {
    const int n = threads * blocks;
    std::vector<float> in(n), out(n);
    for (int i = 0; i < n; ++i) in[i] = 0.5f + (float)i;
    DeviceBuffer<float> d_in(n), d_out(n);
    d_in.upload(in.data());
    launch(d_in.ptr, d_out.ptr);
    EMU_CUDA_OK(cudaGetLastError());
    d_out.download(out.data());
    Outcome o{0, 0};
    for (int i = 0; i < n; ++i) {
        const int base = i / group * group;
        o.nan_count += isnan(out[i]) ? 1 : 0;
        o.wrong += out[i] != in[base + (i - base + 1) % group];
    }
    return o;
}

static void check_pair(const char *name, Outcome good, Outcome broken, int n) {
    char full[128];
    snprintf(full, sizeof full, "%s/with_sync_exact", name);
    report(full, good.wrong == 0 && good.nan_count == 0, "%d of %d values wrong", good.wrong, n);
#if defined(KN_CUDA_EMU)
    snprintf(full, sizeof full, "%s/missing_sync_caught", name);
    report(full, broken.nan_count > 0 && broken.wrong > 0, "%d NaN poison reads, %d of %d values wrong", broken.nan_count,
           broken.wrong, n);
#else
    (void)broken;
#endif
}

int main() {
    const int threads = 256, blocks = 4, n = threads * blocks;
    check_pair("syncthreads_static_shared",
               run([&](const float *i, float *o) { KN_LAUNCH(neighbour_kernel<true>, blocks, threads, 0, nullptr, i, o); }, threads, blocks, threads),
               run([&](const float *i, float *o) { KN_LAUNCH(neighbour_kernel<false>, blocks, threads, 0, nullptr, i, o); }, threads, blocks, threads),
               n);
    const size_t bytes = threads * sizeof(float);
    check_pair("syncthreads_dynamic_shared",
               run([&](const float *i, float *o) { KN_LAUNCH(dynamic_neighbour_kernel<true>, blocks, threads, bytes, nullptr, i, o); }, threads, blocks, threads),
               run([&](const float *i, float *o) { KN_LAUNCH(dynamic_neighbour_kernel<false>, blocks, threads, bytes, nullptr, i, o); }, threads, blocks, threads),
               n);
    check_pair("syncwarp",
               run([&](const float *i, float *o) { KN_LAUNCH(warp_neighbour_kernel<true>, blocks, 128, 0, nullptr, i, o); }, 128, blocks, 32),
               run([&](const float *i, float *o) { KN_LAUNCH(warp_neighbour_kernel<false>, blocks, 128, 0, nullptr, i, o); }, 128, blocks, 32),
               128 * blocks);
    return emu_test::finish();
}
