// frame_attention.cu - the `attention` op (OPS.md): frame-aware softmax attention, f32, flash-style
// (f16/bf16 are forwarded to frame_attention_mma.cu).
// q [B,T,Nq,heads,D]; k, v [B,Tk,Nk,heads,D] (context: [B,L,heads,D] = one frame of L keys).
//
// Tiling: one block per (b, t, head, tile of 16 query rows); 128 threads = 16 rows x 8 lanes. The 8
// lanes of a row split D (lane g owns dims g, g+8, ...; KPT = ceil(D/8) registers each for q and acc,
// a template: D <= 256). K/V stream through shared memory 32 keys at a time (2 x 32 x D floats),
// read coalesced row by row; the frames of K(t)/V(t) (same: t; first/context: 0; sparse_causal: 0 and
// max(t-1, 0); all: 0..Tk-1) are walked by index arithmetic, never gathered into a copy. Each row
// computes s_j as 8 partial dots + 3 xor-shuffles and keeps the online softmax (running max m, sum l,
// acc[D]); the score matrix never exists.
//
// Napkin math (H100, B=1, T=16, 8 heads, 1024 tokens, D=40, same): 4*N^2*D per (t, head) x 128 =
// 21.5 GFLOP; bytes: q, y once (2 x 21 MB) + K/V per 16-row tile from L2. At ~67 TFLOP/s f32 that is
// ~0.32 ms of FMA vs ~13 us of HBM traffic: compute bound, so f32 CUDA cores set the pace; f16/bf16
// storage takes the tensor-core kernel of frame_attention_mma.cu instead.
// Shared memory per block 2 x 32 x D x 4 B = 32 KB at D = 128.
#include "entries.cuh"
#include "frame_attention_mma.cuh"
#include "storage.cuh"

#include <math.h>

