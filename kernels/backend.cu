// backend.cu - the host side of the cuda / cuda-emu plugin: kn_plugin_entry, device probe, memory and
// streams through the CUDA runtime API, and the op table that forwards to the kernels' entry points.
//
// The same file is built by nvcc (cudart linked statically, so the plugin loads where there is no
// libcudart and no driver; the probe then says why it cannot run) and by g++ against the emulation
// shim. Host state is plain globals: the emulated module may hold no thread_local variables.
#include "entries.cuh"

#include <atomic>
#include <stdarg.h>
#include <stdio.h>

namespace {

std::atomic<void (*)(const char *)> g_set_error{nullptr};

int32_t runtime_status(cudaError_t err) {
    switch (err) {
        case cudaSuccess: return KN_OK;
        case cudaErrorMemoryAllocation: return KN_ERR_OUT_OF_MEMORY;
#if !defined(KN_CUDA_EMU)  // the emulator has no driver to miss
        case cudaErrorInsufficientDriver:
#endif
        case cudaErrorNoDevice: return KN_ERR_UNAVAILABLE;
        case cudaErrorInvalidValue: return KN_ERR_INVALID_ARGUMENT;
        default: return KN_ERR_DEVICE;
    }
}

// Reports a failed runtime call as "<backend> <what>: <cudaErrorName>: <description>".
int32_t runtime_failure(const char *what, cudaError_t err) {
    kn_cuda_set_error(KN_CUDA_BACKEND_NAME " %s: %s: %s", what, cudaGetErrorName(err), cudaGetErrorString(err));
    return runtime_status(err);
}

// Binds the calling thread to the context's device (and, under emulation, its host thread count).
int32_t select_device(const kn_exec *e, const char *what) {
#if defined(KN_CUDA_EMU)
    kn_emu_set_num_threads(e->num_threads);
#endif
    const cudaError_t err = cudaSetDevice(e->device);
    return err == cudaSuccess ? KN_OK : runtime_failure(what, err);
}

cudaStream_t stream_of(const kn_exec *e) { return static_cast<cudaStream_t>(e->stream); }

int32_t probe(int32_t *device_count) {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    cudaGetLastError();  // the failure is reported here, not left for the next call
#if !defined(KN_CUDA_EMU)
    if (err == cudaErrorInsufficientDriver) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME
                          ": CUDA driver not found or older than the runtime (cudaErrorInsufficientDriver: %s)",
                          cudaGetErrorString(err));
        return KN_ERR_UNAVAILABLE;
    }
#endif
    if (err == cudaErrorNoDevice || (err == cudaSuccess && count == 0)) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME ": no CUDA device found (cudaErrorNoDevice)");
        return KN_ERR_UNAVAILABLE;
    }
    if (err != cudaSuccess) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME ": CUDA unavailable (%s: %s)", cudaGetErrorName(err),
                          cudaGetErrorString(err));
        return KN_ERR_UNAVAILABLE;
    }
    *device_count = count;
    return KN_OK;
}

int32_t device_malloc(const kn_exec *e, int64_t bytes, void **out) {
    int32_t st = select_device(e, "malloc");
    if (st) return st;
    // cudaMalloc(0) yields NULL; the ABI promises a unique pointer, so 0 bytes still takes one.
    const cudaError_t err = cudaMalloc(out, bytes > 0 ? static_cast<size_t>(bytes) : 1);
    if (err != cudaSuccess) {
        *out = nullptr;
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " malloc: %lld bytes failed: %s: %s", static_cast<long long>(bytes),
                          cudaGetErrorName(err), cudaGetErrorString(err));
        cudaGetLastError();
        return runtime_status(err);
    }
    return KN_OK;
}

int32_t device_free(const kn_exec *e, void *ptr) {
    int32_t st = select_device(e, "free");
    if (st) return st;
    const cudaError_t err = cudaFree(ptr);
    return err == cudaSuccess ? KN_OK : runtime_failure("free", err);
}

