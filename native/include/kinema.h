/*
 * kinema.h - the C ABI of libkinema.
 *
 * One ABI, three implementations behind it: the `cpu` backend (in libkinema itself) and the `cuda`
 * and `cuda-emu` backends (plugins built from the same kernels/ sources, loaded on first use).
 * This header is jextract's input: keep it plain C, fixed-width types, no macros in signatures.
 *
 * Conventions
 *  - Every function that can fail returns a kn_status (as int32_t); KN_OK is 0. On failure the calling
 *    thread's kn_last_error() names the function, the argument and the expected vs. actual value.
 *  - Tensors are described by kn_tensor: a data pointer valid on the context's device, a dtype, a rank
 *    and int64 shapes and strides (strides in elements). An optional tensor is absent when data is NULL.
 *  - Video activations are channels-last [B, T, H, W, C]; weights keep PyTorch's layout (see OPS.md).
 *  - Op entry points validate every argument before any kernel runs; a bad argument is an error
 *    status, never a crash.
 */
#ifndef KINEMA_H
#define KINEMA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KN_ABI_VERSION 1
#define KN_MAX_RANK 8

/* Status codes returned by every fallible function. */
enum kn_status_code {
    KN_OK = 0,
    KN_ERR_INVALID_ARGUMENT = 1, /* bad shape, dtype, stride, attribute, aliasing or NULL pointer */
    KN_ERR_UNSUPPORTED = 2,      /* valid request the backend does not implement (e.g. a dtype) */
    KN_ERR_UNAVAILABLE = 3,      /* backend, plugin, driver or device missing */
    KN_ERR_OUT_OF_MEMORY = 4,
    KN_ERR_DEVICE = 5,           /* kernel launch or device runtime failure */
    KN_ERR_INTERNAL = 6
};

/* Backends. */
enum kn_backend_kind {
    KN_BACKEND_CPU = 0,
    KN_BACKEND_CUDA = 1,
    KN_BACKEND_CUDA_EMU = 2,
    KN_BACKEND_COUNT = 3
};

/* Element types. f16/bf16 are storage types; arithmetic accumulates in f32. */
enum kn_dtype {
    KN_DTYPE_F32 = 0,
    KN_DTYPE_F16 = 1,
    KN_DTYPE_BF16 = 2
};

/* Directions for kn_memcpy. On the cpu backend device memory is host memory. */
enum kn_copy_kind {
    KN_COPY_HOST_TO_DEVICE = 0,
    KN_COPY_DEVICE_TO_HOST = 1,
    KN_COPY_DEVICE_TO_DEVICE = 2
};

/* What a denoiser predicts (ddim_step). */
enum kn_prediction {
    KN_PREDICTION_EPS = 0,
    KN_PREDICTION_V = 1,
    KN_PREDICTION_X0 = 2
};

typedef struct kn_context_s *kn_context; /* a backend bound to one device */
typedef struct kn_stream_s *kn_stream;   /* an ordered queue of work; NULL = the context's default */
typedef struct kn_graph_s *kn_graph;     /* work captured from a stream, replayable with one call */

/* A strided view of device memory. data == NULL marks an absent optional tensor. */
typedef struct kn_tensor {
    void *data;
    int32_t dtype; /* enum kn_dtype */
    int32_t rank;  /* 0..KN_MAX_RANK */
    int64_t shape[KN_MAX_RANK];
    int64_t strides[KN_MAX_RANK]; /* in elements */
} kn_tensor;

/* ---- library, errors, backends ------------------------------------------------------------ */

/* KN_ABI_VERSION of the loaded library; callers refuse a library whose version differs. */
int32_t kn_abi_version(void);

/* The calling thread's last error message; "" when none. Valid until the thread's next kn_ call. */
const char *kn_last_error(void);

/* "cpu", "cuda", "cuda-emu"; NULL for an unknown kind. */
const char *kn_backend_name(int32_t backend);

/* KN_OK and the device count when the backend can run here; KN_ERR_UNAVAILABLE otherwise, with
 * kn_last_error() saying what is missing (plugin file, CUDA driver, device). */
int32_t kn_backend_probe(int32_t backend, int32_t *device_count);

/* ---- contexts and streams ------------------------------------------------------------------ */

int32_t kn_context_create(int32_t backend, int32_t device, kn_context *out);
int32_t kn_context_destroy(kn_context ctx);

/* Host threads the context may use (cpu kernels, cuda-emu blocks); 0 = all cores. */
int32_t kn_context_set_num_threads(kn_context ctx, int32_t num_threads);

