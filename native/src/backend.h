/*
 * backend.h - the internal table every backend fills in (not part of the public ABI).
 *
 * libkinema owns argument validation (validate.cpp) and error reporting; a backend only runs work
 * on arguments that are already known to be valid. The cpu backend is linked into libkinema. The
 * cuda and cuda-emu backends are plugins (libkinema_cuda.so, libkinema_cuda_emu.so) compiled from
 * the same kernels/ sources, one by nvcc and one by g++ against the emulation shim, and loaded with
 * dlopen on first use so that libkinema itself loads on machines without CUDA.
 */
#ifndef KINEMA_BACKEND_H
#define KINEMA_BACKEND_H

#include "kinema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Changes whenever kn_backend_ops changes shape: a plugin of another ABI is refused at load. */
#define KN_PLUGIN_ABI 2

/* Services libkinema lends to a plugin. */
typedef struct kn_host_api {
    int32_t abi;                              /* KN_PLUGIN_ABI */
    void (*set_error)(const char *message);   /* sets the calling thread's kn_last_error() */
} kn_host_api;

/* Where and how one call runs. */
typedef struct kn_exec {
    int32_t device;      /* device index of the context */
    int32_t num_threads; /* host threads to use (cpu kernels, emulated blocks); >= 1 */
    void *stream;        /* backend stream handle; NULL = default stream */
} kn_exec;

typedef struct kn_backend_ops {
    int32_t abi; /* KN_PLUGIN_ABI */
    const char *name;
    /* KN_OK and the number of devices, or KN_ERR_UNAVAILABLE with the reason set. */
    int32_t (*probe)(int32_t *device_count);
    int32_t (*malloc)(const kn_exec *e, int64_t bytes, void **out);
    int32_t (*free)(const kn_exec *e, void *ptr);
    int32_t (*memcpy)(const kn_exec *e, void *dst, const void *src, int64_t bytes, int32_t kind);
    int32_t (*memset)(const kn_exec *e, void *dst, int32_t byte_value, int64_t bytes);
    int32_t (*stream_create)(const kn_exec *e, void **out);
    int32_t (*stream_destroy)(const kn_exec *e, void *stream);
    int32_t (*stream_synchronize)(const kn_exec *e, void *stream);
    /* Ops: arguments already validated by libkinema. Return KN_ERR_UNSUPPORTED for a dtype the
     * backend lacks, KN_ERR_DEVICE when a launch fails (with the reason set). */
    int32_t (*conv_spatial)(const kn_exec *e, const kn_conv_spatial_params *p);
    int32_t (*conv_temporal)(const kn_exec *e, const kn_conv_temporal_params *p);
    int32_t (*ddim_step)(const kn_exec *e, const kn_ddim_step_params *p);
    int32_t (*temporal_attention)(const kn_exec *e, const kn_temporal_attention_params *p);
    int32_t (*group_norm)(const kn_exec *e, const kn_group_norm_params *p);
    int32_t (*layer_norm)(const kn_exec *e, const kn_layer_norm_params *p);
    int32_t (*linear)(const kn_exec *e, const kn_linear_params *p);
    int32_t (*conv3d)(const kn_exec *e, const kn_conv3d_params *p);
    int32_t (*attention)(const kn_exec *e, const kn_attention_params *p);
    int32_t (*elementwise)(const kn_exec *e, const kn_elementwise_params *p);
    int32_t (*upsample_nearest)(const kn_exec *e, const kn_upsample_nearest_params *p);
    int32_t (*patchify)(const kn_exec *e, const kn_patch_params *p);
    int32_t (*unpatchify)(const kn_exec *e, const kn_patch_params *p);
    int32_t (*alpha_blend)(const kn_exec *e, const kn_alpha_blend_params *p);
    int32_t (*timestep_embedding)(const kn_exec *e, const kn_timestep_embedding_params *p);
    int32_t (*concat)(const kn_exec *e, const kn_concat_params *p);
    /* Graphs (kinema.h): NULL where the backend cannot capture (kn_graph_* then report
     * KN_ERR_UNSUPPORTED). e->stream is a created stream; libkinema has checked the capture rules. */
    int32_t (*graph_capture_begin)(const kn_exec *e);
    /* Ends the capture (also on failure) and instantiates it: *graph, and *nodes (its item count). */
    int32_t (*graph_capture_end)(const kn_exec *e, void **graph, int64_t *nodes);
    int32_t (*graph_launch)(const kn_exec *e, void *graph);
    int32_t (*graph_destroy)(const kn_exec *e, void *graph);
} kn_backend_ops;

/* The one symbol a plugin exports. Returns NULL (after host->set_error) if it cannot initialise. */
typedef const kn_backend_ops *(*kn_plugin_entry_fn)(const kn_host_api *host);
#define KN_PLUGIN_ENTRY_SYMBOL "kn_plugin_entry"

#ifdef __cplusplus
}
#endif

#endif /* KINEMA_BACKEND_H */