int32_t device_memcpy(const kn_exec *e, void *dst, const void *src, int64_t bytes, int32_t kind) {
    int32_t st = select_device(e, "memcpy");
    if (st) return st;
    cudaMemcpyKind k;
    switch (kind) {
        case KN_COPY_HOST_TO_DEVICE: k = cudaMemcpyHostToDevice; break;
        case KN_COPY_DEVICE_TO_HOST: k = cudaMemcpyDeviceToHost; break;
        case KN_COPY_DEVICE_TO_DEVICE: k = cudaMemcpyDeviceToDevice; break;
        default:
            kn_cuda_set_error(KN_CUDA_BACKEND_NAME " memcpy: kind is %d, expected 0 (host to device), "
                              "1 (device to host) or 2 (device to device)", kind);
            return KN_ERR_INVALID_ARGUMENT;
    }
    if (bytes == 0) return KN_OK;
    cudaError_t err = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), k, stream_of(e));
    // The ABI returns once host memory may be reused: wait whenever a host buffer takes part.
    if (err == cudaSuccess && k != cudaMemcpyDeviceToDevice) err = cudaStreamSynchronize(stream_of(e));
    return err == cudaSuccess ? KN_OK : runtime_failure("memcpy", err);
}

int32_t device_memset(const kn_exec *e, void *dst, int32_t byte_value, int64_t bytes) {
    int32_t st = select_device(e, "memset");
    if (st) return st;
    if (bytes == 0) return KN_OK;
    const cudaError_t err = cudaMemsetAsync(dst, byte_value, static_cast<size_t>(bytes), stream_of(e));
    return err == cudaSuccess ? KN_OK : runtime_failure("memset", err);
}

int32_t stream_create(const kn_exec *e, void **out) {
    int32_t st = select_device(e, "stream_create");
    if (st) return st;
    cudaStream_t s = nullptr;
    // A blocking stream: work on it stays ordered after work on the context's default (NULL) stream.
    const cudaError_t err = cudaStreamCreate(&s);
    if (err != cudaSuccess) return runtime_failure("stream_create", err);
    *out = s;
    return KN_OK;
}

int32_t stream_destroy(const kn_exec *e, void *stream) {
    int32_t st = select_device(e, "stream_destroy");
    if (st) return st;
    const cudaError_t err = cudaStreamDestroy(static_cast<cudaStream_t>(stream));
    return err == cudaSuccess ? KN_OK : runtime_failure("stream_destroy", err);
}

int32_t stream_synchronize(const kn_exec *e, void *stream) {
    int32_t st = select_device(e, "stream_synchronize");
    if (st) return st;
    const cudaError_t err = cudaStreamSynchronize(static_cast<cudaStream_t>(stream));
    return err == cudaSuccess ? KN_OK : runtime_failure("stream_synchronize", err);
}

int32_t op_conv_spatial(const kn_exec *e, const kn_conv_spatial_params *p) {
    const int32_t st = select_device(e, "conv_spatial");
    return st ? st : kn_cuda_conv_spatial(stream_of(e), p);
}

int32_t op_conv_temporal(const kn_exec *e, const kn_conv_temporal_params *p) {
    const int32_t st = select_device(e, "conv_temporal");
    return st ? st : kn_cuda_conv_temporal(stream_of(e), p);
}

int32_t op_ddim_step(const kn_exec *e, const kn_ddim_step_params *p) {
    const int32_t st = select_device(e, "ddim_step");
    return st ? st : kn_cuda_ddim_step(stream_of(e), p);
}

int32_t op_group_norm(const kn_exec *e, const kn_group_norm_params *p) {
    const int32_t st = select_device(e, "group_norm");
    return st ? st : kn_cuda_group_norm(stream_of(e), p);
}

