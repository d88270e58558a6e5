// Launch shapes: many blocks of 1024 threads, 3D grids and blocks (every built-in variable of every
// thread checked), and configurations CUDA rejects.
#include <string.h>

#include <thread>
#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

// Reverses each block's slice through shared memory (a barrier between write and read).
__global__ void reverse_block_kernel(const int *in, int *out) {
    __shared__ int tile[1024];
    const int t = threadIdx.x, base = blockIdx.x * blockDim.x;
    tile[t] = in[base + t];
    __syncthreads();
    out[base + t] = tile[blockDim.x - 1 - t];
}

// Records what each thread sees; out has 12 ints per thread at its global linear index.
__global__ void coordinates_kernel(unsigned *out) {
    const unsigned block_linear = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    const unsigned thread_linear = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    unsigned *o = out + 12 * (block_linear * blockDim.x * blockDim.y * blockDim.z + thread_linear);
    o[0] = threadIdx.x, o[1] = threadIdx.y, o[2] = threadIdx.z;
    o[3] = blockIdx.x, o[4] = blockIdx.y, o[5] = blockIdx.z;
    o[6] = blockDim.x, o[7] = blockDim.y, o[8] = blockDim.z;
    o[9] = gridDim.x, o[10] = gridDim.y, o[11] = gridDim.z;
}

__global__ void noop_kernel(int *out) { out[0] = 1; }

// Launches from one host thread; returns the number of wrong values over all rounds.
static int launch_rounds(int rounds, int salt) {
    const int threads = 256, blocks = 8, n = threads * blocks;
    std::vector<int> in(n), out(n);
    int *d_in = nullptr, *d_out = nullptr;
    if (cudaMalloc(&d_in, n * sizeof(int)) != cudaSuccess || cudaMalloc(&d_out, n * sizeof(int)) != cudaSuccess) return n;
    int wrong = 0;
    for (int r = 0; r < rounds; ++r) {
        for (int i = 0; i < n; ++i) in[i] = salt * 100000 + r * 1000 + i;
        cudaMemcpy(d_in, in.data(), n * sizeof(int), cudaMemcpyHostToDevice);
        KN_LAUNCH(reverse_block_kernel, blocks, threads, 0, nullptr, d_in, d_out);
        wrong += cudaGetLastError() != cudaSuccess;
        cudaMemcpy(out.data(), d_out, n * sizeof(int), cudaMemcpyDeviceToHost);
        for (int i = 0; i < n; ++i) wrong += out[i] != in[i / threads * threads + threads - 1 - i % threads];
    }
    cudaFree(d_in);
    cudaFree(d_out);
    return wrong;
}

int main() {
    {
        const int threads = 1024, blocks = 96, n = threads * blocks;
        std::vector<int> in(n), out(n);
        for (int i = 0; i < n; ++i) in[i] = i * 3 + 1;
        DeviceBuffer<int> d_in(n), d_out(n);
        d_in.upload(in.data());
        KN_LAUNCH(reverse_block_kernel, blocks, threads, 0, nullptr, d_in.ptr, d_out.ptr);
        EMU_CUDA_OK(cudaGetLastError());
        d_out.download(out.data());
        int wrong = 0;
        for (int i = 0; i < n; ++i) wrong += out[i] != in[i / threads * threads + threads - 1 - i % threads];
        report("1024_threads_x_96_blocks", wrong == 0, "%d of %d reversed values wrong", wrong, n);
    }
    {
        const dim3 grid(3, 4, 2), block(8, 4, 3);
        const unsigned blocks = 3 * 4 * 2, threads = 8 * 4 * 3;
        DeviceBuffer<unsigned> d_out(12 * blocks * threads);
        d_out.fill_bytes(0xEE);
        KN_LAUNCH(coordinates_kernel, grid, block, 0, nullptr, d_out.ptr);
        EMU_CUDA_OK(cudaGetLastError());
        std::vector<unsigned> out(12 * blocks * threads);
        d_out.download(out.data());
        int wrong = 0;
        for (unsigned bz = 0; bz < 2; ++bz)
            for (unsigned by = 0; by < 4; ++by)
                for (unsigned bx = 0; bx < 3; ++bx)
                    for (unsigned tz = 0; tz < 3; ++tz)
                        for (unsigned ty = 0; ty < 4; ++ty)
                            for (unsigned tx = 0; tx < 8; ++tx) {
                                const unsigned b = bx + 3 * (by + 4 * bz), t = tx + 8 * (ty + 4 * tz);
                                const unsigned expect[12] = {tx, ty, tz, bx, by, bz, 8, 4, 3, 3, 4, 2};
                                wrong += memcmp(&out[12 * (b * threads + t)], expect, sizeof expect) != 0;
                            }
        report("3d_grid_3x4x2_of_3d_blocks_8x4x3", wrong == 0, "%d of %u threads saw wrong built-in variables", wrong, blocks * threads);
    }
    {
        // Two host threads launch at once: each launch has its own team of OS threads and blocks.
        int wrong_a = 0, wrong_b = 0;
        std::thread a([&] { wrong_a = launch_rounds(40, 1); });
        std::thread b([&] { wrong_b = launch_rounds(40, 2); });
        a.join();
        b.join();
        report("concurrent_launches_from_two_host_threads", wrong_a == 0 && wrong_b == 0,
               "%d and %d wrong values or failed launches over 40 rounds each", wrong_a, wrong_b);
    }
    struct Bad {
        const char *name;
        dim3 grid, block;
        const char *expect;
    };
    const Bad bad[] = {{"block_of_2048_threads", dim3(1), dim3(2048), "block dims (2048,1,1)"},
                       {"block_z_of_65", dim3(1), dim3(1, 1, 65), "block dims (1,1,65)"},
                       {"block_of_1025_threads_in_3d", dim3(1), dim3(5, 5, 41), "block dims (5,5,41)"},
                       {"empty_grid", dim3(0), dim3(32), "grid dims (0,1,1)"},
                       {"grid_y_of_65536", dim3(1, 65536), dim3(32), "grid dims (1,65536,1)"}};
    DeviceBuffer<int> scratch(1);
    for (const Bad &b : bad) {
        KN_LAUNCH(noop_kernel, b.grid, b.block, 0, nullptr, scratch.ptr);
        const cudaError_t err = cudaGetLastError();
        const char *message = cudaGetErrorString(err);
        char name[96];
        snprintf(name, sizeof name, "rejected/%s", b.name);
#if defined(KN_CUDA_EMU)
        report(name, err == cudaErrorInvalidConfiguration && strstr(message, "noop_kernel") && strstr(message, b.expect), "%s", message);
#else
        report(name, err == cudaErrorInvalidConfiguration, "%s", message);
#endif
    }
    return emu_test::finish();
}
