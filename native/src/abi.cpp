// abi.cpp - the public entry points of kinema.h: handles, memory, and op dispatch.
//
// Every entry point checks its arguments (validate.cpp for ops) before a backend sees them, and
// every handle is checked against the registry of live handles, so a stale or foreign pointer is an
// error status instead of a crash.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "backend.h"
#include "errors.h"
#include "faults.h"
#include "kinema.h"
#include "plugins.h"
#include "validate.h"

#define KN_EXPORT extern "C" __attribute__((visibility("default")))

struct kn_context_s {
    int32_t backend;
    int32_t device;
    int32_t num_threads;
    const kn_backend_ops *ops;
    std::mutex allocations_mutex;
    std::map<uintptr_t, int64_t> allocations;  // device pointer -> bytes, so kn_free can refuse strangers
    std::atomic<int> captures{0};               // streams of this context capturing now
    std::mutex graphs_mutex;
    std::unordered_set<kn_graph> graphs;        // destroyed with the context
};

struct kn_stream_s {
    kn_context ctx;
    void *handle;
    std::atomic<bool> capturing{false};
    std::thread::id capture_thread;  // the thread that began the capture (which must end it)
};

struct kn_graph_s {
    kn_context ctx;
    void *handle;
    int64_t nodes;
};

namespace {

std::mutex registry_mutex;
std::unordered_set<const void *> live_handles;  // contexts and streams

void register_handle(const void *h) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    live_handles.insert(h);
}

void unregister_handle(const void *h) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    live_handles.erase(h);
}

bool is_live(const void *h) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    return live_handles.count(h) != 0;
}

bool check_context(const char *fn, kn_context ctx) {
    if (ctx == nullptr || !is_live(ctx)) {
        kn_set_error("%s: argument 'ctx': expected a live context, got %s", fn,
                     ctx == nullptr ? "NULL" : "a destroyed or unknown handle");
        return false;
    }
    return true;
}

// NULL is the context's default stream; anything else must be a live stream of this context.
bool check_stream(const char *fn, kn_context ctx, kn_stream stream) {
    if (stream == nullptr) return true;
    if (!is_live(stream)) {
        kn_set_error("%s: argument 'stream': expected a live stream or NULL, got a destroyed or unknown handle", fn);
        return false;
    }
    if (stream->ctx != ctx) {
        kn_set_error("%s: argument 'stream': expected a stream of this context, got one of another context", fn);
        return false;
    }
    return true;
}

// Contexts with a capture open on the calling thread, once per capture.
thread_local std::vector<kn_context> t_capturing;

// True when the calling thread captures on a context of ctx's backend (its runtime forbids this
// thread's allocations then, whichever context makes them).
bool thread_captures_on(kn_context ctx) {
    for (kn_context c : t_capturing) {
        if (c->backend == ctx->backend) return true;
    }
    return false;
}

// While a stream of ctx captures, ctx's default stream is off limits: on CUDA the legacy default
// stream synchronizes with every blocking stream and would break the capture.
bool check_default_stream_free(const char *fn, kn_context ctx, kn_stream stream) {
    if (stream != nullptr || ctx->captures.load(std::memory_order_acquire) == 0) return true;
    kn_set_error("%s: argument 'stream': the default stream (NULL) cannot take work while a stream of this context "
                 "is capturing a graph; queue it on the capturing stream or after kn_graph_capture_end", fn);
    return false;
}

// kn_malloc / kn_free synchronize the device on CUDA, which a capture on this thread forbids.
bool check_no_capture_on_thread(const char *fn, kn_context ctx) {
    if (t_capturing.empty() || !thread_captures_on(ctx)) return true;
    kn_set_error("%s: this thread is capturing a graph on the %s backend; device memory cannot be allocated or "
                 "freed on it during a capture (allocate before kn_graph_capture_begin)", fn,
                 kn_backend_name(ctx->backend));
    return false;
}