int32_t op_layer_norm(const kn_exec *e, const kn_layer_norm_params *p) {
    const int32_t st = select_device(e, "layer_norm");
    return st ? st : kn_cuda_layer_norm(stream_of(e), p);
}

int32_t op_temporal_attention(const kn_exec *e, const kn_temporal_attention_params *p) {
    const int32_t st = select_device(e, "temporal_attention");
    return st ? st : kn_cuda_temporal_attention(stream_of(e), p);
}

int32_t op_linear(const kn_exec *e, const kn_linear_params *p) {
    const int32_t st = select_device(e, "linear");
    return st ? st : kn_cuda_linear(stream_of(e), p);
}

int32_t op_conv3d(const kn_exec *e, const kn_conv3d_params *p) {
    const int32_t st = select_device(e, "conv3d");
    return st ? st : kn_cuda_conv3d(stream_of(e), p);
}

int32_t op_attention(const kn_exec *e, const kn_attention_params *p) {
    const int32_t st = select_device(e, "attention");
    return st ? st : kn_cuda_attention(stream_of(e), p);
}

int32_t op_elementwise(const kn_exec *e, const kn_elementwise_params *p) {
    const int32_t st = select_device(e, "elementwise");
    return st ? st : kn_cuda_elementwise(stream_of(e), p);
}

int32_t op_upsample_nearest(const kn_exec *e, const kn_upsample_nearest_params *p) {
    const int32_t st = select_device(e, "upsample_nearest");
    return st ? st : kn_cuda_upsample_nearest(stream_of(e), p);
}

int32_t op_patchify(const kn_exec *e, const kn_patch_params *p) {
    const int32_t st = select_device(e, "patchify");
    return st ? st : kn_cuda_patchify(stream_of(e), p);
}

int32_t op_unpatchify(const kn_exec *e, const kn_patch_params *p) {
    const int32_t st = select_device(e, "unpatchify");
    return st ? st : kn_cuda_unpatchify(stream_of(e), p);
}

int32_t op_alpha_blend(const kn_exec *e, const kn_alpha_blend_params *p) {
    const int32_t st = select_device(e, "alpha_blend");
    return st ? st : kn_cuda_alpha_blend(stream_of(e), p);
}

int32_t op_timestep_embedding(const kn_exec *e, const kn_timestep_embedding_params *p) {
    const int32_t st = select_device(e, "timestep_embedding");
    return st ? st : kn_cuda_timestep_embedding(stream_of(e), p);
}

int32_t op_concat(const kn_exec *e, const kn_concat_params *p) {
    const int32_t st = select_device(e, "concat");
    return st ? st : kn_cuda_concat(stream_of(e), p);
}

// Graphs. Capture runs in thread-local mode: a cudaMalloc, cudaFree or synchronizing call made by the
// capturing thread fails (and invalidates the capture) instead of silently running once at capture
// time, while other threads that share the process (another context loading weights, say) keep
// allocating; global mode would fail their calls too, relaxed mode would let the capturing thread's
// unsafe calls through. No op entry allocates, frees or synchronizes: each only launches on the
// stream it is given (host copies, which wait, are refused by libkinema during a capture).
int32_t graph_capture_begin(const kn_exec *e) {
    int32_t st = select_device(e, "graph_capture_begin");
    if (st) return st;
    const cudaError_t err = cudaStreamBeginCapture(stream_of(e), cudaStreamCaptureModeThreadLocal);
    return err == cudaSuccess ? KN_OK : runtime_failure("graph_capture_begin", err);
}