int32_t kn_stream_create(kn_context ctx, kn_stream *out);
int32_t kn_stream_destroy(kn_context ctx, kn_stream stream);
int32_t kn_stream_synchronize(kn_context ctx, kn_stream stream);

/* ---- device memory ------------------------------------------------------------------------- */

/* Allocates bytes (>= 0) of device memory, 256-byte aligned. 0 bytes gives a unique non-NULL pointer. */
int32_t kn_malloc(kn_context ctx, int64_t bytes, void **out);
int32_t kn_free(kn_context ctx, void *ptr);
/* Copies bytes between host and device memory (enum kn_copy_kind), ordered on stream; the call
 * returns once host memory may be reused (a host destination holds the data). */
int32_t kn_memcpy(kn_context ctx, void *dst, const void *src, int64_t bytes, int32_t kind, kn_stream stream);
int32_t kn_memset(kn_context ctx, void *dst, int32_t byte_value, int64_t bytes, kn_stream stream);

/* ---- graphs: capture a stream's work once, replay it ------------------------------------------ */

/* Between kn_graph_capture_begin and kn_graph_capture_end, the op calls, kn_memset calls and
 * device-to-device kn_memcpy calls queued on stream are recorded instead of run (arguments are
 * validated as usual; the recording keeps each launch's arguments by value: tensor addresses,
 * shapes, attributes). kn_graph_launch then replays the recorded work in order on a stream of the
 * context, with one call; the memory the recorded calls use must stay allocated while the graph lives.
 * `cuda` captures a CUDA graph (thread-local capture mode), `cuda-emu` records the same launch list
 * and replays it, `cpu` refuses with KN_ERR_UNSUPPORTED (its calls run synchronously on the host).
 * Rules, each an error with a message rather than a crash:
 *  - stream must be a stream of ctx from kn_stream_create (the default stream cannot capture), not
 *    already capturing; the capture is ended on the thread that began it;
 *  - while a stream of ctx captures: no work on ctx's default stream (on CUDA it would join the
 *    capture), no host copies and no kn_stream_synchronize on the capturing stream, no kn_malloc /
 *    kn_free on the capturing thread (they synchronize the device), no kn_graph_launch on it, and the
 *    stream cannot be destroyed;
 *  - kn_graph_capture_end ends the capture even when it fails (an op of the capture failed to
 *    launch, say); *out is then NULL.
 * Graphs are live handles like streams: a destroyed, unknown or other context's graph is an error. */
int32_t kn_graph_capture_begin(kn_context ctx, kn_stream stream);
int32_t kn_graph_capture_end(kn_context ctx, kn_stream stream, kn_graph *out);
/* Queues the graph's work on stream (NULL = the default stream); asynchronous on cuda. */
int32_t kn_graph_launch(kn_context ctx, kn_graph graph, kn_stream stream);
/* Items in the graph: kernel launches, memsets and copies. */
int32_t kn_graph_node_count(kn_context ctx, kn_graph graph, int64_t *out);
int32_t kn_graph_destroy(kn_context ctx, kn_graph graph);

/* ---- ops (semantics: shared/OPS.md) -------------------------------------------------------- */

/* conv_spatial: the 1xkxk convolution, k in {1, 3}, padding k/2.
 * x[B,T,H,W,Ci], w[Co,Ci,1,k,k], b[Co] optional, residual[B,T,H',W',Co] optional, y[B,T,H',W',Co],
 * H' = (H + 2*(k/2) - k)/stride + 1. residual may be y itself (in-place accumulate); y may not overlap
 * x, w or b. */
typedef struct kn_conv_spatial_params {
    kn_tensor x;
    kn_tensor w;
    kn_tensor b;
    kn_tensor residual;
    kn_tensor y;
    int32_t stride; /* 1 or 2 */
    int32_t reserved0;
} kn_conv_spatial_params;

int32_t kn_conv_spatial(kn_context ctx, kn_stream stream, const kn_conv_spatial_params *params);

/* conv_temporal: the 3x1x1 convolution with zero padding in time.
 * x[B,T,H,W,Ci], w[Co,Ci,3,1,1], b[Co] optional, residual[B,T,H,W,Co] optional, y[B,T,H,W,Co]. */
typedef struct kn_conv_temporal_params {
    kn_tensor x;
    kn_tensor w;
    kn_tensor b;
    kn_tensor residual;
    kn_tensor y;
} kn_conv_temporal_params;

int32_t kn_conv_temporal(kn_context ctx, kn_stream stream, const kn_conv_temporal_params *params);

/* ddim_step: guidance + DDIM / v-prediction update (OPS.md). x, out_c, out_u, noise, y, x0 share one
 * shape; out_u, noise and x0 are optional. y may be x itself (in-place update). */
