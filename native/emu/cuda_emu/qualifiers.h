// CUDA declaration qualifiers for g++. The shim is force-included before anything else, so these
// definitions win over CUDA's host_defines.h (which defines them only when undefined).
#pragma once

#define __host__
#define __device__
#define __global__
#define __constant__
#define __managed__
#define __grid_constant__
#define __forceinline__ __inline__ __attribute__((always_inline))
// Empty: libstdc++ and glibc write __attribute__((__noinline__)), which an attribute-valued macro
// would break; inlining changes nothing observable here.
#define __noinline__
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
#define __builtin_align__(n) __attribute__((aligned(n)))

// One copy per OS thread. Correct because a block's fibers never leave the OS thread running the
// block and an OS thread runs one block at a time; the runtime poisons the copies before each block.
// Only block-scope `__shared__` declarations are supported (the build-time TLS check enforces it);
// dynamic shared memory goes through KN_DYNAMIC_SHARED (kernels/common.cuh).
#define __shared__ static thread_local

#define KN_EMU_STRINGIFY_(x) #x
#define KN_EMU_STRINGIFY(x) KN_EMU_STRINGIFY_(x)
// Source position of a barrier or warp collective, shown in deadlock reports.
#define KN_EMU_SITE __FILE__ ":" KN_EMU_STRINGIFY(__LINE__)
