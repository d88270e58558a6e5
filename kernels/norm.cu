// norm.cu - group_norm and layer_norm (OPS.md); f32, f16 or bf16 storage (one dtype for x, the affine
// and modulation vectors and y), statistics and arithmetic in f32, one rounding per stored element.
//
// group_norm: one 256-thread block per (domain, group), a domain being a batch item or, per frame, one
// frame. The block walks its group's positions x (C/groups) channels (channels-last: runs of C/groups
// contiguous floats, any group width, e.g. 5 channels), keeps a Welford (n, mean, M2) per thread,
// merges them with Chan's formula through warp shuffles and then across warps in shared memory, and
// makes a second pass writing (x - mean) * rstd * gamma + beta [, SiLU]. Welford keeps large-mean
// data (mean 1000, std 1) accurate in f32. Every element is read and written by the same block after
// its statistics, so y may be x.
// layer_norm: one warp per row (8 rows per block); lanes stride over C with Welford, a shuffle merge,
// then the affine and the adaLN modulation (1 + scale[b]) and shift[b] in the same sweep.
//
// Napkin math (H100: 3.35 TB/s; 67 TFLOP/s f32): both ops read x twice and write y once, ~10 FLOPs per
// element -> ~1 FLOP/byte, memory bound. B=1,T=16,32x32,C=320 (5.2M floats): 63 MB -> ~19 us at peak
// (the second read often hits L2: a (b,group) slab is 0.66 MB). 32 groups x 1 batch = 32 blocks would
// underfill 132 SMs; per-frame statistics give 512 blocks.
#include "storage.cuh"

#include <math.h>

namespace kn_norm {

constexpr int kThreads = 256;

struct Welford {
    float n, mean, m2;
};

__device__ __forceinline__ Welford merge(Welford a, Welford b) {
    const float n = a.n + b.n;
    if (n == 0.f) return a;
    const float delta = b.mean - a.mean, w = b.n / n;
    return Welford{n, a.mean + delta * w, a.m2 + b.m2 + delta * delta * a.n * w};
}

__device__ __forceinline__ Welford warp_merge(Welford s) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        Welford o;
        o.n = __shfl_xor_sync(0xffffffffu, s.n, offset);
        o.mean = __shfl_xor_sync(0xffffffffu, s.mean, offset);
        o.m2 = __shfl_xor_sync(0xffffffffu, s.m2, offset);
        s = merge(s, o);
    }
    return s;
}

__device__ __forceinline__ void push(Welford &s, float v) {
    s.n += 1.f;
    const float delta = v - s.mean;
    s.mean += delta / s.n;
    s.m2 += delta * (v - s.mean);
}

__device__ __forceinline__ float silu(float v) { return v / (1.f + expf(-v)); }

template <typename S>
struct GroupArgs {
    const S *x, *gamma, *beta;
    S *y;
    int64_t positions, channels;
    int32_t groups, per_group, silu;
    float eps;
};

template <typename S>
__global__ void __launch_bounds__(kThreads) group_norm_kernel(GroupArgs<S> a) {
    __shared__ __align__(16) float warp_n[kThreads / 32], warp_mean[kThreads / 32], warp_m2[kThreads / 32];
    __shared__ __align__(16) float stats[2];
    const int64_t domain = blockIdx.x / a.groups;
    const int32_t group = blockIdx.x % a.groups;
    const int64_t count = a.positions * a.per_group;
    const S *x = a.x + domain * a.positions * a.channels + int64_t(group) * a.per_group;
    S *y = a.y + domain * a.positions * a.channels + int64_t(group) * a.per_group;

    Welford s{0.f, 0.f, 0.f};
    for (int64_t e = threadIdx.x; e < count; e += blockDim.x) push(s, kn_load(x + (e / a.per_group) * a.channels + e % a.per_group));
    s = warp_merge(s);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0) warp_n[warp] = s.n, warp_mean[warp] = s.mean, warp_m2[warp] = s.m2;
    __syncthreads();
    if (warp == 0) {
        Welford t = lane < kThreads / 32 ? Welford{warp_n[lane], warp_mean[lane], warp_m2[lane]} : Welford{0.f, 0.f, 0.f};
        t = warp_merge(t);
        if (lane == 0) stats[0] = t.mean, stats[1] = rsqrtf(t.m2 / t.n + a.eps);
    }
    __syncthreads();
    const float mean = stats[0], rstd = stats[1];
    for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
        const int64_t i = (e / a.per_group) * a.channels + e % a.per_group;
        const int32_t c = group * a.per_group + int32_t(e % a.per_group);
        const float v = (kn_load(x + i) - mean) * rstd * kn_load(a.gamma + c) + kn_load(a.beta + c);
        kn_store(y + i, a.silu ? silu(v) : v);
    }
}

template <typename S>
struct LayerArgs {
    const S *x, *gamma, *beta, *shift, *scale;
    S *y;
    int64_t rows, rows_per_batch, channels;
    float eps;
};