int32_t graph_capture_end(const kn_exec *e, void **graph, int64_t *nodes) {
    *graph = nullptr;
    *nodes = 0;
    int32_t st = select_device(e, "graph_capture_end");
    cudaGraph_t captured = nullptr;
    const cudaError_t end = cudaStreamEndCapture(stream_of(e), &captured);  // ends the capture even after st
    if (st) {
        if (captured) cudaGraphDestroy(captured);
        return st;
    }
    if (end != cudaSuccess) return runtime_failure("graph_capture_end (cudaStreamEndCapture)", end);
    size_t count = 0;
    cudaError_t err = cudaGraphGetNodes(captured, nullptr, &count);
    cudaGraphExec_t exec = nullptr;
    if (err == cudaSuccess) err = cudaGraphInstantiate(&exec, captured, 0);
    cudaGraphDestroy(captured);  // the executable graph keeps what it needs
    if (err != cudaSuccess) return runtime_failure("graph_capture_end (cudaGraphInstantiate)", err);
    *graph = exec;
    *nodes = static_cast<int64_t>(count);
    return KN_OK;
}

int32_t graph_launch(const kn_exec *e, void *graph) {
    int32_t st = select_device(e, "graph_launch");
    if (st) return st;
    const cudaError_t err = cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph), stream_of(e));
    return err == cudaSuccess ? KN_OK : runtime_failure("graph_launch", err);
}

int32_t graph_destroy(const kn_exec *e, void *graph) {
    int32_t st = select_device(e, "graph_destroy");
    if (st) return st;
    const cudaError_t err = cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph));
    return err == cudaSuccess ? KN_OK : runtime_failure("graph_destroy", err);
}

// Filled by field name, so the table does not depend on the field order of kn_backend_ops (backend.h).
// A new op adds its line to the ops block below; fields left unset stay NULL.
kn_backend_ops make_ops() {
    kn_backend_ops ops{};
    ops.abi = KN_PLUGIN_ABI;
    ops.name = KN_CUDA_BACKEND_NAME;
    ops.probe = probe;
    ops.malloc = device_malloc;
    ops.free = device_free;
    ops.memcpy = device_memcpy;
    ops.memset = device_memset;
    ops.stream_create = stream_create;
    ops.stream_destroy = stream_destroy;
    ops.stream_synchronize = stream_synchronize;
    // ops
    ops.conv_spatial = op_conv_spatial;
    ops.conv_temporal = op_conv_temporal;
    ops.ddim_step = op_ddim_step;
    ops.temporal_attention = op_temporal_attention;
    ops.group_norm = op_group_norm;
    ops.layer_norm = op_layer_norm;
    ops.linear = op_linear;
    ops.conv3d = op_conv3d;
    ops.attention = op_attention;
    ops.elementwise = op_elementwise;
    ops.upsample_nearest = op_upsample_nearest;
    ops.patchify = op_patchify;
    ops.unpatchify = op_unpatchify;
    ops.alpha_blend = op_alpha_blend;
    ops.timestep_embedding = op_timestep_embedding;
    ops.concat = op_concat;
    // graphs
    ops.graph_capture_begin = graph_capture_begin;
    ops.graph_capture_end = graph_capture_end;
    ops.graph_launch = graph_launch;
    ops.graph_destroy = graph_destroy;
    return ops;
}

const kn_backend_ops kOps = make_ops();

}  // namespace

void kn_cuda_set_error(const char *fmt, ...) {
    char message[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    void (*sink)(const char *) = g_set_error.load();
    if (sink) sink(message);
}

int32_t kn_cuda_check_launch(const char *kernel_name) {
    const cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess) return KN_OK;
    kn_cuda_set_error(KN_CUDA_BACKEND_NAME ": launch of %s failed: %s: %s", kernel_name, cudaGetErrorName(err),
                      cudaGetErrorString(err));
    return KN_ERR_DEVICE;
}

extern "C" __attribute__((visibility("default"))) const kn_backend_ops *kn_plugin_entry(const kn_host_api *host) {
    if (host == nullptr) return nullptr;
    g_set_error.store(host->set_error);
    if (host->abi != KN_PLUGIN_ABI) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " plugin: host ABI is %d, expected %d", host->abi, KN_PLUGIN_ABI);
        return nullptr;
    }
    return &kOps;
}
