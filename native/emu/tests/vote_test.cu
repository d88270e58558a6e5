// __ballot_sync/__any_sync/__all_sync with full and partial masks (divergent even/odd lanes),
// __reduce_*_sync, and __syncwarp ordering writes to shared memory between lanes.
#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

// out per thread: [ballot, any, all] over the lanes of its own branch (even or odd lanes).
__global__ void vote_kernel(const int *pred, unsigned *out) {
    const int tid = blockIdx.x * blockDim.x + threadIdx.x;
    const int lane = threadIdx.x % 32;
    const int p = pred[tid];
    unsigned ballot, any, all;
    if (lane % 2 == 0) {
        ballot = __ballot_sync(0x55555555u, p);
        any = __any_sync(0x55555555u, p);
        all = __all_sync(0x55555555u, p);
    } else {
        ballot = __ballot_sync(0xaaaaaaaau, p);
        any = __any_sync(0xaaaaaaaau, p);
        all = __all_sync(0xaaaaaaaau, p);
    }
    out[3 * tid + 0] = ballot;
    out[3 * tid + 1] = any;
    out[3 * tid + 2] = all;
    const unsigned full = __ballot_sync(0xffffffffu, p);
    out[3 * blockDim.x * gridDim.x + tid] = full;
}

__global__ void reduce_kernel(const int *in, int *out) {
    const int tid = blockIdx.x * blockDim.x + threadIdx.x;
    const int v = in[tid];
    out[6 * tid + 0] = (int)__reduce_add_sync(0xffffffffu, (unsigned)v);
    out[6 * tid + 1] = __reduce_min_sync(0xffffffffu, v);
    out[6 * tid + 2] = __reduce_max_sync(0xffffffffu, v);
    out[6 * tid + 3] = (int)__reduce_and_sync(0xffffffffu, (unsigned)v);
    out[6 * tid + 4] = (int)__reduce_or_sync(0xffffffffu, (unsigned)v);
    out[6 * tid + 5] = (int)__reduce_xor_sync(0xffffffffu, (unsigned)v);
}

// Each lane writes its slot, __syncwarp, then reads the slot of lane+1: correct only if every
// lane's write happens before any neighbour's read.
__global__ void syncwarp_kernel(int *out) {
    __shared__ int slot[64];
    const int lane = threadIdx.x % 32, warp_base = threadIdx.x / 32 * 32;
    slot[threadIdx.x] = 100 * (int)threadIdx.x + 1;
    __syncwarp();
    out[blockIdx.x * blockDim.x + threadIdx.x] = slot[warp_base + (lane + 1) % 32];
}

int main() {
    const int threads = 64, blocks = 2, n = threads * blocks;
    std::vector<int> pred(n);
    for (int i = 0; i < n; ++i) pred[i] = i < 32 ? 1 : i < 64 ? 0 : ((i * 37) % 5 == 0) ? 3 : 0;
    pred[70] = 1;
    pred[71] = 1;
    DeviceBuffer<int> d_pred(n);
    DeviceBuffer<unsigned> d_out(4 * n);
    d_pred.upload(pred.data());
    KN_LAUNCH(vote_kernel, blocks, threads, 0, nullptr, d_pred.ptr, d_out.ptr);
    EMU_CUDA_OK(cudaGetLastError());
    std::vector<unsigned> out(4 * n);
    d_out.download(out.data());
    int bad_partial = 0, bad_full = 0;
    for (int i = 0; i < n; ++i) {
        const int lane = i % 32, base = i - lane;
        unsigned ballot = 0, full = 0;
        for (int l = 0; l < 32; ++l) {
            if (pred[base + l] != 0 && l % 2 == lane % 2) ballot |= 1u << l;
            if (pred[base + l] != 0) full |= 1u << l;
        }
        const unsigned mask = lane % 2 == 0 ? 0x55555555u : 0xaaaaaaaau;
        bad_partial += out[3 * i] != ballot || (out[3 * i + 1] != 0) != (ballot != 0) ||
                       (out[3 * i + 2] != 0) != (ballot == mask);
        bad_full += out[3 * n + i] != full;
    }
    report("ballot_any_all/partial_masks_even_odd", bad_partial == 0, "%d of %d lanes differ from host votes", bad_partial, n);
    report("ballot/full_mask", bad_full == 0, "%d of %d lanes differ from host ballot", bad_full, n);

    std::vector<int> values(n);
    for (int i = 0; i < n; ++i) values[i] = (i * 7919) % 2001 - 1000;
    DeviceBuffer<int> d_values(n), d_red(6 * n);
    d_values.upload(values.data());
    KN_LAUNCH(reduce_kernel, blocks, threads, 0, nullptr, d_values.ptr, d_red.ptr);
    EMU_CUDA_OK(cudaGetLastError());
    std::vector<int> red(6 * n);
    d_red.download(red.data());
    int bad_reduce = 0;
    for (int i = 0; i < n; ++i) {
        const int base = i / 32 * 32;
        unsigned sum = 0, band = ~0u, bor = 0, bxor = 0;
        int lo = values[base], hi = values[base];
        for (int l = 0; l < 32; ++l) {
            const int v = values[base + l];
            sum += (unsigned)v, band &= (unsigned)v, bor |= (unsigned)v, bxor ^= (unsigned)v;
            lo = v < lo ? v : lo, hi = v > hi ? v : hi;
        }
        bad_reduce += red[6 * i] != (int)sum || red[6 * i + 1] != lo || red[6 * i + 2] != hi ||
                      red[6 * i + 3] != (int)band || red[6 * i + 4] != (int)bor || red[6 * i + 5] != (int)bxor;
    }
    report("reduce_add_min_max_and_or_xor", bad_reduce == 0, "%d of %d lanes differ from host reductions (signed min/max)", bad_reduce, n);

    // Two blocks: the emulator runs the second block's lanes in the opposite order.
    DeviceBuffer<int> d_sync(2 * threads);
    KN_LAUNCH(syncwarp_kernel, 2, threads, 0, nullptr, d_sync.ptr);
    EMU_CUDA_OK(cudaGetLastError());
    std::vector<int> synced(2 * threads);
    d_sync.download(synced.data());
    int bad_sync = 0;
    for (int i = 0; i < 2 * threads; ++i) {
        const int t = i % threads;
        bad_sync += synced[i] != 100 * (t / 32 * 32 + (t % 32 + 1) % 32) + 1;
    }
    report("syncwarp_orders_shared_writes", bad_sync == 0, "%d of %d lanes read a neighbour value other than its write", bad_sync, 2 * threads);
    return emu_test::finish();
}
