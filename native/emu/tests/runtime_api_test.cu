// The emulated CUDA runtime API: device queries, memory, copies and memsets with their pointer
// checks, streams, function attributes, symbols, and the per-thread last-error state.
#include <string.h>

#include <vector>

#include "emu_test.h"

using emu_test::report;

__constant__ float kScale[4];

__global__ void scale_kernel(const float *in, float *out, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = in[i] * kScale[i % 4];
}

int main() {
    int count = -1, device = -1;
    EMU_CUDA_OK(cudaGetDeviceCount(&count));
    EMU_CUDA_OK(cudaGetDevice(&device));
    report("device_count_and_current", count >= 1 && device == 0, "count %d, current %d", count, device);

    cudaDeviceProp prop;
    EMU_CUDA_OK(cudaGetDeviceProperties(&prop, 0));
    int sms = 0, optin = 0, major = 0;
    EMU_CUDA_OK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    EMU_CUDA_OK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0));
    EMU_CUDA_OK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0));
#if defined(KN_CUDA_EMU)
    report("device_properties_sm90_like",
           prop.multiProcessorCount == 132 && prop.sharedMemPerBlockOptin == 227 * 1024 && prop.warpSize == 32 &&
               prop.major == 9 && prop.minor == 0 && prop.maxThreadsPerBlock == 1024 && sms == 132 && optin == 227 * 1024 && major == 9,
           "%s: %d SMs, %zu B opt-in smem, warp %d, sm_%d%d", prop.name, prop.multiProcessorCount, prop.sharedMemPerBlockOptin,
           prop.warpSize, prop.major, prop.minor);
#else
    report("device_properties_consistent", sms == prop.multiProcessorCount && major == prop.major, "%s", prop.name);
#endif

    // Errors are per thread: the last one is returned once, then cleared.
    const cudaError_t bad_device = cudaSetDevice(7);
    const cudaError_t first = cudaGetLastError(), second = cudaGetLastError();
    report("last_error_set_then_cleared", bad_device == cudaErrorInvalidDevice && first == cudaErrorInvalidDevice && second == cudaSuccess,
           "%s / %s / %s", cudaGetErrorName(bad_device), cudaGetErrorName(first), cudaGetErrorName(second));

    // Memory round trip through H2D, D2D, memset and D2H.
    const int n = 1000;
    std::vector<float> host(n), back(n);
    for (int i = 0; i < n; ++i) host[i] = 0.25f * (float)i - 17.0f;
    float *a = nullptr, *b = nullptr;
    EMU_CUDA_OK(cudaMalloc(&a, n * sizeof(float)));
    EMU_CUDA_OK(cudaMalloc(&b, n * sizeof(float)));
    EMU_CUDA_OK(cudaMemcpy(a, host.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    EMU_CUDA_OK(cudaMemcpy(b, a, n * sizeof(float), cudaMemcpyDeviceToDevice));
    EMU_CUDA_OK(cudaMemset(b + 10, 0, 5 * sizeof(float)));
    EMU_CUDA_OK(cudaMemcpy(back.data(), b, n * sizeof(float), cudaMemcpyDeviceToHost));
    int wrong = 0;
    for (int i = 0; i < n; ++i) wrong += back[i] != (i >= 10 && i < 15 ? 0.0f : host[i]);
    report("memcpy_h2d_d2d_memset_d2h", wrong == 0 && ((uintptr_t)a % 256) == 0, "%d of %d values wrong, base %p", wrong, n, (void *)a);

    // Pointer checks: a copy past the end, a host pointer freed as device memory, a wrong direction.
    const cudaError_t past_end = cudaMemcpy(a + n - 2, host.data(), 4 * sizeof(float), cudaMemcpyHostToDevice);
    cudaGetLastError();
    const cudaError_t free_host = cudaFree(host.data());
    cudaGetLastError();
    const cudaError_t direction = cudaMemcpy(a, b, 4, (cudaMemcpyKind)9);
    cudaGetLastError();
    const cudaError_t memset_host = cudaMemset(host.data(), 0, 4);
    cudaGetLastError();
    report("pointer_and_direction_checks",
           past_end == cudaErrorInvalidValue && free_host == cudaErrorInvalidDevicePointer &&
               direction == cudaErrorInvalidMemcpyDirection && memset_host == cudaErrorInvalidValue && cudaFree(nullptr) == cudaSuccess,
           "past end %s, free host %s, kind 9 %s, memset host %s", cudaGetErrorName(past_end), cudaGetErrorName(free_host),
           cudaGetErrorName(direction), cudaGetErrorName(memset_host));

    // A launch on a created stream with a __constant__ table, async copies, synchronize.
    const float scale[4] = {1.0f, -2.0f, 0.5f, 3.0f};
    EMU_CUDA_OK(cudaMemcpyToSymbol(kScale, scale, sizeof scale));
    cudaStream_t stream = nullptr;
    EMU_CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    EMU_CUDA_OK(cudaMemcpyAsync(a, host.data(), n * sizeof(float), cudaMemcpyHostToDevice, stream));
    KN_LAUNCH(scale_kernel, (n + 127) / 128, 128, 0, stream, a, b, n);
    EMU_CUDA_OK(cudaGetLastError());
    EMU_CUDA_OK(cudaMemsetAsync(b, 0, sizeof(float), stream));
    EMU_CUDA_OK(cudaMemcpyAsync(back.data(), b, n * sizeof(float), cudaMemcpyDeviceToHost, stream));
    EMU_CUDA_OK(cudaStreamSynchronize(stream));
    wrong = 0;
    for (int i = 0; i < n; ++i) wrong += back[i] != (i == 0 ? 0.0f : host[i] * scale[i % 4]);
    report("stream_launch_with_constant_memory", wrong == 0, "%d of %d values wrong", wrong, n);

    EMU_CUDA_OK(cudaStreamDestroy(stream));
    const cudaError_t destroy_again = cudaStreamDestroy(stream);
    cudaGetLastError();
    KN_LAUNCH(scale_kernel, 1, 32, 0, stream, a, b, n);
    const cudaError_t launch_dead_stream = cudaGetLastError();
    report("destroyed_stream_rejected", destroy_again == cudaErrorInvalidResourceHandle && launch_dead_stream == cudaErrorInvalidResourceHandle,
           "destroy again %s, launch %s", cudaGetErrorName(destroy_again), cudaGetErrorName(launch_dead_stream));

    const cudaError_t too_big = cudaFuncSetAttribute(scale_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 300 * 1024);
    cudaGetLastError();
    const cudaError_t fine = cudaFuncSetAttribute(scale_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 100 * 1024);
    report("func_set_attribute_range", too_big == cudaErrorInvalidValue && fine == cudaSuccess, "300 KiB %s, 100 KiB %s",
           cudaGetErrorName(too_big), cudaGetErrorName(fine));

#if defined(KN_CUDA_EMU)
    kn_emu_set_num_threads(3);
    const int three = kn_emu_get_num_threads();
    kn_emu_set_num_threads(0);
    report("num_threads_setter", three == 3 && kn_emu_get_num_threads() >= 1, "set 3 -> %d, reset -> %d", three, kn_emu_get_num_threads());
#endif
    EMU_CUDA_OK(cudaFree(a));
    EMU_CUDA_OK(cudaFree(b));
    const cudaError_t double_free = cudaFree(a);
    cudaGetLastError();
    report("double_free_rejected", double_free == cudaErrorInvalidDevicePointer, "%s", cudaGetErrorName(double_free));
    return emu_test::finish();
}