template <typename S>
__global__ void __launch_bounds__(kThreads) layer_norm_kernel(LayerArgs<S> a) {
    const int64_t row = int64_t(blockIdx.x) * (kThreads / 32) + threadIdx.x / 32;
    if (row >= a.rows) return;  // the whole warp leaves together
    const int lane = threadIdx.x % 32;
    const S *x = a.x + row * a.channels;
    S *y = a.y + row * a.channels;
    Welford s{0.f, 0.f, 0.f};
    for (int64_t c = lane; c < a.channels; c += 32) push(s, kn_load(x + c));
    s = warp_merge(s);
    const float rstd = rsqrtf(s.m2 / s.n + a.eps);
    const int64_t b = row / a.rows_per_batch;
    for (int64_t c = lane; c < a.channels; c += 32) {
        float v = (kn_load(x + c) - s.mean) * rstd;
        if (a.gamma) v *= kn_load(a.gamma + c);
        if (a.beta) v += kn_load(a.beta + c);
        if (a.scale) v *= 1.f + kn_load(a.scale + b * a.channels + c);
        if (a.shift) v += kn_load(a.shift + b * a.channels + c);
        kn_store(y + c, v);
    }
}

template <typename S>
int32_t launch_group(cudaStream_t stream, const kn_group_norm_params *p, unsigned blocks) {
    const int64_t T = p->x.shape[1], HW = p->x.shape[2] * p->x.shape[3], C = p->x.shape[4];
    GroupArgs<S> a;
    a.x = static_cast<const S *>(p->x.data);
    a.gamma = static_cast<const S *>(p->gamma.data);
    a.beta = static_cast<const S *>(p->beta.data);
    a.y = static_cast<S *>(p->y.data);
    a.positions = p->per_frame ? HW : T * HW;
    a.channels = C;
    a.groups = p->groups;
    a.per_group = static_cast<int32_t>(C / p->groups);
    a.silu = p->silu;
    a.eps = static_cast<float>(p->eps);
    KN_LAUNCH(group_norm_kernel<S>, dim3(blocks), dim3(kThreads), 0, stream, a);
    return kn_cuda_check_launch("group_norm_kernel");
}

template <typename S>
int32_t launch_layer(cudaStream_t stream, const kn_layer_norm_params *p, int64_t numel, unsigned blocks) {
    LayerArgs<S> a;
    a.x = static_cast<const S *>(p->x.data);
    a.gamma = static_cast<const S *>(p->gamma.data);
    a.beta = static_cast<const S *>(p->beta.data);
    a.shift = static_cast<const S *>(p->shift.data);
    a.scale = static_cast<const S *>(p->scale.data);
    a.y = static_cast<S *>(p->y.data);
    a.channels = p->x.shape[p->x.rank - 1];
    a.rows = numel / a.channels;
    a.rows_per_batch = a.rows / p->x.shape[0];
    a.eps = static_cast<float>(p->eps);
    KN_LAUNCH(layer_norm_kernel<S>, dim3(blocks), dim3(kThreads), 0, stream, a);
    return kn_cuda_check_launch("layer_norm_kernel");
}

}  // namespace kn_norm

int32_t kn_cuda_group_norm(cudaStream_t stream, const kn_group_norm_params *p) {
    const int32_t dt = p->x.dtype;
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage("group_norm", "x", p->x)) ||
        (st = kn_cuda_require_dtype("group_norm", "gamma", p->gamma, dt)) ||
        (st = kn_cuda_require_dtype("group_norm", "beta", p->beta, dt)) ||
        (st = kn_cuda_require_dtype("group_norm", "y", p->y, dt)))
        return st;
    using namespace kn_norm;
    const int64_t B = p->x.shape[0], T = p->x.shape[1], HW = p->x.shape[2] * p->x.shape[3];
    const int64_t positions = p->per_frame ? HW : T * HW;
    const int64_t blocks = (p->per_frame ? B * T : B) * p->groups;
    if (blocks == 0 || positions == 0) return KN_OK;
    if (blocks > 0x7fffffff) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " group_norm: %lld (domain, group) blocks exceed the grid limit",
                          (long long)blocks);
        return KN_ERR_UNSUPPORTED;
    }
    if (dt == KN_DTYPE_F16) return launch_group<__half>(stream, p, static_cast<unsigned>(blocks));
    if (dt == KN_DTYPE_BF16) return launch_group<__nv_bfloat16>(stream, p, static_cast<unsigned>(blocks));
    return launch_group<float>(stream, p, static_cast<unsigned>(blocks));
}

int32_t kn_cuda_layer_norm(cudaStream_t stream, const kn_layer_norm_params *p) {
    const int32_t dt = p->x.dtype;
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage("layer_norm", "x", p->x)) ||
        (st = kn_cuda_require_dtype("layer_norm", "gamma", p->gamma, dt)) ||
        (st = kn_cuda_require_dtype("layer_norm", "beta", p->beta, dt)) ||
        (st = kn_cuda_require_dtype("layer_norm", "shift", p->shift, dt)) ||
        (st = kn_cuda_require_dtype("layer_norm", "scale", p->scale, dt)) ||
        (st = kn_cuda_require_dtype("layer_norm", "y", p->y, dt)))
        return st;
    using namespace kn_norm;
    int64_t numel = 1;
    for (int32_t i = 0; i < p->x.rank; ++i) numel *= p->x.shape[i];
    if (numel == 0) return KN_OK;
    const int64_t rows = numel / p->x.shape[p->x.rank - 1];
    const int64_t blocks = (rows + kThreads / 32 - 1) / (kThreads / 32);
    if (blocks > 0x7fffffff) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " layer_norm: %lld rows exceed the grid limit", (long long)rows);
        return KN_ERR_UNSUPPORTED;
    }
    if (dt == KN_DTYPE_F16) return launch_layer<__half>(stream, p, numel, static_cast<unsigned>(blocks));
    if (dt == KN_DTYPE_BF16) return launch_layer<__nv_bfloat16>(stream, p, numel, static_cast<unsigned>(blocks));
    return launch_layer<float>(stream, p, numel, static_cast<unsigned>(blocks));
}
