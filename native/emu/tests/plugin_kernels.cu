// Kernels of a module loaded with dlopen (like the cuda-emu plugin): its __shared__ variables live
// in dynamically allocated TLS, which the runtime must find and poison as well.
#include "common.cuh"

__global__ void plugin_neighbour_kernel(const float *in, float *out, int with_barrier) {
    __shared__ float staged[128];
    const int t = threadIdx.x, g = blockIdx.x * blockDim.x + t;
    staged[t] = in[g];
    if (with_barrier) __syncthreads();
    out[g] = staged[(t + 1) % blockDim.x];
}

// Runs the kernel on n = 128 * blocks values; returns the launch status.
extern "C" __attribute__((visibility("default"))) int plugin_run_neighbour(const float *host_in, float *host_out, int blocks,
                                                                          int with_barrier) {
    const size_t bytes = (size_t)blocks * 128 * sizeof(float);
    float *in = nullptr, *out = nullptr;
    if (cudaMalloc(&in, bytes) != cudaSuccess || cudaMalloc(&out, bytes) != cudaSuccess) return -1;
    cudaMemcpy(in, host_in, bytes, cudaMemcpyHostToDevice);
    KN_LAUNCH(plugin_neighbour_kernel, blocks, 128, 0, nullptr, in, out, with_barrier);
    const cudaError_t err = cudaGetLastError();
    cudaMemcpy(host_out, out, bytes, cudaMemcpyDeviceToHost);
    cudaFree(in);
    cudaFree(out);
    return (int)err;
}
