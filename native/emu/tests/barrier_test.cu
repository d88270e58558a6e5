// Block barriers: a multi-phase tree reduction through shared memory at several block sizes,
// __syncthreads_count/_and/_or, and threads that exit early counting as arrived.
#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

// Sum of each block's slice, by halving in shared memory (one barrier per phase).
__global__ void block_sum_kernel(const long long *in, long long *out) {
    __shared__ long long partial[1024];
    const unsigned t = threadIdx.x;
    partial[t] = in[blockIdx.x * blockDim.x + t];
    __syncthreads();
    // blockDim.x need not be a power of two: fold the tail onto the front first.
    unsigned active = 1;
    while (active * 2 <= blockDim.x) active *= 2;
    if (t < blockDim.x - active) partial[t] += partial[t + active];
    __syncthreads();
    for (unsigned stride = active / 2; stride > 0; stride /= 2) {
        if (t < stride) partial[t] += partial[t + stride];
        __syncthreads();
    }
    if (t == 0) out[blockIdx.x] = partial[0];
}

__global__ void barrier_vote_kernel(const int *flags, int *out) {
    const int p = flags[blockIdx.x * blockDim.x + threadIdx.x];
    const int count = __syncthreads_count(p);
    const int all = __syncthreads_and(p);
    const int any = __syncthreads_or(p);
    if (threadIdx.x == 0) {
        out[3 * blockIdx.x + 0] = count;
        out[3 * blockIdx.x + 1] = all;
        out[3 * blockIdx.x + 2] = any;
    }
}

// Threads beyond `live` return before the barrier; the rest must still get through it.
__global__ void early_exit_kernel(int live, int *out) {
    __shared__ int value[256];
    if ((int)threadIdx.x >= live) return;
    value[threadIdx.x] = (int)threadIdx.x * 3;
    __syncthreads();
    out[threadIdx.x] = value[(threadIdx.x + 1) % live];
}

static void check_block_sum(unsigned threads, unsigned blocks) {
    const size_t n = (size_t)threads * blocks;
    std::vector<long long> in(n), out(blocks, -1);
    for (size_t i = 0; i < n; ++i) in[i] = (long long)((i * 2654435761u) % 1000003) - 500000;
    DeviceBuffer<long long> d_in(n), d_out(blocks);
    d_in.upload(in.data());
    KN_LAUNCH(block_sum_kernel, blocks, threads, 0, nullptr, d_in.ptr, d_out.ptr);
    EMU_CUDA_OK(cudaGetLastError());
    d_out.download(out.data());
    unsigned bad = 0;
    for (unsigned b = 0; b < blocks; ++b) {
        long long expect = 0;
        for (unsigned t = 0; t < threads; ++t) expect += in[(size_t)b * threads + t];
        bad += out[b] != expect;
    }
    char name[64];
    snprintf(name, sizeof name, "block_sum/%u_threads_x_%u_blocks", threads, blocks);
    report(name, bad == 0, "%u of %u block sums differ from the host sum", bad, blocks);
}

int main() {
    const unsigned sizes[] = {1, 32, 33, 96, 255, 256, 1000, 1024};
    for (unsigned threads : sizes) check_block_sum(threads, 7);

    {
        const int threads = 128, blocks = 4;
        std::vector<int> flags(threads * blocks);
        for (int b = 0; b < blocks; ++b)
            for (int t = 0; t < threads; ++t) flags[b * threads + t] = b == 0 ? 1 : b == 1 ? 0 : (t % (b + 1) == 0) ? 7 : 0;
        DeviceBuffer<int> d_flags(flags.size()), d_out(3 * blocks);
        d_flags.upload(flags.data());
        KN_LAUNCH(barrier_vote_kernel, blocks, threads, 0, nullptr, d_flags.ptr, d_out.ptr);
        EMU_CUDA_OK(cudaGetLastError());
        std::vector<int> out(3 * blocks);
        d_out.download(out.data());
        bool ok = true;
        for (int b = 0; b < blocks; ++b) {
            int count = 0;
            for (int t = 0; t < threads; ++t) count += flags[b * threads + t] != 0;
            ok &= out[3 * b] == count && (out[3 * b + 1] != 0) == (count == threads) && (out[3 * b + 2] != 0) == (count > 0);
        }
        report("syncthreads_count_and_or", ok, "count/and/or of 4 blocks (all, none, every 3rd, every 4th) vs host counts");
    }

    for (int live : {1, 100, 255}) {
        DeviceBuffer<int> d_out(256);
        d_out.fill_bytes(0);
        KN_LAUNCH(early_exit_kernel, 1, 256, 0, nullptr, live, d_out.ptr);
        const cudaError_t err = cudaGetLastError();
        std::vector<int> out(256);
        d_out.download(out.data());
        bool ok = err == cudaSuccess;
        for (int t = 0; t < live; ++t) ok &= out[t] == ((t + 1) % live) * 3;
        char name[64];
        snprintf(name, sizeof name, "exited_threads_count_as_arrived/live_%d", live);
        report(name, ok, "launch: %s; neighbour values of %d live threads", cudaGetErrorString(err), live);
    }
    return emu_test::finish();
}