typedef struct kn_ddim_step_params {
    kn_tensor x;
    kn_tensor out_c;
    kn_tensor out_u;
    kn_tensor noise;
    kn_tensor y;
    kn_tensor x0;
    double alpha_t;
    double sigma_t;
    double alpha_s;
    double sigma_s;
    double guidance;
    double eta;
    double clip_x0;     /* 0 = off */
    int32_t prediction; /* enum kn_prediction */
    int32_t reserved0;
} kn_ddim_step_params;

int32_t kn_ddim_step(kn_context ctx, kn_stream stream, const kn_ddim_step_params *params);

/* group_norm: GroupNorm over channels-last video, optionally per frame, with optional fused SiLU.
 * x[B,T,H,W,C], gamma[C], beta[C], y[B,T,H,W,C]; groups divides C. Statistics over (T,H,W,C/groups),
 * or over (H,W,C/groups) of each frame when per_frame. y may be x itself (in place); y may not
 * otherwise overlap x, gamma or beta. */
typedef struct kn_group_norm_params {
    kn_tensor x;
    kn_tensor gamma;
    kn_tensor beta;
    kn_tensor y;
    double eps;        /* > 0 */
    int32_t groups;    /* >= 1, divides C */
    int32_t per_frame; /* 0 or 1 */
    int32_t silu;      /* 0 or 1 */
    int32_t reserved0;
} kn_group_norm_params;

int32_t kn_group_norm(kn_context ctx, kn_stream stream, const kn_group_norm_params *params);

/* layer_norm: LayerNorm over the last dim with optional DiT adaLN modulation.
 * x[B,...,C] (rank >= 2), gamma[C] and beta[C] optional, shift[B,C] and scale[B,C] optional,
 * y shaped as x: y = LN(x)*gamma + beta, then y = y*(1 + scale[b]) + shift[b] (b = index along dim 0).
 * y may be x itself (in place); y may not otherwise overlap any input. */
typedef struct kn_layer_norm_params {
    kn_tensor x;
    kn_tensor gamma;
    kn_tensor beta;
    kn_tensor shift;
    kn_tensor scale;
    kn_tensor y;
    double eps; /* > 0 */
} kn_layer_norm_params;

int32_t kn_layer_norm(kn_context ctx, kn_stream stream, const kn_layer_norm_params *params);
/* temporal_attention: softmax attention along time at every spatial position (OPS.md).
 * q, k, v, y [B,T,H,W,heads*D] channels-last (no permute); rel_bias[heads, 2*Tmax-1] optional (needs
 * Tmax >= T). s_ij = q_i.k_j*scale + rel_bias[head, j-i+Tmax-1]; window > 0 keeps |i-j| <= window,
 * causal keeps j <= i; y_i = sum_j softmax_j(s_ij) v_j. y may not overlap q, k, v or rel_bias. */
typedef struct kn_temporal_attention_params {
    kn_tensor q;
    kn_tensor k;
    kn_tensor v;
    kn_tensor rel_bias;
    kn_tensor y;
    double scale;   /* callers pass D**-0.5 for the usual scaling */
    int32_t heads;  /* >= 1, divides the channel count */
    int32_t window; /* 0 = all frames, else |i-j| <= window */
    int32_t causal; /* 0 or 1 */
    int32_t Tmax;   /* >= T; sets rel_bias's length */
} kn_temporal_attention_params;
int32_t kn_temporal_attention(kn_context ctx, kn_stream stream, const kn_temporal_attention_params *params);

/* Activations of kn_linear's epilogue (OPS.md linear). */
enum kn_activation {
    KN_ACT_NONE = 0,
    KN_ACT_GELU = 1,      /* erf form */
    KN_ACT_GELU_TANH = 2, /* tanh approximation */
    KN_ACT_SILU = 3,
    KN_ACT_GEGLU = 4      /* a, g = h.chunk(2, -1); h = a * gelu(g) (erf form); N' = N/2 */
};

/* linear: GEMM with fused epilogue. x[..., K] (rank >= 2, B = x.shape[0]), w[N,K], b[N] optional,
 * gate[B,N'] optional, residual[..., N'] optional, y[..., N'] (N' = N/2 for geglu, else N).
 * h = x @ w.T + b, then act (geglu pairs column j with j+N'), y = h * gate[b], y += residual.
 * residual may be y itself (in-place accumulate); y may not overlap x, w, b or gate. */