bool check_graph(const char *fn, kn_context ctx, kn_graph graph) {
    if (graph == nullptr || !is_live(graph)) {
        kn_set_error("%s: argument 'graph': expected a live graph, got %s", fn,
                     graph == nullptr ? "NULL" : "a destroyed or unknown handle");
        return false;
    }
    if (graph->ctx != ctx) {
        kn_set_error("%s: argument 'graph': expected a graph of this context, got one of another context", fn);
        return false;
    }
    return true;
}

kn_exec exec_of(kn_context ctx, kn_stream stream) {
    return kn_exec{ctx->device, ctx->num_threads, stream ? stream->handle : nullptr};
}

}  // namespace

KN_EXPORT int32_t kn_abi_version(void) { return KN_ABI_VERSION; }

KN_EXPORT const char *kn_last_error(void) { return kn_get_error(); }

KN_EXPORT const char *kn_backend_name(int32_t backend) {
    switch (backend) {
        case KN_BACKEND_CPU: return "cpu";
        case KN_BACKEND_CUDA: return "cuda";
        case KN_BACKEND_CUDA_EMU: return "cuda-emu";
        default: return nullptr;
    }
}

KN_EXPORT int32_t kn_backend_probe(int32_t backend, int32_t *device_count) {
    kn_clear_error();
    if (device_count == nullptr) {
        kn_set_error("kn_backend_probe: argument 'device_count': expected a pointer, got NULL");
        return KN_ERR_INVALID_ARGUMENT;
    }
    *device_count = 0;
    const kn_backend_ops *ops = kn_backend_table(backend);
    if (ops == nullptr) return backend < 0 || backend >= KN_BACKEND_COUNT ? KN_ERR_INVALID_ARGUMENT : KN_ERR_UNAVAILABLE;
    return ops->probe(device_count);
}

KN_EXPORT int32_t kn_context_create(int32_t backend, int32_t device, kn_context *out) {
    kn_clear_error();
    if (out == nullptr) {
        kn_set_error("kn_context_create: argument 'out': expected a pointer, got NULL");
        return KN_ERR_INVALID_ARGUMENT;
    }
    *out = nullptr;
    int32_t devices = 0;
    int32_t status = kn_backend_probe(backend, &devices);
    if (status != KN_OK) return status;
    if (device < 0 || device >= devices) {
        kn_set_error("kn_context_create: argument 'device': expected 0..%d for backend %s, got %d", devices - 1,
                     kn_backend_name(backend), device);
        return KN_ERR_INVALID_ARGUMENT;
    }
    auto *ctx = new (std::nothrow) kn_context_s();
    if (ctx == nullptr) {
        kn_set_error("kn_context_create: out of host memory");
        return KN_ERR_OUT_OF_MEMORY;
    }
    ctx->backend = backend;
    ctx->device = device;
    ctx->num_threads = omp_get_num_procs();
    ctx->ops = kn_backend_table(backend);
    register_handle(ctx);
    *out = ctx;
    return KN_OK;
}

KN_EXPORT int32_t kn_context_destroy(kn_context ctx) {
    kn_clear_error();
    if (!check_context("kn_context_destroy", ctx)) return KN_ERR_INVALID_ARGUMENT;
    unregister_handle(ctx);
    kn_exec e = exec_of(ctx, nullptr);
    // Graphs and memory the caller did not free are released with their context.
    for (kn_graph graph : ctx->graphs) {
        unregister_handle(graph);
        ctx->ops->graph_destroy(&e, graph->handle);
        delete graph;
    }
    for (auto &[ptr, bytes] : ctx->allocations) ctx->ops->free(&e, reinterpret_cast<void *>(ptr));
    delete ctx;
    return KN_OK;
}

KN_EXPORT int32_t kn_context_set_num_threads(kn_context ctx, int32_t num_threads) {
    kn_clear_error();
    if (!check_context("kn_context_set_num_threads", ctx)) return KN_ERR_INVALID_ARGUMENT;
    if (num_threads < 0 || num_threads > 4096) {
        kn_set_error("kn_context_set_num_threads: argument 'num_threads': expected 0..4096 (0 = all cores), got %d",
                     num_threads);
        return KN_ERR_INVALID_ARGUMENT;
    }
    ctx->num_threads = num_threads == 0 ? omp_get_num_procs() : num_threads;
    return KN_OK;
}

