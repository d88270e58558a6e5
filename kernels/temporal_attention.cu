// temporal_attention.cu - attention along time at every spatial position (OPS.md), f32, read
// straight from channels-last q, k, v [B,T,H,W,heads*D] (no permute). f16/bf16 are forwarded to
// temporal_attention_mma.cu.
//
// Tiling: one block per column (batch, position, head), 128 threads = 16 query rows x 8 lanes.
// The 8 lanes of a row split D (lane g owns dims g, g+8, ...: a frame's D-slice is read by 8
// consecutive lanes, coalesced), so q and acc cost ceil(D/8) registers each (KPT, a template:
// D <= 256). Key/value frames stream through shared memory 16 at a time (2 x 16 x D floats); each
// row computes s_ij as 8 partial dots + 3 xor-shuffles, applies the window/causal mask and the
// rel_bias slice in the same pass and keeps the online softmax (running max m, sum l, acc[D]).
// T > 16 loops over query chunks of 16, re-streaming K/V (from L2) per chunk.
//
// Napkin math (H100, B=1, T=16, 32x32, 8 heads, D=40): FLOPs 4*T^2*D per column x 8192 = 0.34 GFLOP;
// bytes 4 tensors x 21 MB = 84 MB (all 8 heads). Intensity T/4 = 4 FLOP/byte, so the op is memory
// bound at 3.35 TB/s: ~25 us of traffic vs 5 us of f32 FMA at ~67 TFLOP/s (the 16-bit path halves
// the bytes). One exp per (i, j) for alpha and one for p keeps SFU work at 2*T^2 per row
// group, far below the FMAs. Blocks with T < 16 leave rows idle: a block per column wastes lanes at
// tiny T, but those shapes are tiny too.
#include "entries.cuh"
#include "storage.cuh"
#include "temporal_attention_mma.cuh"

#include <math.h>

namespace kn_tattn {

constexpr int kLanesPerRow = 8;
constexpr int kRowsPerBlock = 16;
constexpr int kThreads = kLanesPerRow * kRowsPerBlock;
constexpr int kFramesPerTile = 16;
constexpr int kMaxDim = 256;

struct Args : KnTemporalAttentionDims {
    const float *q, *k, *v, *bias;
    float *y;
};

template <int KPT>
__global__ void __launch_bounds__(kThreads) attention_f32(Args a) {
    KN_DYNAMIC_SHARED(float, smem);
    float *k_tile = smem;                            // [kFramesPerTile][dim]
    float *v_tile = smem + kFramesPerTile * a.dim;  // [kFramesPerTile][dim]

    const int64_t column = blockIdx.x;
    const int head = static_cast<int>(column % a.heads);
    const int64_t position = column / a.heads % a.positions, batch = column / a.heads / a.positions;
    const int64_t base = batch * a.frames * a.frame_stride + position * a.heads * a.dim + head * a.dim;
    const float *bias = a.bias != nullptr ? a.bias + static_cast<int64_t>(head) * (2 * a.tmax - 1) : nullptr;
    const int lane = threadIdx.x % kLanesPerRow, row = threadIdx.x / kLanesPerRow;

    for (int i0 = 0; i0 < a.frames; i0 += kRowsPerBlock) {
        const int i = i0 + row;
        const bool active = i < a.frames;
        int first = 0, last = a.frames - 1;  // attended frames of row i (a contiguous range)
        if (a.window > 0) {
            first = max(i - a.window, 0);
            last = min(i + a.window, last);
        }
        if (a.causal) last = min(last, i);

        float q[KPT], acc[KPT];
#pragma unroll
        for (int c = 0; c < KPT; ++c) {
            const int d = lane + c * kLanesPerRow;
            q[c] = active && d < a.dim ? a.q[base + i * a.frame_stride + d] * a.scale : 0.f;
            acc[c] = 0.f;
        }
        float run_max = -INFINITY, run_sum = 0.f;

        for (int j0 = 0; j0 < a.frames; j0 += kFramesPerTile) {
            const int nj = min(kFramesPerTile, a.frames - j0);
            __syncthreads();  // the previous tile is consumed
            for (int e = threadIdx.x; e < nj * a.dim; e += kThreads) {
                const int j = e / a.dim, d = e - j * a.dim;
                const int64_t at = base + (j0 + j) * a.frame_stride + d;
                k_tile[e] = a.k[at];
                v_tile[e] = a.v[at];
            }
            __syncthreads();
            for (int j = 0; j < nj; ++j) {
                float s = 0.f;
#pragma unroll
                for (int c = 0; c < KPT; ++c) {
                    const int d = lane + c * kLanesPerRow;
                    if (d < a.dim) s = fmaf(q[c], k_tile[j * a.dim + d], s);
                }
                // Every lane of the warp shuffles; rows that mask frame j drop the result below.
                s += __shfl_xor_sync(0xffffffffu, s, 4);
                s += __shfl_xor_sync(0xffffffffu, s, 2);
                s += __shfl_xor_sync(0xffffffffu, s, 1);
                const int jj = j0 + j;
                if (!active || jj < first || jj > last) continue;
                if (bias != nullptr) s += bias[jj - i + a.tmax - 1];
                const float m_new = fmaxf(run_max, s);
                const float alpha = expf(run_max - m_new);  // 0 on the first attended frame
                const float p = expf(s - m_new);
                run_sum = fmaf(run_sum, alpha, p);
#pragma unroll
                for (int c = 0; c < KPT; ++c) {
                    const int d = lane + c * kLanesPerRow;
                    const float vd = d < a.dim ? v_tile[j * a.dim + d] : 0.f;
                    acc[c] = fmaf(acc[c], alpha, p * vd);
                }
                run_max = m_new;
            }
        }
        if (active) {
            const float inv = 1.f / run_sum;  // row i always attends to itself: run_sum >= 1
#pragma unroll
            for (int c = 0; c < KPT; ++c) {
                const int d = lane + c * kLanesPerRow;
                if (d < a.dim) a.y[base + i * a.frame_stride + d] = acc[c] * inv;
            }
        }
    }
}

template <int KPT>
int32_t launch(cudaStream_t stream, const Args &a, int64_t columns) {
    const size_t smem = 2 * kFramesPerTile * static_cast<size_t>(a.dim) * sizeof(float);
    KN_LAUNCH(attention_f32<KPT>, dim3(static_cast<unsigned>(columns)), dim3(kThreads), smem, stream, a);
    return kn_cuda_check_launch("temporal_attention_f32");
}

}  // namespace kn_tattn

