// Stream capture and graph replay: a captured stream records launches (arguments by value), memsets
// and device copies in order without running them; the instantiated graph replays them, every time,
// on any stream; the capture rules (no legacy-stream capture, no nesting, no cudaMalloc on a
// thread-local capture's thread, no synchronizing a capturing stream) are errors, not crashes.
#include <vector>

#include "emu_test.h"

using emu_test::report;

__global__ void axpb_kernel(float *y, const float *x, float a, float b, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i] + b;
}

__global__ void count_kernel(int *counter) {
    if (threadIdx.x == 0 && blockIdx.x == 0) *counter += 1;
}

int main() {
    const int n = 300;
    std::vector<float> host(n), back(n);
    for (int i = 0; i < n; ++i) host[i] = 0.5f * (float)i - 3.0f;
    float *x = nullptr, *y = nullptr, *z = nullptr;
    int *counter = nullptr;
    EMU_CUDA_OK(cudaMalloc(&x, n * sizeof(float)));
    EMU_CUDA_OK(cudaMalloc(&y, n * sizeof(float)));
    EMU_CUDA_OK(cudaMalloc(&z, n * sizeof(float)));
    EMU_CUDA_OK(cudaMalloc(&counter, sizeof(int)));
    EMU_CUDA_OK(cudaMemcpy(x, host.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    EMU_CUDA_OK(cudaMemset(counter, 0, sizeof(int)));
    cudaStream_t s = nullptr, other = nullptr;
    EMU_CUDA_OK(cudaStreamCreate(&s));
    EMU_CUDA_OK(cudaStreamCreate(&other));

    // Capture: memset y, y = 2x + 1 (arguments are copies: changing `a` afterwards changes nothing),
    // z = y, z = 3z - 2 (in place), count.
    EMU_CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    EMU_CUDA_OK(cudaStreamIsCapturing(s, &status));
    float a = 2.0f;
    EMU_CUDA_OK(cudaMemsetAsync(y, 0, n * sizeof(float), s));
    KN_LAUNCH(axpb_kernel, dim3((n + 127) / 128), dim3(128), 0, s, y, x, a, 1.0f, n);
    a = 100.0f;
    EMU_CUDA_OK(cudaGetLastError());
    EMU_CUDA_OK(cudaMemcpyAsync(z, y, n * sizeof(float), cudaMemcpyDeviceToDevice, s));
    KN_LAUNCH(axpb_kernel, dim3((n + 127) / 128), dim3(128), 0, s, z, z, 3.0f, -2.0f, n);
    KN_LAUNCH(count_kernel, dim3(1), dim3(32), 0, s, counter);
    EMU_CUDA_OK(cudaGetLastError());
    cudaGraph_t graph = nullptr;
    EMU_CUDA_OK(cudaStreamEndCapture(s, &graph));
    int during = -1;  // nothing captured has run yet
    EMU_CUDA_OK(cudaMemcpy(&during, counter, sizeof(int), cudaMemcpyDeviceToHost));
    report("capture_records_without_running", status == cudaStreamCaptureStatusActive && during == 0 && graph != nullptr,
           "status %d, counter %d during capture", (int)status, during);
    size_t nodes = 0;
    EMU_CUDA_OK(cudaGraphGetNodes(graph, nullptr, &nodes));
    report("graph_node_count", nodes == 5, "%zu nodes (memset, launch, copy, launch, launch)", nodes);

    cudaGraphExec_t exec = nullptr;
    EMU_CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
    EMU_CUDA_OK(cudaGraphDestroy(graph));  // the executable graph keeps the recording
    int wrong = 0;
    for (int replay = 0; replay < 3; ++replay) {
        EMU_CUDA_OK(cudaMemset(z, 0xFF, n * sizeof(float)));
        EMU_CUDA_OK(cudaGraphLaunch(exec, replay == 2 ? other : s));
        EMU_CUDA_OK(cudaStreamSynchronize(s));
        EMU_CUDA_OK(cudaMemcpy(back.data(), z, n * sizeof(float), cudaMemcpyDeviceToHost));
        for (int i = 0; i < n; ++i) wrong += back[i] != 3.0f * (2.0f * host[i] + 1.0f) - 2.0f;
    }
    int replays = 0;
    EMU_CUDA_OK(cudaMemcpy(&replays, counter, sizeof(int), cudaMemcpyDeviceToHost));
    report("replay_is_faithful_and_repeatable", wrong == 0 && replays == 3, "%d wrong values, %d replays counted", wrong,
           replays);

    // The legacy stream cannot capture; captures do not nest; ending without a capture is refused.
    const cudaError_t legacy = cudaStreamBeginCapture(nullptr, cudaStreamCaptureModeThreadLocal);
    cudaGetLastError();
    EMU_CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    const cudaError_t nested = cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    cudaGetLastError();
    cudaGraph_t empty = nullptr;
    EMU_CUDA_OK(cudaStreamEndCapture(s, &empty));
    size_t empty_nodes = 7;
    EMU_CUDA_OK(cudaGraphGetNodes(empty, nullptr, &empty_nodes));
    EMU_CUDA_OK(cudaGraphDestroy(empty));
    cudaGraph_t none = nullptr;
    const cudaError_t unmatched = cudaStreamEndCapture(s, &none);
    cudaGetLastError();
    report("capture_misuse_refused",
           legacy != cudaSuccess && nested != cudaSuccess && unmatched != cudaSuccess && empty_nodes == 0 && none == nullptr,
           "legacy %s, nested %s, end without begin %s", cudaGetErrorName(legacy), cudaGetErrorName(nested),
           cudaGetErrorName(unmatched));

    // cudaMalloc on the capturing thread and synchronizing the capturing stream invalidate the capture.
    EMU_CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    void *during_capture = nullptr;
    const cudaError_t malloc_err = cudaMalloc(&during_capture, 64);
    cudaGetLastError();
    cudaGraph_t invalid = nullptr;
    const cudaError_t end_err = cudaStreamEndCapture(s, &invalid);
    cudaGetLastError();
    EMU_CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    const cudaError_t sync_err = cudaStreamSynchronize(s);
    cudaGetLastError();
    const cudaError_t end_err2 = cudaStreamEndCapture(s, &invalid);
    cudaGetLastError();
    report("unsafe_calls_invalidate_the_capture",
           malloc_err == cudaErrorStreamCaptureUnsupported && end_err == cudaErrorStreamCaptureInvalidated &&
               sync_err == cudaErrorStreamCaptureUnsupported && end_err2 == cudaErrorStreamCaptureInvalidated &&
               invalid == nullptr,
           "malloc %s, end %s, sync %s, end %s", cudaGetErrorName(malloc_err), cudaGetErrorName(end_err),
           cudaGetErrorName(sync_err), cudaGetErrorName(end_err2));

    // A relaxed capture lets the thread allocate; work on another (non-capturing) stream runs at once.
    EMU_CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
    void *relaxed = nullptr;
    const cudaError_t relaxed_malloc = cudaMalloc(&relaxed, 64);
    KN_LAUNCH(count_kernel, dim3(1), dim3(32), 0, other, counter);
    cudaGraph_t relaxed_graph = nullptr;
    EMU_CUDA_OK(cudaStreamEndCapture(s, &relaxed_graph));
    int now = 0;
    EMU_CUDA_OK(cudaMemcpy(&now, counter, sizeof(int), cudaMemcpyDeviceToHost));
    EMU_CUDA_OK(cudaGraphDestroy(relaxed_graph));
    if (relaxed) EMU_CUDA_OK(cudaFree(relaxed));
    report("relaxed_capture_and_other_streams", relaxed_malloc == cudaSuccess && now == 4, "malloc %s, counter %d",
           cudaGetErrorName(relaxed_malloc), now);

    EMU_CUDA_OK(cudaGraphExecDestroy(exec));
    EMU_CUDA_OK(cudaStreamDestroy(s));
    EMU_CUDA_OK(cudaStreamDestroy(other));
    EMU_CUDA_OK(cudaFree(x));
    EMU_CUDA_OK(cudaFree(y));
    EMU_CUDA_OK(cudaFree(z));
    EMU_CUDA_OK(cudaFree(counter));
    return emu_test::finish();
}