KN_EXPORT int32_t kn_stream_create(kn_context ctx, kn_stream *out) {
    kn_clear_error();
    if (!check_context("kn_stream_create", ctx)) return KN_ERR_INVALID_ARGUMENT;
    if (out == nullptr) {
        kn_set_error("kn_stream_create: argument 'out': expected a pointer, got NULL");
        return KN_ERR_INVALID_ARGUMENT;
    }
    *out = nullptr;
    kn_exec e = exec_of(ctx, nullptr);
    void *handle = nullptr;
    int32_t status = ctx->ops->stream_create(&e, &handle);
    if (status != KN_OK) return status;
    auto *stream = new (std::nothrow) kn_stream_s{ctx, handle, {false}, std::thread::id()};
    if (stream == nullptr) {
        ctx->ops->stream_destroy(&e, handle);
        kn_set_error("kn_stream_create: out of host memory");
        return KN_ERR_OUT_OF_MEMORY;
    }
    register_handle(stream);
    *out = stream;
    return KN_OK;
}

KN_EXPORT int32_t kn_stream_destroy(kn_context ctx, kn_stream stream) {
    kn_clear_error();
    if (!check_context("kn_stream_destroy", ctx)) return KN_ERR_INVALID_ARGUMENT;
    if (stream == nullptr) {
        kn_set_error("kn_stream_destroy: argument 'stream': expected a stream, got NULL");
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_stream("kn_stream_destroy", ctx, stream)) return KN_ERR_INVALID_ARGUMENT;
    if (stream->capturing.load()) {
        kn_set_error("kn_stream_destroy: argument 'stream': the stream is capturing a graph; end the capture first");
        return KN_ERR_INVALID_ARGUMENT;
    }
    unregister_handle(stream);
    kn_exec e = exec_of(ctx, nullptr);
    int32_t status = ctx->ops->stream_destroy(&e, stream->handle);
    delete stream;
    return status;
}

KN_EXPORT int32_t kn_stream_synchronize(kn_context ctx, kn_stream stream) {
    kn_clear_error();
    if (!check_context("kn_stream_synchronize", ctx) || !check_stream("kn_stream_synchronize", ctx, stream) ||
        !check_default_stream_free("kn_stream_synchronize", ctx, stream))
        return KN_ERR_INVALID_ARGUMENT;
    if (stream != nullptr && stream->capturing.load()) {
        kn_set_error("kn_stream_synchronize: argument 'stream': the stream is capturing a graph; its work runs "
                     "when the graph is launched");
        return KN_ERR_INVALID_ARGUMENT;
    }
    kn_exec e = exec_of(ctx, stream);
    return ctx->ops->stream_synchronize(&e, e.stream);
}

