// The CUDA runtime API subset host code uses, as inline forwards to the emulator runtime.
// Streams are synchronous: every call and launch has finished when it returns, except on a capturing
// stream, which records it for a graph instead (cudaStreamBeginCapture .. cudaGraphLaunch).
#pragma once

#include <string.h>

#include "runtime_abi.h"

static inline cudaError_t cudaGetLastError(void) { return kn_emu_get_last_error(); }
static inline cudaError_t cudaPeekAtLastError(void) { return kn_emu_peek_at_last_error(); }
// For the code of the calling thread's latest error this is the full message (kernel, block, sites).
static inline const char *cudaGetErrorString(cudaError_t e) { return kn_emu_get_error_string(e); }
static inline const char *cudaGetErrorName(cudaError_t e) { return kn_emu_get_error_name(e); }

static inline cudaError_t cudaGetDeviceCount(int *count) { return kn_emu_get_device_count(count); }
static inline cudaError_t cudaSetDevice(int device) { return kn_emu_set_device(device); }
static inline cudaError_t cudaGetDevice(int *device) { return kn_emu_get_device(device); }
static inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device) {
    return kn_emu_get_device_properties(prop, device);
}
static inline cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device) {
    return kn_emu_device_get_attribute(value, attr, device);
}
static inline cudaError_t cudaDeviceSynchronize(void) { return kn_emu_device_synchronize(); }
static inline cudaError_t cudaDeviceReset(void) { return cudaSuccess; }

static inline cudaError_t cudaMalloc(void **ptr, size_t bytes) { return kn_emu_malloc(ptr, bytes); }
template <typename T>
static inline cudaError_t cudaMalloc(T **ptr, size_t bytes) {
    return kn_emu_malloc(reinterpret_cast<void **>(ptr), bytes);
}
static inline cudaError_t cudaFree(void *ptr) { return kn_emu_free(ptr); }
static inline cudaError_t cudaMallocAsync(void **ptr, size_t bytes, cudaStream_t) { return kn_emu_malloc(ptr, bytes); }
template <typename T>
static inline cudaError_t cudaMallocAsync(T **ptr, size_t bytes, cudaStream_t) {
    return kn_emu_malloc(reinterpret_cast<void **>(ptr), bytes);
}
static inline cudaError_t cudaFreeAsync(void *ptr, cudaStream_t) { return kn_emu_free(ptr); }
static inline cudaError_t cudaMallocHost(void **ptr, size_t bytes) { return kn_emu_malloc_host(ptr, bytes); }
template <typename T>
static inline cudaError_t cudaMallocHost(T **ptr, size_t bytes) {
    return kn_emu_malloc_host(reinterpret_cast<void **>(ptr), bytes);
}
static inline cudaError_t cudaFreeHost(void *ptr) { return kn_emu_free_host(ptr); }

static inline cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    return kn_emu_memcpy(dst, src, bytes, kind, nullptr);
}
static inline cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                                          cudaStream_t stream = nullptr) {
    return kn_emu_memcpy(dst, src, bytes, kind, stream);
}
static inline cudaError_t cudaMemset(void *dst, int value, size_t bytes) {
    return kn_emu_memset(dst, value, bytes, nullptr);
}
static inline cudaError_t cudaMemsetAsync(void *dst, int value, size_t bytes, cudaStream_t stream = nullptr) {
    return kn_emu_memset(dst, value, bytes, stream);
}

// __constant__ and __device__ variables are plain globals here, so a symbol copy is a bounded memcpy.
template <typename T>
static inline cudaError_t cudaMemcpyToSymbol(T &symbol, const void *src, size_t bytes, size_t offset = 0,
                                             cudaMemcpyKind = cudaMemcpyHostToDevice) {
    if (offset > sizeof(T) || bytes > sizeof(T) - offset) {
        kn_emu_record_error(cudaErrorInvalidValue, "cudaMemcpyToSymbol: offset + bytes exceeds the symbol's size");
        return cudaErrorInvalidValue;
    }
    memcpy(reinterpret_cast<unsigned char *>(&symbol) + offset, src, bytes);
    return cudaSuccess;
}
template <typename T>
static inline cudaError_t cudaMemcpyFromSymbol(void *dst, const T &symbol, size_t bytes, size_t offset = 0,
                                               cudaMemcpyKind = cudaMemcpyDeviceToHost) {
    if (offset > sizeof(T) || bytes > sizeof(T) - offset) {
        kn_emu_record_error(cudaErrorInvalidValue, "cudaMemcpyFromSymbol: offset + bytes exceeds the symbol's size");
        return cudaErrorInvalidValue;
    }
    memcpy(dst, reinterpret_cast<const unsigned char *>(&symbol) + offset, bytes);
    return cudaSuccess;
}

static inline cudaError_t cudaStreamCreate(cudaStream_t *stream) { return kn_emu_stream_create(stream, 0); }
static inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned int flags) {
    return kn_emu_stream_create(stream, flags);
}
static inline cudaError_t cudaStreamDestroy(cudaStream_t stream) { return kn_emu_stream_destroy(stream); }
static inline cudaError_t cudaStreamSynchronize(cudaStream_t stream) { return kn_emu_stream_synchronize(stream); }
static inline cudaError_t cudaStreamQuery(cudaStream_t stream) { return kn_emu_stream_synchronize(stream); }

static inline cudaError_t cudaFuncSetAttribute(const void *kernel, cudaFuncAttribute attr, int value) {
    return kn_emu_func_set_attribute(kernel, attr, value);
}
template <typename... P>
static inline cudaError_t cudaFuncSetAttribute(void (*kernel)(P...), cudaFuncAttribute attr, int value) {
    return kn_emu_func_set_attribute(reinterpret_cast<const void *>(kernel), attr, value);
}

static inline cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
    return kn_emu_stream_begin_capture(stream, mode);
}
static inline cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph) {
    return kn_emu_stream_end_capture(stream, graph);
}
static inline cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus *status) {
    return kn_emu_stream_is_capturing(stream, status);
}
static inline cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t *nodes, size_t *count) {
    return kn_emu_graph_get_nodes(graph, nodes, count);
}
static inline cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags = 0) {
    return kn_emu_graph_instantiate(exec, graph, flags);
}
static inline cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
    return kn_emu_graph_launch(exec, stream);
}
static inline cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) { return kn_emu_graph_exec_destroy(exec); }
static inline cudaError_t cudaGraphDestroy(cudaGraph_t graph) { return kn_emu_graph_destroy(graph); }