int32_t kn_cuda_temporal_attention_dims(const kn_temporal_attention_params *p, int max_dim, const char *dtypes,
                                        KnTemporalAttentionDims *d) {
    const int64_t batch = p->q.shape[0], frames = p->q.shape[1], positions = p->q.shape[2] * p->q.shape[3];
    const int64_t dim = p->q.shape[4] / p->heads;
    d->columns = frames == 0 ? 0 : batch * positions * p->heads;
    if (d->columns == 0) return KN_OK;
    if (dim > max_dim) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " temporal_attention: q has D = %lld per head; %s temporal attention "
                          "supports D <= %d",
                          static_cast<long long>(dim), dtypes, max_dim);
        return KN_ERR_UNSUPPORTED;
    }
    if (d->columns > 0x7fffffffLL) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " temporal_attention: %lld columns (B*H*W*heads) exceed the grid "
                          "limit 2^31-1",
                          static_cast<long long>(d->columns));
        return KN_ERR_UNSUPPORTED;
    }
    d->frame_stride = positions * p->q.shape[4];
    d->positions = positions;
    d->frames = static_cast<int>(frames);
    d->dim = static_cast<int>(dim);
    d->heads = p->heads;
    d->window = p->window;
    d->causal = p->causal;
    d->tmax = p->Tmax;
    d->scale = static_cast<float>(p->scale);
    return KN_OK;
}

int32_t kn_cuda_temporal_attention(cudaStream_t stream, const kn_temporal_attention_params *p) {
    using namespace kn_tattn;
    const char *op = "temporal_attention";
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage(op, "q", p->q)) || (st = kn_cuda_require_dtype(op, "k", p->k, p->q.dtype)) ||
        (st = kn_cuda_require_dtype(op, "v", p->v, p->q.dtype)) ||
        (st = kn_cuda_require_dtype(op, "rel_bias", p->rel_bias, p->q.dtype)) ||
        (st = kn_cuda_require_dtype(op, "y", p->y, p->q.dtype)))
        return st;
    // f16/bf16 run on tensor cores (temporal_attention_mma.cu).
    if (p->q.dtype != KN_DTYPE_F32) return kn_cuda_temporal_attention_mma(stream, p);
    Args a;
    if ((st = kn_cuda_temporal_attention_dims(p, kMaxDim, "f32", &a)) || a.columns == 0) return st;
    a.q = static_cast<const float *>(p->q.data);
    a.k = static_cast<const float *>(p->k.data);
    a.v = static_cast<const float *>(p->v.data);
    a.bias = static_cast<const float *>(p->rel_bias.data);
    a.y = static_cast<float *>(p->y.data);
    const int64_t per_lane = (a.dim + kLanesPerRow - 1) / kLanesPerRow;
    if (per_lane <= 1) return launch<1>(stream, a, a.columns);
    if (per_lane <= 2) return launch<2>(stream, a, a.columns);
    if (per_lane <= 4) return launch<4>(stream, a, a.columns);
    if (per_lane <= 8) return launch<8>(stream, a, a.columns);
    if (per_lane <= 16) return launch<16>(stream, a, a.columns);
    return launch<32>(stream, a, a.columns);
}