KN_EXPORT int32_t kn_malloc(kn_context ctx, int64_t bytes, void **out) {
    kn_clear_error();
    if (!check_context("kn_malloc", ctx) || !check_no_capture_on_thread("kn_malloc", ctx)) return KN_ERR_INVALID_ARGUMENT;
    if (out == nullptr) {
        kn_set_error("kn_malloc: argument 'out': expected a pointer, got NULL");
        return KN_ERR_INVALID_ARGUMENT;
    }
    *out = nullptr;
    if (bytes < 0) {
        kn_set_error("kn_malloc: argument 'bytes': expected >= 0, got %lld", (long long)bytes);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (kn_fault_fires(KN_FAULT_MALLOC)) {
        kn_set_error("kn_malloc: injected fault: allocating %lld bytes on the %s backend failed", (long long)bytes,
                     kn_backend_name(ctx->backend));
        return KN_ERR_OUT_OF_MEMORY;
    }
    kn_exec e = exec_of(ctx, nullptr);
    void *ptr = nullptr;
    int32_t status = ctx->ops->malloc(&e, bytes, &ptr);
    if (status != KN_OK) return status;
    {
        std::lock_guard<std::mutex> lock(ctx->allocations_mutex);
        ctx->allocations[reinterpret_cast<uintptr_t>(ptr)] = bytes;
    }
    *out = ptr;
    return KN_OK;
}

KN_EXPORT int32_t kn_free(kn_context ctx, void *ptr) {
    kn_clear_error();
    if (!check_context("kn_free", ctx)) return KN_ERR_INVALID_ARGUMENT;
    if (ptr == nullptr) return KN_OK;  // like free(NULL)
    if (!check_no_capture_on_thread("kn_free", ctx)) return KN_ERR_INVALID_ARGUMENT;
    {
        std::lock_guard<std::mutex> lock(ctx->allocations_mutex);
        if (ctx->allocations.erase(reinterpret_cast<uintptr_t>(ptr)) == 0) {
            kn_set_error("kn_free: argument 'ptr': expected a live allocation of this context, got %p", ptr);
            return KN_ERR_INVALID_ARGUMENT;
        }
    }
    kn_exec e = exec_of(ctx, nullptr);
    return ctx->ops->free(&e, ptr);
}

KN_EXPORT int32_t kn_memcpy(kn_context ctx, void *dst, const void *src, int64_t bytes, int32_t kind,
                            kn_stream stream) {
    kn_clear_error();
    if (!check_context("kn_memcpy", ctx) || !check_stream("kn_memcpy", ctx, stream) ||
        !check_default_stream_free("kn_memcpy", ctx, stream))
        return KN_ERR_INVALID_ARGUMENT;
    if (bytes < 0) {
        kn_set_error("kn_memcpy: argument 'bytes': expected >= 0, got %lld", (long long)bytes);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (kind < KN_COPY_HOST_TO_DEVICE || kind > KN_COPY_DEVICE_TO_DEVICE) {
        kn_set_error("kn_memcpy: argument 'kind': expected 0..2 (enum kn_copy_kind), got %d", kind);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (kind != KN_COPY_DEVICE_TO_DEVICE && stream != nullptr && stream->capturing.load()) {
        kn_set_error("kn_memcpy: argument 'kind': a capturing stream records device-to-device copies only, got a "
                     "host copy (it returns once host memory may be reused; copy before or after the capture)");
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (bytes == 0) return KN_OK;
    if (dst == nullptr || src == nullptr) {
        kn_set_error("kn_memcpy: argument '%s': expected a pointer, got NULL", dst == nullptr ? "dst" : "src");
        return KN_ERR_INVALID_ARGUMENT;
    }
    kn_exec e = exec_of(ctx, stream);
    return ctx->ops->memcpy(&e, dst, src, bytes, kind);
}

KN_EXPORT int32_t kn_memset(kn_context ctx, void *dst, int32_t byte_value, int64_t bytes, kn_stream stream) {
    kn_clear_error();
    if (!check_context("kn_memset", ctx) || !check_stream("kn_memset", ctx, stream) ||
        !check_default_stream_free("kn_memset", ctx, stream))
        return KN_ERR_INVALID_ARGUMENT;
    if (bytes < 0) {
        kn_set_error("kn_memset: argument 'bytes': expected >= 0, got %lld", (long long)bytes);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (bytes == 0) return KN_OK;
    if (dst == nullptr) {
        kn_set_error("kn_memset: argument 'dst': expected a pointer, got NULL");
        return KN_ERR_INVALID_ARGUMENT;
    }
    kn_exec e = exec_of(ctx, stream);
    return ctx->ops->memset(&e, dst, byte_value & 0xff, bytes);
}

// ---- graphs ----------------------------------------------------------------------------------

namespace {

// The checks every kn_graph_* entry shares: a live context whose backend captures.
bool check_graph_backend(const char *fn, kn_context ctx, int32_t &status) {
    status = KN_ERR_INVALID_ARGUMENT;
    if (!check_context(fn, ctx)) return false;
    if (ctx->ops->graph_capture_begin == nullptr) {
        kn_set_error("%s: the %s backend does not capture graphs (its calls run synchronously on the host; "
                     "replay the calls themselves)", fn, kn_backend_name(ctx->backend));
        status = KN_ERR_UNSUPPORTED;
        return false;
    }
    return true;
}

// A created, live stream of ctx (the default stream cannot capture).
bool check_capture_stream(const char *fn, kn_context ctx, kn_stream stream) {
    if (stream == nullptr) {
        kn_set_error("%s: argument 'stream': expected a stream from kn_stream_create, got NULL (the default stream "
                     "cannot be captured)", fn);
        return false;
    }
    return check_stream(fn, ctx, stream);
}

}  // namespace

KN_EXPORT int32_t kn_graph_capture_begin(kn_context ctx, kn_stream stream) {
    kn_clear_error();
    int32_t status;
    if (!check_graph_backend("kn_graph_capture_begin", ctx, status)) return status;
    if (!check_capture_stream("kn_graph_capture_begin", ctx, stream)) return KN_ERR_INVALID_ARGUMENT;
    if (stream->capturing.load()) {
        kn_set_error("kn_graph_capture_begin: argument 'stream': the stream is already capturing a graph "
                     "(captures do not nest)");
        return KN_ERR_INVALID_ARGUMENT;
    }
    kn_exec e = exec_of(ctx, stream);
    status = ctx->ops->graph_capture_begin(&e);
    if (status != KN_OK) return status;
    stream->capture_thread = std::this_thread::get_id();
    stream->capturing.store(true);
    ctx->captures.fetch_add(1, std::memory_order_acq_rel);
    t_capturing.push_back(ctx);
    return KN_OK;
}

KN_EXPORT int32_t kn_graph_capture_end(kn_context ctx, kn_stream stream, kn_graph *out) {
    kn_clear_error();
    int32_t status;
    if (!check_graph_backend("kn_graph_capture_end", ctx, status)) return status;
    if (out == nullptr) {
        kn_set_error("kn_graph_capture_end: argument 'out': expected a pointer, got NULL");
        return KN_ERR_INVALID_ARGUMENT;
    }
    *out = nullptr;
    if (!check_capture_stream("kn_graph_capture_end", ctx, stream)) return KN_ERR_INVALID_ARGUMENT;
    if (!stream->capturing.load()) {
        kn_set_error("kn_graph_capture_end: argument 'stream': the stream is not capturing a graph "
                     "(no kn_graph_capture_begin, or the capture has ended)");
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (stream->capture_thread != std::this_thread::get_id()) {
        kn_set_error("kn_graph_capture_end: the capture must be ended on the thread that began it");
        return KN_ERR_INVALID_ARGUMENT;
    }
    stream->capturing.store(false);
    ctx->captures.fetch_sub(1, std::memory_order_acq_rel);
    t_capturing.erase(std::find(t_capturing.begin(), t_capturing.end(), ctx));
    kn_exec e = exec_of(ctx, stream);
    void *handle = nullptr;
    int64_t nodes = 0;
    status = ctx->ops->graph_capture_end(&e, &handle, &nodes);
    if (status != KN_OK) return status;
    auto *graph = new (std::nothrow) kn_graph_s{ctx, handle, nodes};
    if (graph == nullptr) {
        ctx->ops->graph_destroy(&e, handle);
        kn_set_error("kn_graph_capture_end: out of host memory");
        return KN_ERR_OUT_OF_MEMORY;
    }
    {
        std::lock_guard<std::mutex> lock(ctx->graphs_mutex);
        ctx->graphs.insert(graph);
    }
    register_handle(graph);
    *out = graph;
    return KN_OK;
}

KN_EXPORT int32_t kn_graph_launch(kn_context ctx, kn_graph graph, kn_stream stream) {
    kn_clear_error();
    int32_t status;
    if (!check_graph_backend("kn_graph_launch", ctx, status)) return status;
    if (!check_graph("kn_graph_launch", ctx, graph) || !check_stream("kn_graph_launch", ctx, stream) ||
        !check_default_stream_free("kn_graph_launch", ctx, stream))
        return KN_ERR_INVALID_ARGUMENT;
    if (stream != nullptr && stream->capturing.load()) {
        kn_set_error("kn_graph_launch: argument 'stream': the stream is capturing a graph; a graph cannot be "
                     "launched into a capture");
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (kn_fault_fires(KN_FAULT_LAUNCH)) {
        kn_set_error("kn_graph_launch: injected fault: the launch failed on the %s backend", kn_backend_name(ctx->backend));
        return KN_ERR_DEVICE;
    }
    kn_exec e = exec_of(ctx, stream);
    return ctx->ops->graph_launch(&e, graph->handle);
}

KN_EXPORT int32_t kn_graph_node_count(kn_context ctx, kn_graph graph, int64_t *out) {
    kn_clear_error();
    int32_t status;
    if (!check_graph_backend("kn_graph_node_count", ctx, status)) return status;
    if (out == nullptr) {
        kn_set_error("kn_graph_node_count: argument 'out': expected a pointer, got NULL");
        return KN_ERR_INVALID_ARGUMENT;
    }
    *out = 0;
    if (!check_graph("kn_graph_node_count", ctx, graph)) return KN_ERR_INVALID_ARGUMENT;
    *out = graph->nodes;
    return KN_OK;
}

KN_EXPORT int32_t kn_graph_destroy(kn_context ctx, kn_graph graph) {
    kn_clear_error();
    int32_t status;
    if (!check_graph_backend("kn_graph_destroy", ctx, status)) return status;
    if (!check_graph("kn_graph_destroy", ctx, graph)) return KN_ERR_INVALID_ARGUMENT;
    unregister_handle(graph);
    {
        std::lock_guard<std::mutex> lock(ctx->graphs_mutex);
        ctx->graphs.erase(graph);
    }
    kn_exec e = exec_of(ctx, nullptr);
    status = ctx->ops->graph_destroy(&e, graph->handle);
    delete graph;
    return status;
}

// Op dispatch: validate, then hand the call to the context's backend.
#define KN_DEFINE_OP(name, params_type)                                                                  \
    KN_EXPORT int32_t kn_##name(kn_context ctx, kn_stream stream, const params_type *params) {          \
        kn_clear_error();                                                                                \
        if (!check_context("kn_" #name, ctx) || !check_stream("kn_" #name, ctx, stream) ||               \
            !check_default_stream_free("kn_" #name, ctx, stream))                                        \
            return KN_ERR_INVALID_ARGUMENT;                                                              \
        int32_t status = kn_validate_##name(params);                                                     \
        if (status != KN_OK) return status;                                                              \
        if (ctx->ops->name == nullptr) { /* a backend that lacks the op: an error, not a crash */      \
            kn_set_error("kn_" #name ": not implemented by the %s backend", kn_backend_name(ctx->backend)); \
            return KN_ERR_UNSUPPORTED;                                                                   \
        }                                                                                                \
        if (kn_fault_fires(KN_FAULT_LAUNCH)) {                                                           \
            kn_set_error("kn_" #name ": injected fault: the launch failed on the %s backend",               \
                         kn_backend_name(ctx->backend));                                                 \
            return KN_ERR_DEVICE;                                                                        \
        }                                                                                                \
        kn_exec e = exec_of(ctx, stream);                                                                \
        return ctx->ops->name(&e, params);                                                               \
    }

KN_DEFINE_OP(conv_spatial, kn_conv_spatial_params)
KN_DEFINE_OP(conv_temporal, kn_conv_temporal_params)
KN_DEFINE_OP(ddim_step, kn_ddim_step_params)
KN_DEFINE_OP(group_norm, kn_group_norm_params)
KN_DEFINE_OP(layer_norm, kn_layer_norm_params)
KN_DEFINE_OP(temporal_attention, kn_temporal_attention_params)
KN_DEFINE_OP(linear, kn_linear_params)
KN_DEFINE_OP(conv3d, kn_conv3d_params)
KN_DEFINE_OP(attention, kn_attention_params)
KN_DEFINE_OP(elementwise, kn_elementwise_params)
KN_DEFINE_OP(upsample_nearest, kn_upsample_nearest_params)
KN_DEFINE_OP(patchify, kn_patch_params)
KN_DEFINE_OP(unpatchify, kn_patch_params)
KN_DEFINE_OP(alpha_blend, kn_alpha_blend_params)
KN_DEFINE_OP(timestep_embedding, kn_timestep_embedding_params)
KN_DEFINE_OP(concat, kn_concat_params)
