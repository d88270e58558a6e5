// KN_EMU_CHECK_SHARED=1: an access past a block's dynamic shared memory fails the launch with the
// kernel, block and thread that made it (instead of silently reading or corrupting other memory), and
// in-bounds kernels, including ones that use the last byte, run as before.
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

// Each thread writes its own `per_thread` bytes of dynamic shared memory; `bad_thread` of block
// `bad_block` also touches byte `bad_offset` (reading when `read`), which may lie past the end.
__global__ void touch_kernel(int per_thread, int bad_block, int bad_thread, int bad_offset, int read, int *sums) {
    KN_DYNAMIC_SHARED(unsigned char, smem);
    const int t = threadIdx.x;
    for (int i = 0; i < per_thread; ++i) smem[t * per_thread + i] = (unsigned char)(t + i);
    int sum = 0;
    if ((int)blockIdx.x == bad_block && t == bad_thread) {
        if (read) {
            sum += ((volatile unsigned char *)smem)[bad_offset];
        } else {
            ((volatile unsigned char *)smem)[bad_offset] = 7;
        }
    }
    __syncthreads();
    for (int i = 0; i < per_thread; ++i) sum += smem[((t + 1) % blockDim.x) * per_thread + i];
    sums[blockIdx.x * blockDim.x + t] = sum;
}

static void run(const char *name, int bad_offset, int read, bool expect_failure) {
    const int threads = 32, per_thread = 8, blocks = 3;
    const size_t bytes = (size_t)threads * per_thread;  // 256
    DeviceBuffer<int> sums(threads * blocks);
    KN_LAUNCH(touch_kernel, blocks, threads, bytes, nullptr, per_thread, 1, 5, bad_offset, read, sums.ptr);
    const cudaError_t err = cudaGetLastError();
    const char *message = kn_emu_last_error_message();
    if (!expect_failure) {
        report(name, err == cudaSuccess, "launch %s: %s", cudaGetErrorName(err), message);
        return;
    }
    char want[160];
    snprintf(want, sizeof want, "out-of-range shared memory access by thread (5,0,0): byte %d of %zu bytes", bad_offset,
             bytes);
    const bool ok = err != cudaSuccess && strstr(message, "kernel '") != nullptr &&
                    strstr(message, "block (1,0,0)") != nullptr && strstr(message, want) != nullptr;
    report(name, ok, "launch %s: %s", cudaGetErrorName(err), message);
}

int main() {
    setenv("KN_EMU_CHECK_SHARED", "1", 1);  // before the first launch reads it
    kn_emu_set_num_threads(2);
    run("guard/in_bounds_including_the_last_byte", 255, 0, false);
    run("guard/write_one_past_the_end", 256, 0, true);
    run("guard/read_past_the_end", 300, 1, true);
    run("guard/the_next_launch_runs", 0, 0, false);
    return emu_test::finish();
}
