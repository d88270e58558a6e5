// cpu_backend.cpp - the cpu backend's table: host memory, synchronous streams, and the ops on the
// widest SIMD path this CPU supports.
#include "cpu_backend.h"

#include <cstdlib>
#include <cstring>

#include "cpu_ops.h"
#include "elementwise_ops.h"
#include "frame_attention.h"
#include "linear_ops.h"
#include "norm_ops.h"
#include "resample_ops.h"

namespace kinema::cpu {
namespace {

constexpr int64_t kAlignment = 256;

int32_t probe(int32_t *device_count) {
    *device_count = 1;
    return KN_OK;
}

int32_t host_malloc(const kn_exec *, int64_t bytes, void **out) {
    // aligned_alloc wants a size that is a multiple of the alignment; 0 bytes still gets its own block.
    const int64_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    void *p = std::aligned_alloc(kAlignment, size_t(rounded > 0 ? rounded : kAlignment));
    if (p == nullptr) {
        kn_set_error("kn_malloc: out of host memory allocating %lld bytes on the cpu backend", (long long)bytes);
        return KN_ERR_OUT_OF_MEMORY;
    }
    *out = p;
    return KN_OK;
}

int32_t host_free(const kn_exec *, void *ptr) {
    std::free(ptr);
    return KN_OK;
}

int32_t host_memcpy(const kn_exec *, void *dst, const void *src, int64_t bytes, int32_t) {
    if (bytes > 0) std::memmove(dst, src, size_t(bytes));  // overlapping device ranges stay well defined
    return KN_OK;
}

int32_t host_memset(const kn_exec *, void *dst, int32_t byte_value, int64_t bytes) {
    if (bytes > 0) std::memset(dst, byte_value, size_t(bytes));
    return KN_OK;
}

// Work runs synchronously on the calling thread, so a stream is only a distinct token.
char stream_token;

int32_t stream_create(const kn_exec *, void **out) {
    *out = &stream_token;
    return KN_OK;
}

int32_t stream_destroy(const kn_exec *, void *) { return KN_OK; }
int32_t stream_synchronize(const kn_exec *, void *) { return KN_OK; }

int32_t run_conv_spatial(const kn_exec *e, const kn_conv_spatial_params *p) {
    return conv_spatial(*e, *p, best_isa());
}
int32_t run_conv_temporal(const kn_exec *e, const kn_conv_temporal_params *p) {
    return conv_temporal(*e, *p, best_isa());
}
int32_t run_ddim_step(const kn_exec *e, const kn_ddim_step_params *p) { return ddim_step(*e, *p, best_isa()); }
int32_t run_group_norm(const kn_exec *e, const kn_group_norm_params *p) { return group_norm(*e, *p, best_isa()); }
int32_t run_layer_norm(const kn_exec *e, const kn_layer_norm_params *p) { return layer_norm(*e, *p, best_isa()); }
int32_t run_temporal_attention(const kn_exec *e, const kn_temporal_attention_params *p) {
    return temporal_attention(*e, *p, best_isa());
}
int32_t run_linear(const kn_exec *e, const kn_linear_params *p) { return linear(*e, *p, best_isa()); }
int32_t run_conv3d(const kn_exec *e, const kn_conv3d_params *p) { return conv3d(*e, *p, best_isa()); }
int32_t run_attention(const kn_exec *e, const kn_attention_params *p) { return attention(*e, *p, best_isa()); }
int32_t run_elementwise(const kn_exec *e, const kn_elementwise_params *p) { return elementwise(*e, *p, best_isa()); }
int32_t run_upsample_nearest(const kn_exec *e, const kn_upsample_nearest_params *p) { return upsample_nearest(*e, *p); }
int32_t run_patchify(const kn_exec *e, const kn_patch_params *p) { return patchify(*e, *p); }
int32_t run_unpatchify(const kn_exec *e, const kn_patch_params *p) { return unpatchify(*e, *p); }
int32_t run_alpha_blend(const kn_exec *e, const kn_alpha_blend_params *p) { return alpha_blend(*e, *p); }
int32_t run_timestep_embedding(const kn_exec *e, const kn_timestep_embedding_params *p) {
    return timestep_embedding(*e, *p);
}
int32_t run_concat(const kn_exec *e, const kn_concat_params *p) { return concat(*e, *p); }

// Filled by field name, so the table does not depend on the field order of kn_backend_ops (backend.h).
// A new op adds its line after the others; fields left unset stay NULL.
kn_backend_ops make_table() {
    kn_backend_ops t{};
    t.abi = KN_PLUGIN_ABI;
    t.name = "cpu";
    t.probe = probe;
    t.malloc = host_malloc;
    t.free = host_free;
    t.memcpy = host_memcpy;
    t.memset = host_memset;
    t.stream_create = stream_create;
    t.stream_destroy = stream_destroy;
    t.stream_synchronize = stream_synchronize;
    t.conv_spatial = run_conv_spatial;
    t.conv_temporal = run_conv_temporal;
    t.ddim_step = run_ddim_step;
    t.group_norm = run_group_norm;
    t.layer_norm = run_layer_norm;
    t.temporal_attention = run_temporal_attention;
    t.linear = run_linear;
    t.conv3d = run_conv3d;
    t.attention = run_attention;
    t.elementwise = run_elementwise;
    t.upsample_nearest = run_upsample_nearest;
    t.patchify = run_patchify;
    t.unpatchify = run_unpatchify;
    t.alpha_blend = run_alpha_blend;
    t.timestep_embedding = run_timestep_embedding;
    t.concat = run_concat;
    return t;
}

const kn_backend_ops table = make_table();

}  // namespace
}  // namespace kinema::cpu

extern "C" const kn_backend_ops *kn_cpu_backend(void) { return &kinema::cpu::table; }