typedef struct kn_linear_params {
    kn_tensor x;
    kn_tensor w;
    kn_tensor b;
    kn_tensor residual;
    kn_tensor gate;
    kn_tensor y;
    int32_t act; /* enum kn_activation */
    int32_t reserved0;
} kn_linear_params;

int32_t kn_linear(kn_context ctx, kn_stream stream, const kn_linear_params *params);

/* conv3d: general odd kernel, stride 1, "same" zero padding (kt/2, kh/2, kw/2).
 * x[B,T,H,W,Ci], w[Co,Ci,kt,kh,kw] (each odd), b[Co] optional, residual[B,T,H,W,Co] optional,
 * y[B,T,H,W,Co]. residual may be y itself; y may not overlap x, w or b. */
typedef struct kn_conv3d_params {
    kn_tensor x;
    kn_tensor w;
    kn_tensor b;
    kn_tensor residual;
    kn_tensor y;
} kn_conv3d_params;

int32_t kn_conv3d(kn_context ctx, kn_stream stream, const kn_conv3d_params *params);

/* Which key/value frames frame t of q attends to (OPS.md attention). */
enum kn_kv_frames {
    KN_KV_FRAMES_SAME = 0,          /* frame t (Tk = T) */
    KN_KV_FRAMES_FIRST = 1,         /* frame 0 */
    KN_KV_FRAMES_SPARSE_CAUSAL = 2, /* frames 0 and max(t-1, 0) concatenated along N (Tk = T) */
    KN_KV_FRAMES_ALL = 3,           /* all Tk frames concatenated along N */
    KN_KV_FRAMES_CONTEXT = 4        /* k, v are [B, L, heads, D], shared by every frame */
};

/* attention: frame-aware softmax attention, never materializing the score matrix (OPS.md).
 * q[B,T,Nq,heads,D], k and v [B,Tk,Nk,heads,D] (Nk >= 1), or [B,L,heads,D] (L >= 1) for context,
 * y[B,T,Nq,heads,D]. Per (b, t, head): y = softmax(q @ K(t).T * scale) @ V(t), K(t)/V(t) chosen by
 * kv_frames. y may not overlap q, k or v. */
typedef struct kn_attention_params {
    kn_tensor q;
    kn_tensor k;
    kn_tensor v;
    kn_tensor y;
    double scale;      /* callers pass D**-0.5 for the usual scaling */
    int32_t kv_frames; /* enum kn_kv_frames */
    int32_t reserved0;
} kn_attention_params;

int32_t kn_attention(kn_context ctx, kn_stream stream, const kn_attention_params *params);

/* Elementwise op kinds (OPS.md elementwise). */
enum kn_elementwise_op {
    KN_ELEMENTWISE_ADD = 0,      /* y = x + z */
    KN_ELEMENTWISE_MUL = 1,      /* y = x * z */
    KN_ELEMENTWISE_SILU = 2,     /* y = x * sigmoid(x); z absent */
    KN_ELEMENTWISE_GELU = 3,     /* y = 0.5 x (1 + erf(x / sqrt(2))); z absent */
    KN_ELEMENTWISE_SCALE_ADD = 4 /* y = a x + b z */
};

/* elementwise: add, mul, silu, gelu, scale_add. x any shape (rank 0..8), y shaped as x; the binary
 * ops take z of rank <= x's rank that NumPy-broadcasts to x with one run of broadcast dims: after
 * padding z's shape with leading 1s to x's rank, z = [x's leading dims, 1s, x's trailing dims] (any of
 * the three parts may be empty). With x viewed as [outer, middle, inner] by those parts, x element i
 * pairs with z[(i / (middle*inner)) * inner + i % inner]. Examples for x[B,T,H,W,C]: z[C], z[W,C] and
 * rank 0 (trailing dims), z[B,1,1,1,C] and z[1,1,1,1,C] (per batch and channel), z of x's shape.
 * Unary ops need z absent. y may be x itself (in place); y may not otherwise overlap x or z. */
typedef struct kn_elementwise_params {
    kn_tensor x;
    kn_tensor z;
    kn_tensor y;
    double a;   /* scale_add only (finite) */
    double b;   /* scale_add only (finite) */
    int32_t op; /* enum kn_elementwise_op */
    int32_t reserved0;
} kn_elementwise_params;

int32_t kn_elementwise(kn_context ctx, kn_stream stream, const kn_elementwise_params *params);

/* upsample_nearest: spatial nearest-neighbour upsampling by 2 (OPS.md resample and patches).
 * x[B,T,H,W,C], y[B,T,2H,2W,C]; y[b,t,i,j,c] = x[b,t,i/2,j/2,c]. y may not overlap x. */
