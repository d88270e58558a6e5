// Tiny harness of the shim's tests: one PASS/FAIL line per case, non-zero exit on any failure.
// The test sources are plain CUDA and also compile with nvcc (`nvcc -arch=sm_80 -c`).
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.cuh"

namespace emu_test {

inline int &failures() {
    static int count = 0;
    return count;
}

// Reports one case; `detail` says what was compared (printf-style).
inline bool report(const char *name, bool ok, const char *detail_fmt = "", ...) {
    char detail[1024];
    va_list args;
    va_start(args, detail_fmt);
    vsnprintf(detail, sizeof detail, detail_fmt, args);
    va_end(args);
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, detail[0] ? ": " : "", detail);
    fflush(stdout);
    if (!ok) ++failures();
    return ok;
}

inline int finish() {
    printf("%s: %d failure(s)\n", failures() == 0 ? "ALL PASSED" : "FAILED", failures());
    return failures() == 0 ? 0 : 1;
}

// Stops the test program on a CUDA runtime error outside the cases being checked.
#define EMU_CUDA_OK(call)                                                                          \
    do {                                                                                           \
        cudaError_t emu_err_ = (call);                                                             \
        if (emu_err_ != cudaSuccess) {                                                             \
            printf("FAIL %s:%d: %s -> %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(emu_err_)); \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

// Device buffer of n elements, freed at scope exit.
template <typename T>
struct DeviceBuffer {
    T *ptr = nullptr;
    size_t n = 0;
    explicit DeviceBuffer(size_t count) : n(count) { EMU_CUDA_OK(cudaMalloc(&ptr, count * sizeof(T))); }
    ~DeviceBuffer() { cudaFree(ptr); }
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;
    void upload(const T *host) { EMU_CUDA_OK(cudaMemcpy(ptr, host, n * sizeof(T), cudaMemcpyHostToDevice)); }
    void download(T *host) const { EMU_CUDA_OK(cudaMemcpy(host, ptr, n * sizeof(T), cudaMemcpyDeviceToHost)); }
    void fill_bytes(int byte) { EMU_CUDA_OK(cudaMemset(ptr, byte, n * sizeof(T))); }
};

}  // namespace emu_test
