// The emulated device: one sm_90-class GPU whose memory is host memory. Allocations are tracked so
// that frees and copies are checked against them like the CUDA runtime checks device pointers.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "runtime_internal.h"

namespace kn_emu::rt {

namespace {
std::mutex g_lock;
std::map<uintptr_t, size_t> g_allocations;  // base -> bytes
std::set<uintptr_t> g_host_allocations;
std::set<cudaStream_t> g_streams;
std::map<const void *, int> g_max_dynamic_smem;

cudaError_t fail(cudaError_t code, const std::string &message) {
    record_error(code, message);
    return code;
}

// True if [p, p + bytes) lies inside one device allocation. Caller holds g_lock.
bool inside_allocation(const void *p, size_t bytes) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    auto it = g_allocations.upper_bound(a);
    if (it == g_allocations.begin()) return false;
    --it;
    return a >= it->first && bytes <= it->second && a - it->first <= it->second - bytes;
}

std::string pointer_text(const void *p) {
    char text[64];
    snprintf(text, sizeof text, "%p", p);
    return text;
}
}  // namespace

cudaError_t memcpy_now(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    if (bytes == 0) return cudaSuccess;
    if (dst == nullptr || src == nullptr) return fail(cudaErrorInvalidValue, "cudaMemcpy: dst or src is NULL for a copy of " + std::to_string(bytes) + " bytes");
    {
        std::lock_guard<std::mutex> guard(g_lock);
        const bool dst_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
        const bool src_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
        if (dst_device && !inside_allocation(dst, bytes)) {
            record_error(cudaErrorInvalidValue, "cudaMemcpy: destination [" + pointer_text(dst) + ", +" + std::to_string(bytes) + ") is not inside one device allocation");
            return cudaErrorInvalidValue;
        }
        if (src_device && !inside_allocation(src, bytes)) {
            record_error(cudaErrorInvalidValue, "cudaMemcpy: source [" + pointer_text(src) + ", +" + std::to_string(bytes) + ") is not inside one device allocation");
            return cudaErrorInvalidValue;
        }
    }
    memmove(dst, src, bytes);
    return cudaSuccess;
}

cudaError_t memset_now(void *dst, int value, size_t bytes) {
    if (bytes == 0) return cudaSuccess;
    {
        std::lock_guard<std::mutex> guard(g_lock);
        if (!inside_allocation(dst, bytes)) {
            record_error(cudaErrorInvalidValue, "cudaMemset: [" + pointer_text(dst) + ", +" + std::to_string(bytes) + ") is not inside one device allocation");
            return cudaErrorInvalidValue;
        }
    }
    memset(dst, value, bytes);
    return cudaSuccess;
}

bool is_valid_stream(cudaStream_t stream) {
    if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread) return true;
    std::lock_guard<std::mutex> guard(g_lock);
    return g_streams.count(stream) != 0;
}

int max_dynamic_smem_attribute(const void *kernel) {
    std::lock_guard<std::mutex> guard(g_lock);
    auto it = g_max_dynamic_smem.find(kernel);
    return it == g_max_dynamic_smem.end() ? 0 : it->second;
}

}  // namespace kn_emu::rt

using namespace kn_emu::rt;