namespace kn_fattn {

constexpr int kLanesPerRow = 8;
constexpr int kRowsPerBlock = 16;
constexpr int kThreads = kLanesPerRow * kRowsPerBlock;
constexpr int kKeysPerTile = 32;
constexpr int kMaxDim = 256;

struct Args : KnFrameAttentionDims {
    const float *q, *k, *v;
    float *y;
};

template <int KPT>
__global__ void __launch_bounds__(kThreads, 1) attention_f32(Args a) {
    KN_DYNAMIC_SHARED(float, smem);
    float *k_tile = smem;                           // [kKeysPerTile][dim]
    float *v_tile = smem + kKeysPerTile * a.dim;    // [kKeysPerTile][dim]

    int64_t task = blockIdx.x;
    const int tile = static_cast<int>(task % a.row_tiles);
    task /= a.row_tiles;
    const int head = static_cast<int>(task % a.heads);
    task /= a.heads;
    const int t = static_cast<int>(task % a.frames);
    const int64_t b = task / a.frames;
    const int lane = threadIdx.x % kLanesPerRow, row = threadIdx.x / kLanesPerRow;
    const int64_t i = static_cast<int64_t>(tile) * kRowsPerBlock + row;
    const bool active = i < a.queries;
    const int64_t q_at = ((b * a.frames + t) * a.queries + i) * a.token + static_cast<int64_t>(head) * a.dim;

    float q[KPT], acc[KPT];
#pragma unroll
    for (int c = 0; c < KPT; ++c) {
        const int d = lane + c * kLanesPerRow;
        q[c] = active && d < a.dim ? a.q[q_at + d] * a.scale : 0.f;
        acc[c] = 0.f;
    }
    float run_max = -INFINITY, run_sum = 0.f;

    const int nf = kv_frame_count(a);
    for (int f = 0; f < nf; ++f) {
        const int64_t frame_base = ((b * a.kv_frames + kv_frame(a, t, f)) * a.keys) * a.token +
                                   static_cast<int64_t>(head) * a.dim;
        for (int j0 = 0; j0 < a.keys; j0 += kKeysPerTile) {
            const int nj = min(kKeysPerTile, a.keys - j0);
            __syncthreads();  // the previous tile is consumed
            for (int e = threadIdx.x; e < nj * a.dim; e += kThreads) {
                const int j = e / a.dim, d = e - j * a.dim;
                const int64_t at = frame_base + static_cast<int64_t>(j0 + j) * a.token + d;
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
                s += __shfl_xor_sync(0xffffffffu, s, 4);
                s += __shfl_xor_sync(0xffffffffu, s, 2);
                s += __shfl_xor_sync(0xffffffffu, s, 1);
                const float m_new = fmaxf(run_max, s);
                const float alpha = expf(run_max - m_new);  // 0 on the first key
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
    }
    if (active) {
        const float inv = 1.f / run_sum;  // at least one key: run_sum >= 1
#pragma unroll
        for (int c = 0; c < KPT; ++c) {
            const int d = lane + c * kLanesPerRow;
            if (d < a.dim) a.y[q_at + d] = acc[c] * inv;
        }
    }
}

template <int KPT>
int32_t launch(cudaStream_t stream, const Args &a, int64_t blocks) {
    const size_t smem = 2 * kKeysPerTile * static_cast<size_t>(a.dim) * sizeof(float);
    KN_LAUNCH(attention_f32<KPT>, dim3(static_cast<unsigned>(blocks)), dim3(kThreads), smem, stream, a);
    return kn_cuda_check_launch("attention_f32");
}

}  // namespace kn_fattn

int32_t kn_cuda_frame_attention_dims(const kn_attention_params *p, int rows_per_block, int max_dim,
                                     const char *dtypes, KnFrameAttentionDims *d) {
    const bool context = p->kv_frames == KN_KV_FRAMES_CONTEXT;
    const int64_t batch = p->q.shape[0], frames = p->q.shape[1], queries = p->q.shape[2], heads = p->q.shape[3],
                  dim = p->q.shape[4];
    const int64_t row_tiles = (queries + rows_per_block - 1) / rows_per_block;
    d->blocks = dim == 0 ? 0 : batch * frames * heads * row_tiles;
    if (d->blocks == 0) return KN_OK;
    if (dim > max_dim) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " attention: q has D = %lld per head; %s attention supports D <= %d",
                          static_cast<long long>(dim), dtypes, max_dim);
        return KN_ERR_UNSUPPORTED;
    }
    const int64_t keys = context ? p->k.shape[1] : p->k.shape[2];
    if (keys > 0x7fffffffLL - 64) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " attention: %lld keys per frame exceed 2^31-1",
                          static_cast<long long>(keys));
        return KN_ERR_UNSUPPORTED;
    }
    if (d->blocks > 0x7fffffffLL) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " attention: %lld blocks (B*T*heads*ceil(Nq/%d)) exceed the grid "
                          "limit 2^31-1",
                          static_cast<long long>(d->blocks), rows_per_block);
        return KN_ERR_UNSUPPORTED;
    }
    d->queries = queries;
    d->keys = static_cast<int>(keys);
    d->token = heads * dim;
    d->frames = static_cast<int>(frames);
    d->kv_frames = context ? 1 : static_cast<int>(p->k.shape[1]);
    d->heads = static_cast<int>(heads);
    d->dim = static_cast<int>(dim);
    d->mode = p->kv_frames;
    d->row_tiles = static_cast<int>(row_tiles);
    d->scale = static_cast<float>(p->scale);
    return KN_OK;
}

int32_t kn_cuda_attention(cudaStream_t stream, const kn_attention_params *p) {
    using namespace kn_fattn;
    const char *op = "attention";
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage(op, "q", p->q)) || (st = kn_cuda_require_dtype(op, "k", p->k, p->q.dtype)) ||
        (st = kn_cuda_require_dtype(op, "v", p->v, p->q.dtype)) ||
        (st = kn_cuda_require_dtype(op, "y", p->y, p->q.dtype)))
        return st;
    // f16/bf16 run on tensor cores (frame_attention_mma.cu).
    if (p->q.dtype != KN_DTYPE_F32) return kn_cuda_attention_mma(stream, p);
    Args a;
    if ((st = kn_cuda_frame_attention_dims(p, kRowsPerBlock, kMaxDim, "f32", &a)) || a.blocks == 0) return st;
    a.q = static_cast<const float *>(p->q.data);
    a.k = static_cast<const float *>(p->k.data);
    a.v = static_cast<const float *>(p->v.data);
    a.y = static_cast<float *>(p->y.data);
    const int64_t per_lane = (a.dim + kLanesPerRow - 1) / kLanesPerRow;
    if (per_lane <= 1) return launch<1>(stream, a, a.blocks);
    if (per_lane <= 2) return launch<2>(stream, a, a.blocks);
    if (per_lane <= 4) return launch<4>(stream, a, a.blocks);
    if (per_lane <= 8) return launch<8>(stream, a, a.blocks);
    if (per_lane <= 16) return launch<16>(stream, a, a.blocks);
    return launch<32>(stream, a, a.blocks);
}
