// Types of the emulated CUDA runtime and the C entry points of libkinema_emu_runtime. The cuda*
// functions kernels and host code call are inline wrappers (runtime_api.h) over these kn_emu_*
// symbols, so an emulated module never binds to a real libcudart that happens to be loaded.
#pragma once

#include <stddef.h>
#include <stdint.h>

#define KN_EMU_API __attribute__((visibility("default")))

// Numeric values match CUDA's driver_types.h.
enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInitializationError = 3,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidSymbol = 13,
    cudaErrorInvalidDevicePointer = 17,
    cudaErrorInvalidMemcpyDirection = 21,
    cudaErrorInvalidDeviceFunction = 98,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorIllegalState = 401,
    cudaErrorNotReady = 600,
    cudaErrorIllegalAddress = 700,
    cudaErrorLaunchOutOfResources = 701,
    cudaErrorLaunchTimeout = 702,
    cudaErrorAssert = 710,
    cudaErrorIllegalInstruction = 715,
    cudaErrorLaunchFailure = 719,
    cudaErrorNotSupported = 801,
    cudaErrorStreamCaptureUnsupported = 900,
    cudaErrorStreamCaptureInvalidated = 901,
    cudaErrorStreamCaptureWrongThread = 908,
    cudaErrorUnknown = 999
};
typedef enum cudaError cudaError_t;

enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4
};

enum cudaFuncAttribute {
    cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
    cudaFuncAttributePreferredSharedMemoryCarveout = 9
};

enum cudaDeviceAttr {
    cudaDevAttrMaxThreadsPerBlock = 1,
    cudaDevAttrMaxSharedMemoryPerBlock = 8,
    cudaDevAttrWarpSize = 10,
    cudaDevAttrMultiProcessorCount = 16,
    cudaDevAttrL2CacheSize = 38,
    cudaDevAttrMaxThreadsPerMultiProcessor = 39,
    cudaDevAttrComputeCapabilityMajor = 75,
    cudaDevAttrComputeCapabilityMinor = 76,
    cudaDevAttrMaxSharedMemoryPerMultiprocessor = 81,
    cudaDevAttrMaxSharedMemoryPerBlockOptin = 97
};

typedef struct CUstream_st *cudaStream_t;
#define cudaStreamDefault 0x00
#define cudaStreamNonBlocking 0x01
#define cudaStreamLegacy ((cudaStream_t)0x1)
#define cudaStreamPerThread ((cudaStream_t)0x2)

// Stream capture and graphs. A capturing stream records launches, copies and memsets (in order)
// instead of running them; an instantiated graph replays the recording on a stream.
enum cudaStreamCaptureMode {
    cudaStreamCaptureModeGlobal = 0,
    cudaStreamCaptureModeThreadLocal = 1,
    cudaStreamCaptureModeRelaxed = 2
};
enum cudaStreamCaptureStatus {
    cudaStreamCaptureStatusNone = 0,
    cudaStreamCaptureStatusActive = 1,
    cudaStreamCaptureStatusInvalidated = 2
};
typedef struct CUgraph_st *cudaGraph_t;
typedef struct CUgraphExec_st *cudaGraphExec_t;
typedef struct CUgraphNode_st *cudaGraphNode_t;

// The fields host code reads, with CUDA's names; filled as an sm_90-class device.
struct cudaDeviceProp {
    char name[256];
    size_t totalGlobalMem;
    size_t sharedMemPerBlock;
    int regsPerBlock;
    int warpSize;
    int maxThreadsPerBlock;
    int maxThreadsDim[3];
    int maxGridSize[3];
    size_t totalConstMem;
    int major;
    int minor;
    int multiProcessorCount;
    int l2CacheSize;
    int maxThreadsPerMultiProcessor;
    size_t sharedMemPerMultiprocessor;
    int regsPerMultiprocessor;
    size_t sharedMemPerBlockOptin;
    int maxBlocksPerMultiProcessor;
    int concurrentKernels;
    int unifiedAddressing;
    int integrated;
};

// Everything a launch needs, built by kn_emu::launch in the kernel's own module.
struct kn_emu_launch_desc {
    const char *kernel_name;
    const void *kernel_id;  // the kernel's address: key of cudaFuncSetAttribute settings
    uint32_t grid[3];
    uint32_t block[3];
    size_t dynamic_smem_bytes;
    cudaStream_t stream;
    void (*run_thread)(const void *call);  // runs the kernel body for the calling fiber
    const void *call;                       // the captured kernel and arguments
    void *(*tls_anchor)(void);              // this OS thread's address of a TLS byte of the module
    // A stream capture keeps its own copy of call (clone_call) and frees it with free_call.
    void *(*clone_call)(const void *call);
    void (*free_call)(void *call);
};

