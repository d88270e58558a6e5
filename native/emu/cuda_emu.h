// cuda_emu.h - compiles CUDA C++ kernels and host code with g++ and runs them on the CPU.
//
// Force-included before every source of an emulated module (`-include cuda_emu.h -DKN_CUDA_EMU=1`,
// see cmake/KinemaCudaEmu.cmake). Each CUDA thread runs as a fiber of libkinema_emu_runtime; a block's
// fibers share one OS thread, blocks of a launch spread over OS threads. Streams are synchronous: a
// launch, copy or memset has finished when the call returns. See README.md for the model and limits.
#pragma once

#ifndef KN_CUDA_EMU
#define KN_CUDA_EMU 1
#endif

#ifndef __cplusplus
#error "cuda_emu.h emulates CUDA C++: compile the .cu sources as C++ (-x c++)"
#endif

// nvcc makes printf/malloc visible to every .cu; so does the shim.
#include <stdio.h>
#include <stdlib.h>

#include "cuda_emu/qualifiers.h"
#include "cuda_emu/runtime_abi.h"
#include "cuda_emu/vector_types.h"
#include "cuda_emu/runtime_api.h"
#include "cuda_emu/device_math.h"
#include "cuda_emu/half.h"
#include "cuda_emu/atomics.h"
#include "cuda_emu/thread_model.h"