typedef struct kn_upsample_nearest_params {
    kn_tensor x;
    kn_tensor y;
} kn_upsample_nearest_params;

int32_t kn_upsample_nearest(kn_context ctx, kn_stream stream, const kn_upsample_nearest_params *params);

/* patchify and unpatchify (OPS.md resample and patches) share one params struct.
 * patchify:   x[B,T,H,W,C] -> y[B,T,(H/p)*(W/p),p*p*C]; p divides H and W; patches in row-major order,
 *             inside a patch (ph, pw, c) with c fastest.
 * unpatchify: x[B,T,N,p*p*C] -> y[B,T,H,W,C], its exact inverse. H and W are taken from y's shape
 *             (the caller passes the output shape); p divides them, N == (H/p)*(W/p) and x's last
 *             dim == p*p*C. In both, y may not overlap x. */
typedef struct kn_patch_params {
    kn_tensor x;
    kn_tensor y;
    int32_t p; /* >= 1 */
    int32_t reserved0;
} kn_patch_params;

int32_t kn_patchify(kn_context ctx, kn_stream stream, const kn_patch_params *params);
int32_t kn_unpatchify(kn_context ctx, kn_stream stream, const kn_patch_params *params);

/* How kn_alpha_blend turns mix into alpha (OPS.md alpha_blend). */
enum kn_blend_mode {
    KN_BLEND_FIXED = 0,  /* alpha = mix */
    KN_BLEND_LEARNED = 1 /* alpha = sigmoid(mix) */
};

/* alpha_blend: the Video LDM / SVD merge of a spatial and a temporal path.
 * x_spatial and x_temporal share one shape (rank 0..8), mix[1] (device memory, read by the kernel),
 * y shaped as x_spatial: y = alpha*x_spatial + (1-alpha)*x_temporal. y may be x_spatial or x_temporal
 * itself (in place); y may not otherwise overlap them, and never overlaps mix. */
typedef struct kn_alpha_blend_params {
    kn_tensor x_spatial;
    kn_tensor x_temporal;
    kn_tensor mix;
    kn_tensor y;
    int32_t mode; /* enum kn_blend_mode */
    int32_t reserved0;
} kn_alpha_blend_params;

int32_t kn_alpha_blend(kn_context ctx, kn_stream stream, const kn_alpha_blend_params *params);

/* concat: channels-last concatenation along the last axis (U-Net skip connections).
 * x[..., C1] and z[..., C2] (rank 1..8, equal leading dims, C1 and C2 >= 0), y[..., C1+C2] with
 * y[..., :C1] = x and y[..., C1:] = z, bit-exact copies. y may not overlap x or z. */
typedef struct kn_concat_params {
    kn_tensor x;
    kn_tensor z;
    kn_tensor y;
} kn_concat_params;

int32_t kn_concat(kn_context ctx, kn_stream stream, const kn_concat_params *params);

/* timestep_embedding: diffusers' get_timestep_embedding(t, dim, flip_sin_to_cos, downscale_freq_shift,
 * scale=1, max_period). t[B], y[B,dim]; half = dim/2, freq_i = exp(-ln(max_period)*i/(half - shift)),
 * y[b] = [sin(t[b]*freq), cos(t[b]*freq)], halves swapped when flip_sin_to_cos. Frequencies and
 * arguments are computed in double. y may not overlap t. */
typedef struct kn_timestep_embedding_params {
    kn_tensor t;
    kn_tensor y;
    double downscale_freq_shift; /* finite, half - shift != 0 */
    double max_period;           /* finite, > 0 (diffusers' default 10000) */
    int32_t dim;                 /* even, >= 2 */
    int32_t flip_sin_to_cos;     /* 0 or 1 */
} kn_timestep_embedding_params;

int32_t kn_timestep_embedding(kn_context ctx, kn_stream stream, const kn_timestep_embedding_params *params);

/* ---- fault injection, for tests of error paths ---------------------------------------------- */

enum kn_fault_kind {
    KN_FAULT_MALLOC = 0, /* kn_malloc fails with KN_ERR_OUT_OF_MEMORY */
    KN_FAULT_LAUNCH = 1  /* an op call or kn_graph_launch fails with KN_ERR_DEVICE, after validation */
};

/* Arms one failure: the `after`-th call of that kind from now (1 = the next one), counted over all
 * contexts of the process, fails as above with a last-error message saying it was injected, and the
 * fault disarms. after = 0 disarms without failing. The library never arms a fault itself. */
int32_t kn_debug_inject_fault(int32_t kind, int64_t after);

#ifdef __cplusplus
}
#endif

#endif /* KINEMA_H */