// Kinds of warp collectives (kn_emu_warp_op).
enum kn_emu_warp_kind {
    KN_EMU_SHFL_IDX = 0,
    KN_EMU_SHFL_UP,
    KN_EMU_SHFL_DOWN,
    KN_EMU_SHFL_XOR,
    KN_EMU_BALLOT,
    KN_EMU_ANY,
    KN_EMU_ALL,
    KN_EMU_SYNCWARP,
    KN_EMU_REDUCE_ADD,
    KN_EMU_REDUCE_MIN_U,
    KN_EMU_REDUCE_MAX_U,
    KN_EMU_REDUCE_MIN_I,
    KN_EMU_REDUCE_MAX_I,
    KN_EMU_REDUCE_AND,
    KN_EMU_REDUCE_OR,
    KN_EMU_REDUCE_XOR,
    KN_EMU_MMA_M16N8K16,
    KN_EMU_WARP_KIND_COUNT
};

// Block barriers with a reduction of the predicate (__syncthreads_count/_and/_or).
enum kn_emu_barrier_kind { KN_EMU_BAR_PLAIN = 0, KN_EMU_BAR_COUNT, KN_EMU_BAR_AND, KN_EMU_BAR_OR };

#ifdef __cplusplus
extern "C" {
#endif

// ---- kernel side (called on fibers) ----
KN_EMU_API int kn_emu_barrier(int kind, int predicate, const char *site);
KN_EMU_API uint64_t kn_emu_warp_op(int kind, uint32_t mask, uint64_t value, int32_t param, int32_t width,
                                   const char *site);
// mma.m16n8k16 with f32 accumulation; type 0 = f16, 1 = bf16.
KN_EMU_API void kn_emu_mma_m16n8k16(int type, float *d, const uint32_t *a, const uint32_t *b, const float *c,
                                    const char *site);
KN_EMU_API uint32_t kn_emu_activemask(void);
KN_EMU_API void kn_emu_yield(void);
KN_EMU_API void kn_emu_trap(const char *site);

// ---- host side ----
KN_EMU_API void kn_emu_launch(const struct kn_emu_launch_desc *desc);
// Host threads that run the blocks of a launch, process-wide; n <= 0 means all cores (the default).
KN_EMU_API void kn_emu_set_num_threads(int n);
KN_EMU_API int kn_emu_get_num_threads(void);
// The calling thread's most recent error message ("" if none); kept until its next error.
KN_EMU_API const char *kn_emu_last_error_message(void);
KN_EMU_API void kn_emu_record_error(cudaError_t code, const char *message);

KN_EMU_API cudaError_t kn_emu_get_last_error(void);
KN_EMU_API cudaError_t kn_emu_peek_at_last_error(void);
KN_EMU_API const char *kn_emu_get_error_string(cudaError_t error);
KN_EMU_API const char *kn_emu_get_error_name(cudaError_t error);
KN_EMU_API cudaError_t kn_emu_get_device_count(int *count);
KN_EMU_API cudaError_t kn_emu_set_device(int device);
KN_EMU_API cudaError_t kn_emu_get_device(int *device);
KN_EMU_API cudaError_t kn_emu_get_device_properties(struct cudaDeviceProp *prop, int device);
KN_EMU_API cudaError_t kn_emu_device_get_attribute(int *value, enum cudaDeviceAttr attr, int device);
KN_EMU_API cudaError_t kn_emu_device_synchronize(void);
KN_EMU_API cudaError_t kn_emu_malloc(void **ptr, size_t bytes);
KN_EMU_API cudaError_t kn_emu_free(void *ptr);
KN_EMU_API cudaError_t kn_emu_malloc_host(void **ptr, size_t bytes);
KN_EMU_API cudaError_t kn_emu_free_host(void *ptr);
KN_EMU_API cudaError_t kn_emu_memcpy(void *dst, const void *src, size_t bytes, enum cudaMemcpyKind kind,
                                     cudaStream_t stream);
KN_EMU_API cudaError_t kn_emu_memset(void *dst, int value, size_t bytes, cudaStream_t stream);
KN_EMU_API cudaError_t kn_emu_stream_create(cudaStream_t *stream, unsigned int flags);
KN_EMU_API cudaError_t kn_emu_stream_destroy(cudaStream_t stream);
KN_EMU_API cudaError_t kn_emu_stream_synchronize(cudaStream_t stream);
KN_EMU_API cudaError_t kn_emu_func_set_attribute(const void *kernel, enum cudaFuncAttribute attr, int value);
KN_EMU_API cudaError_t kn_emu_stream_begin_capture(cudaStream_t stream, enum cudaStreamCaptureMode mode);
KN_EMU_API cudaError_t kn_emu_stream_end_capture(cudaStream_t stream, cudaGraph_t *graph);
KN_EMU_API cudaError_t kn_emu_stream_is_capturing(cudaStream_t stream, enum cudaStreamCaptureStatus *status);
KN_EMU_API cudaError_t kn_emu_graph_get_nodes(cudaGraph_t graph, cudaGraphNode_t *nodes, size_t *count);
KN_EMU_API cudaError_t kn_emu_graph_instantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags);
KN_EMU_API cudaError_t kn_emu_graph_launch(cudaGraphExec_t exec, cudaStream_t stream);
KN_EMU_API cudaError_t kn_emu_graph_exec_destroy(cudaGraphExec_t exec);
KN_EMU_API cudaError_t kn_emu_graph_destroy(cudaGraph_t graph);

#ifdef __cplusplus
}
#endif
