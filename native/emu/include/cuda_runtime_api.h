// Emulated CUDA: everything this header declares comes from cuda_emu.h, force-included first.
#pragma once
#ifndef KN_CUDA_EMU
#error "cuda_runtime_api.h of the CUDA emulator: compile with -include cuda_emu.h (cmake/KinemaCudaEmu.cmake does)"
#endif
