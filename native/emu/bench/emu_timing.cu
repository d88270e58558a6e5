// Prints what the emulator costs per barrier wait, per shuffle, per launch and per block, on one
// OS thread (so the numbers are per core). Not a test: numbers for the record.
#include <stdio.h>

#include <chrono>

#include "common.cuh"

__global__ void barrier_loop_kernel(int iterations, int *sink) {
    int acc = 0;
    for (int i = 0; i < iterations; ++i) {
        acc += i ^ (int)threadIdx.x;
        __syncthreads();
    }
    if (acc == -1) sink[0] = acc;
}

__global__ void shuffle_loop_kernel(int iterations, int *sink) {
    int v = (int)threadIdx.x;
    for (int i = 0; i < iterations; ++i) v += __shfl_xor_sync(0xffffffffu, v, i & 31);
    if (v == -1) sink[0] = v;
}

__global__ void empty_kernel(int *sink) {
    if (threadIdx.x == 1u << 30) sink[0] = 1;
}

template <typename F>
static double seconds(F f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int main() {
    kn_emu_set_num_threads(1);
    int *sink = nullptr;
    cudaMalloc(&sink, sizeof(int));
    const int threads = 1024, iterations = 2000;
    KN_LAUNCH(barrier_loop_kernel, 1, threads, 0, nullptr, 10, sink);  // warm: stacks mapped, pages touched
    const double barrier_s = seconds([&] { KN_LAUNCH(barrier_loop_kernel, 1, threads, 0, nullptr, iterations, sink); });
    const double shuffle_s = seconds([&] { KN_LAUNCH(shuffle_loop_kernel, 1, threads, 0, nullptr, iterations, sink); });
    const int launches = 2000;
    const double launch_s = seconds([&] {
        for (int i = 0; i < launches; ++i) KN_LAUNCH(empty_kernel, 1, 32, 0, nullptr, sink);
    });
    const int blocks = 4000;
    const double blocks_s = seconds([&] { KN_LAUNCH(empty_kernel, blocks, 128, 0, nullptr, sink); });
    if (cudaGetLastError() != cudaSuccess) {
        printf("launch failed: %s\n", kn_emu_last_error_message());
        return 1;
    }
    printf("barrier wait:              %6.1f ns per thread per __syncthreads (1024 threads)\n", barrier_s * 1e9 / ((double)threads * iterations));
    printf("shuffle:                   %6.1f ns per thread per __shfl_xor_sync (1024 threads)\n", shuffle_s * 1e9 / ((double)threads * iterations));
    printf("launch of 1 block x 32:    %6.2f us\n", launch_s * 1e6 / launches);
    printf("empty block of 128 threads:%6.2f us (fiber setup, shared-memory poison, run)\n", blocks_s * 1e6 / blocks);
    cudaFree(sink);
    return 0;
}