extern "C" cudaError_t kn_emu_get_device_count(int *count) {
    if (count == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDeviceCount: count is NULL");
    *count = 1;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_set_device(int device) {
    if (device != 0) return fail(cudaErrorInvalidDevice, "cudaSetDevice: device " + std::to_string(device) + " does not exist; the emulator has device 0 only");
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_get_device(int *device) {
    if (device == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDevice: device is NULL");
    *device = 0;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_get_device_properties(cudaDeviceProp *prop, int device) {
    if (prop == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDeviceProperties: prop is NULL");
    if (device != 0) return fail(cudaErrorInvalidDevice, "cudaGetDeviceProperties: device " + std::to_string(device) + " does not exist");
    memset(prop, 0, sizeof *prop);
    snprintf(prop->name, sizeof prop->name, "Kinema CUDA emulator (sm_90-class, %d host threads)", kn_emu_get_num_threads());
    const long pages = sysconf(_SC_PHYS_PAGES), page_bytes = sysconf(_SC_PAGE_SIZE);
    prop->totalGlobalMem = pages > 0 && page_bytes > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page_bytes) : 0;
    prop->sharedMemPerBlock = 48 * 1024;
    prop->regsPerBlock = 65536;
    prop->warpSize = 32;
    prop->maxThreadsPerBlock = 1024;
    prop->maxThreadsDim[0] = 1024, prop->maxThreadsDim[1] = 1024, prop->maxThreadsDim[2] = 64;
    prop->maxGridSize[0] = 2147483647, prop->maxGridSize[1] = 65535, prop->maxGridSize[2] = 65535;
    prop->totalConstMem = 64 * 1024;
    prop->major = 9;
    prop->minor = 0;
    prop->multiProcessorCount = 132;
    prop->l2CacheSize = 50 * 1024 * 1024;
    prop->maxThreadsPerMultiProcessor = 2048;
    prop->sharedMemPerMultiprocessor = 228 * 1024;
    prop->regsPerMultiprocessor = 65536;
    prop->sharedMemPerBlockOptin = 227 * 1024;
    prop->maxBlocksPerMultiProcessor = 32;
    prop->concurrentKernels = 1;
    prop->unifiedAddressing = 1;
    prop->integrated = 0;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_device_get_attribute(int *value, cudaDeviceAttr attr, int device) {
    if (value == nullptr) return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: value is NULL");
    cudaDeviceProp p;
    const cudaError_t e = kn_emu_get_device_properties(&p, device);
    if (e != cudaSuccess) return e;
    switch (attr) {
        case cudaDevAttrMaxThreadsPerBlock: *value = p.maxThreadsPerBlock; break;
        case cudaDevAttrMaxSharedMemoryPerBlock: *value = static_cast<int>(p.sharedMemPerBlock); break;
        case cudaDevAttrWarpSize: *value = p.warpSize; break;
        case cudaDevAttrMultiProcessorCount: *value = p.multiProcessorCount; break;
        case cudaDevAttrL2CacheSize: *value = p.l2CacheSize; break;
        case cudaDevAttrMaxThreadsPerMultiProcessor: *value = p.maxThreadsPerMultiProcessor; break;
        case cudaDevAttrComputeCapabilityMajor: *value = p.major; break;
        case cudaDevAttrComputeCapabilityMinor: *value = p.minor; break;
        case cudaDevAttrMaxSharedMemoryPerMultiprocessor: *value = static_cast<int>(p.sharedMemPerMultiprocessor); break;
        case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = static_cast<int>(p.sharedMemPerBlockOptin); break;
        default: return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute " + std::to_string(static_cast<int>(attr)) + " is not emulated");
    }
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_device_synchronize(void) { return cudaSuccess; }

extern "C" cudaError_t kn_emu_malloc(void **ptr, size_t bytes) {
    if (ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaMalloc: devPtr is NULL");
    *ptr = nullptr;
    if (const cudaError_t unsafe = check_capture_safe_call("cudaMalloc")) return unsafe;
    if (bytes == 0) return cudaSuccess;
    const size_t rounded = (bytes + 255) & ~size_t(255);
    if (rounded < bytes) return fail(cudaErrorMemoryAllocation, "cudaMalloc: " + std::to_string(bytes) + " bytes is too large");
    void *p = aligned_alloc(256, rounded);
    if (p == nullptr) return fail(cudaErrorMemoryAllocation, "cudaMalloc: could not allocate " + std::to_string(bytes) + " bytes");
    std::lock_guard<std::mutex> guard(g_lock);
    g_allocations[reinterpret_cast<uintptr_t>(p)] = bytes;
    *ptr = p;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_free(void *ptr) {
    if (ptr == nullptr) return cudaSuccess;
    if (const cudaError_t unsafe = check_capture_safe_call("cudaFree")) return unsafe;
    {
        std::lock_guard<std::mutex> guard(g_lock);
        auto it = g_allocations.find(reinterpret_cast<uintptr_t>(ptr));
        if (it == g_allocations.end()) {
            record_error(cudaErrorInvalidDevicePointer, "cudaFree: " + pointer_text(ptr) + " is not the start of a live cudaMalloc allocation");
            return cudaErrorInvalidDevicePointer;
        }
        g_allocations.erase(it);
    }
    free(ptr);
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_malloc_host(void **ptr, size_t bytes) {
    if (ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaMallocHost: ptr is NULL");
    void *p = aligned_alloc(256, ((bytes > 0 ? bytes : 1) + 255) & ~size_t(255));
    if (p == nullptr) return fail(cudaErrorMemoryAllocation, "cudaMallocHost: could not allocate " + std::to_string(bytes) + " bytes");
    std::lock_guard<std::mutex> guard(g_lock);
    g_host_allocations.insert(reinterpret_cast<uintptr_t>(p));
    *ptr = p;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_free_host(void *ptr) {
    if (ptr == nullptr) return cudaSuccess;
    {
        std::lock_guard<std::mutex> guard(g_lock);
        if (g_host_allocations.erase(reinterpret_cast<uintptr_t>(ptr)) == 0) {
            record_error(cudaErrorInvalidValue, "cudaFreeHost: " + pointer_text(ptr) + " was not allocated by cudaMallocHost");
            return cudaErrorInvalidValue;
        }
    }
    free(ptr);
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_memcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
    if (static_cast<int>(kind) < 0 || static_cast<int>(kind) > 4) {
        return fail(cudaErrorInvalidMemcpyDirection, "cudaMemcpy: kind " + std::to_string(static_cast<int>(kind)) + " is not a cudaMemcpyKind (0..4)");
    }
    if (!is_valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaMemcpyAsync: the stream is not a live stream");
    cudaError_t captured = cudaSuccess;
    if (capture_memcpy(dst, src, bytes, kind, stream, captured)) return captured;
    return memcpy_now(dst, src, bytes, kind);
}

extern "C" cudaError_t kn_emu_memset(void *dst, int value, size_t bytes, cudaStream_t stream) {
    if (!is_valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaMemsetAsync: the stream is not a live stream");
    cudaError_t captured = cudaSuccess;
    if (capture_memset(dst, value, bytes, stream, captured)) return captured;
    return memset_now(dst, value, bytes);
}

extern "C" cudaError_t kn_emu_stream_create(cudaStream_t *stream, unsigned int flags) {
    if (stream == nullptr) return fail(cudaErrorInvalidValue, "cudaStreamCreate: pStream is NULL");
    if (flags > cudaStreamNonBlocking) return fail(cudaErrorInvalidValue, "cudaStreamCreateWithFlags: flags " + std::to_string(flags) + " are not cudaStreamDefault (0) or cudaStreamNonBlocking (1)");
    auto *s = reinterpret_cast<cudaStream_t>(new char(0));
    std::lock_guard<std::mutex> guard(g_lock);
    g_streams.insert(s);
    *stream = s;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_stream_destroy(cudaStream_t stream) {
    {
        std::lock_guard<std::mutex> guard(g_lock);
        if (stream == nullptr || g_streams.erase(stream) == 0) {
            record_error(cudaErrorInvalidResourceHandle, "cudaStreamDestroy: " + pointer_text(stream) + " is not a live stream");
            return cudaErrorInvalidResourceHandle;
        }
    }
    forget_capture(stream);
    delete reinterpret_cast<char *>(stream);
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_stream_synchronize(cudaStream_t stream) {
    if (!is_valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaStreamSynchronize: " + pointer_text(stream) + " is not a live stream");
    return check_not_capturing(stream, "cudaStreamSynchronize");  // work on an emulated stream has finished before its call returned
}

extern "C" cudaError_t kn_emu_func_set_attribute(const void *kernel, cudaFuncAttribute attr, int value) {
    if (kernel == nullptr) return fail(cudaErrorInvalidDeviceFunction, "cudaFuncSetAttribute: func is NULL");
    if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize) {
        if (value < 0 || value > 227 * 1024) {
            return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: MaxDynamicSharedMemorySize " + std::to_string(value) + " is outside [0, 232448]");
        }
        std::lock_guard<std::mutex> guard(g_lock);
        g_max_dynamic_smem[kernel] = value;
        return cudaSuccess;
    }
    if (attr == cudaFuncAttributePreferredSharedMemoryCarveout) {
        if (value < -1 || value > 100) return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: PreferredSharedMemoryCarveout " + std::to_string(value) + " is outside [-1, 100]");
        return cudaSuccess;
    }
    return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: attribute " + std::to_string(static_cast<int>(attr)) + " is not emulated");
}
