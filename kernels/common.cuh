// common.cuh - what every kernel file shares, written once for both builds of kernels/:
//   nvcc            -> the `cuda` backend (real CUDA; KN_CUDA_EMU undefined)
//   g++ + the shim  -> the `cuda-emu` backend (KN_CUDA_EMU defined; native/emu/cuda_emu.h is
//                      force-included before this file and provides the CUDA runtime API, the
//                      built-in variables, barriers, warp collectives and atomics on fibers)
// Kernel sources stay plain CUDA; only the few constructs that are not C++ go through these macros.
#pragma once

#include <stdint.h>

#include "kinema.h"
#include "backend.h"

#if !defined(KN_CUDA_EMU)
#include <cuda_runtime.h>
#endif

// Launch a kernel: `kernel<<<grid, block, smem_bytes, stream>>>(args...)` on CUDA; on the emulator
// the same launch runs every block as a set of fibers before returning.
#if defined(KN_CUDA_EMU)
#define KN_LAUNCH(kernel, grid, block, smem_bytes, stream, ...) \
    ::kn_emu::launch(#kernel, kernel, (grid), (block), (smem_bytes), (stream), __VA_ARGS__)
#else
#define KN_LAUNCH(kernel, grid, block, smem_bytes, stream, ...) \
    kernel<<<(grid), (block), (smem_bytes), (stream)>>>(__VA_ARGS__)
#endif

// Dynamic shared memory: declares `T *name` pointing at the block's dynamic shared buffer.
#if defined(KN_CUDA_EMU)
#define KN_DYNAMIC_SHARED(T, name) T *name = reinterpret_cast<T *>(::kn_emu::dynamic_shared_memory())
#else
#define KN_DYNAMIC_SHARED(T, name) \
    extern __shared__ __align__(16) unsigned char kn_dynamic_smem_##name[]; \
    T *name = reinterpret_cast<T *>(kn_dynamic_smem_##name)
#endif

// Tensor-core MMA, m16n8k16, row.col, f32 accumulate: d = a * b + c for one warp.
// Fragments follow the PTX ISA layouts (groupID = lane >> 2, tig = lane & 3):
//   a[4] (16x16, two f16/bf16 per register, low half first):
//        a[0] = A[g][2t..2t+1]   a[1] = A[g+8][2t..2t+1]   a[2] = A[g][2t+8..]   a[3] = A[g+8][2t+8..]
//   b[2] (16x8, K-major pairs): b[0] = B[2t..2t+1][g]       b[1] = B[2t+8..2t+9][g]
//   c[4], d[4] (16x8 f32):      c[0..1] = C[g][2t..2t+1]     c[2..3] = C[g+8][2t..2t+1]
#if defined(KN_CUDA_EMU)
__device__ __forceinline__ void kn_mma_m16n8k16_f16(float d[4], const uint32_t a[4], const uint32_t b[2],
                                                    const float c[4]) {
    ::kn_emu::mma_m16n8k16(::kn_emu::MmaType::F16, d, a, b, c);
}
__device__ __forceinline__ void kn_mma_m16n8k16_bf16(float d[4], const uint32_t a[4], const uint32_t b[2],
                                                     const float c[4]) {
    ::kn_emu::mma_m16n8k16(::kn_emu::MmaType::BF16, d, a, b, c);
}
#else
__device__ __forceinline__ void kn_mma_m16n8k16_f16(float d[4], const uint32_t a[4], const uint32_t b[2],
                                                    const float c[4]) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]),
          "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}
__device__ __forceinline__ void kn_mma_m16n8k16_bf16(float d[4], const uint32_t a[4], const uint32_t b[2],
                                                     const float c[4]) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]),
          "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}
#endif

// Turns the runtime's last launch error into a backend status with a message naming the kernel.
int32_t kn_cuda_check_launch(const char *kernel_name);

// The plugin's error sink (set from kn_plugin_entry); messages end up in kn_last_error().
void kn_cuda_set_error(const char *fmt, ...);
