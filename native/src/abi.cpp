// abi.cpp - the public entry points of kinema.h: handles, memory, and op dispatch.
//
// Every entry point checks its arguments (validate.cpp for ops) before a backend sees them, and
// every handle is checked against the registry of live handles, so a stale or foreign pointer is an
// error status instead of a crash.
#include <omp.h>

#include <cstring>
#include <map>
#include <mutex>
#include <unordered_set>

#include "backend.h"
#include "errors.h"
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
};

struct kn_stream_s {
    kn_context ctx;
    void *handle;
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
    // Memory the caller did not free is released with its context.
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
    auto *stream = new (std::nothrow) kn_stream_s{ctx, handle};
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
    unregister_handle(stream);
    kn_exec e = exec_of(ctx, nullptr);
    int32_t status = ctx->ops->stream_destroy(&e, stream->handle);
    delete stream;
    return status;
}

KN_EXPORT int32_t kn_stream_synchronize(kn_context ctx, kn_stream stream) {
    kn_clear_error();
    if (!check_context("kn_stream_synchronize", ctx) || !check_stream("kn_stream_synchronize", ctx, stream))
        return KN_ERR_INVALID_ARGUMENT;
    kn_exec e = exec_of(ctx, stream);
    return ctx->ops->stream_synchronize(&e, e.stream);
}

KN_EXPORT int32_t kn_malloc(kn_context ctx, int64_t bytes, void **out) {
    kn_clear_error();
    if (!check_context("kn_malloc", ctx)) return KN_ERR_INVALID_ARGUMENT;
    if (out == nullptr) {
        kn_set_error("kn_malloc: argument 'out': expected a pointer, got NULL");
        return KN_ERR_INVALID_ARGUMENT;
    }
    *out = nullptr;
    if (bytes < 0) {
        kn_set_error("kn_malloc: argument 'bytes': expected >= 0, got %lld", (long long)bytes);
        return KN_ERR_INVALID_ARGUMENT;
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
    if (!check_context("kn_memcpy", ctx) || !check_stream("kn_memcpy", ctx, stream)) return KN_ERR_INVALID_ARGUMENT;
    if (bytes < 0) {
        kn_set_error("kn_memcpy: argument 'bytes': expected >= 0, got %lld", (long long)bytes);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (kind < KN_COPY_HOST_TO_DEVICE || kind > KN_COPY_DEVICE_TO_DEVICE) {
        kn_set_error("kn_memcpy: argument 'kind': expected 0..2 (enum kn_copy_kind), got %d", kind);
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
    if (!check_context("kn_memset", ctx) || !check_stream("kn_memset", ctx, stream)) return KN_ERR_INVALID_ARGUMENT;
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

// Op dispatch: validate, then hand the call to the context's backend.
#define KN_DEFINE_OP(name, params_type)                                                                  \
    KN_EXPORT int32_t kn_##name(kn_context ctx, kn_stream stream, const params_type *params) {          \
        kn_clear_error();                                                                                \
        if (!check_context("kn_" #name, ctx) || !check_stream("kn_" #name, ctx, stream))                 \
            return KN_ERR_INVALID_ARGUMENT;                                                              \
        int32_t status = kn_validate_##name(params);                                                     \
        if (status != KN_OK) return status;                                                              \
        if (ctx->ops->name == nullptr) { /* a backend that lacks the op: an error, not a crash */      \
            kn_set_error("kn_" #name ": not implemented by the %s backend", kn_backend_name(ctx->backend)); \
            return KN_ERR_UNSUPPORTED;                                                                   \
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
