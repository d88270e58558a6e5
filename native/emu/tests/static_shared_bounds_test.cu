// Built with -fsanitize=bounds and run with KN_EMU_CHECK_SHARED=1: thread 5 of block 1 writes one
// element past a static __shared__ tile. UBSan stops the process with the source line and index, and
// the emulator adds the kernel, block and thread (CMake checks both in the output). Static shared
// tiles are most kernels' shared memory; the guard page covers only dynamic shared memory.
#include <stdlib.h>

#include "emu_test.h"

using emu_test::DeviceBuffer;

__global__ void static_overflow_kernel(int bad_block, int bad_thread, float *out) {
    __shared__ float tile[32];
    const int t = threadIdx.x;
    const int i = ((int)blockIdx.x == bad_block && t == bad_thread) ? t + 32 : t;
    tile[i] = (float)t;
    __syncthreads();
    out[blockIdx.x * blockDim.x + t] = tile[(t + 1) % 32];
}

int main() {
    setenv("KN_EMU_CHECK_SHARED", "1", 1);
    kn_emu_set_num_threads(1);
    DeviceBuffer<float> out(3 * 32);
    KN_LAUNCH(static_overflow_kernel, 3, 32, 0, nullptr, -1, -1, out.ptr);  // in bounds: runs
    emu_test::report("static_shared/in_bounds_runs", cudaGetLastError() == cudaSuccess);
    KN_LAUNCH(static_overflow_kernel, 3, 32, 0, nullptr, 1, 5, out.ptr);   // out of bounds: the process stops
    emu_test::report("static_shared/out_of_bounds_was_not_stopped", false);
    return emu_test::finish();
}
