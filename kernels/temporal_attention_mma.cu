// temporal_attention_mma.cu - temporal_attention (OPS.md) for f16 and bf16 storage on tensor cores,
// read straight from channels-last q, k, v [B,T,H,W,heads*D] with strides (no permute).
//
// Tiling: one warp per column (batch, position, head): its T frames are the 16 query rows of an mma
// tile (T > 16: chunks of 16 rows) and the keys, staged 16 frames at a time into the warp's own
// slice of shared memory (K [frame][d pairs], V transposed [d][frame pairs], flash_mma.cuh). A block
// is 4 warps = 4 consecutive heads of one position (2 warps at DPAD 160, to stay under 48 KB of
// static shared memory), so a frame's 4 x D values are read as one contiguous run. Window and causal
// masks and the rel_bias slice are applied to S in f32 in the same pass; P is rounded once to the
// storage dtype for O = P V, the output once on the store. Warps never wait for each other: only
// __syncwarp between staging and use.
//
// Napkin math (H100, B=1, T=16, 32x32, 8 heads, D=40 -> 48): 8192 columns x 4*T^2*DPAD = 0.4 GFLOP
// of mma (0.4 us at 989 TFLOP/s) and 2M exps (~1 us on the SFUs); bytes 4 tensors x 10.5 MB (f16) =
// 42 MB -> 12.5 us at 3.35 TB/s. Memory bound, as the f32 kernel: tensor cores halve the bytes (16-bit
// storage) rather than speed up arithmetic that was never the limit.
// Shared memory per warp: (16 x (DPAD/2 + 4) + DPAD x 12) words = 10.5 KB at DPAD 128.
#include "entries.cuh"
#include "flash_mma.cuh"
#include "temporal_attention_mma.cuh"

namespace kn_tattn_mma {

using namespace kn_flash_mma;

constexpr int kFrames = 16;  // keys per staged tile and query rows per chunk

// Warps per block: 4, or 2 where 4 warps' tiles would pass 48 KB of static shared memory.
template <int DPAD>
__host__ __device__ constexpr int warps_per_block() {
    return DPAD <= 128 ? 4 : 2;
}

struct Args : KnTemporalAttentionDims {
    const uint16_t *q, *k, *v, *bias;
    uint16_t *y;
};

template <bool BF16, int DPAD>
__global__ void __launch_bounds__(warps_per_block<DPAD>() * 32, 1) attention_mma(Args a) {
    constexpr int kWarps = warps_per_block<DPAD>();
    constexpr int kKWords = kFrames * KTile<DPAD>::kRowWords, kVWords = DPAD * VtTile<kFrames>::kRowWords;
    __shared__ __align__(16) uint32_t k_words[kWarps * kKWords];
    __shared__ __align__(16) uint32_t vt_words[kWarps * kVWords];

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, tg = lane & 3;
    const int64_t column = static_cast<int64_t>(blockIdx.x) * kWarps + warp;
    if (column >= a.columns) return;  // no block barrier below: an idle warp may leave
    const int head = static_cast<int>(column % a.heads);
    const int64_t position = column / a.heads % a.positions, batch = column / a.heads / a.positions;
    const int64_t base = batch * a.frames * a.frame_stride + position * a.heads * a.dim + head * a.dim;
    const uint16_t *bias = a.bias != nullptr ? a.bias + static_cast<int64_t>(head) * (2 * a.tmax - 1) : nullptr;
    uint32_t *my_k = k_words + warp * kKWords, *my_vt = vt_words + warp * kVWords;

    for (int i0 = 0; i0 < a.frames; i0 += kFrames) {
        WarpState<BF16, DPAD> w;
        reset(w);
        load_queries(w, g, tg, [&](int r, int d) -> uint32_t {
            const int i = i0 + r;
            return i < a.frames && d < a.dim ? a.q[base + i * a.frame_stride + d] : 0u;
        });
        for (int j0 = 0; j0 < a.frames; j0 += kFrames) {
            const int nj = min(kFrames, a.frames - j0);
            __syncwarp();  // the previous tile is consumed
            stage_tile<DPAD, kFrames>(
                my_k, my_vt, [&](int j) { return a.k + base + (j0 + j) * a.frame_stride; },
                [&](int j) { return a.v + base + (j0 + j) * a.frame_stride; }, nj, a.dim, lane, 32);
            __syncwarp();
            float s[kFrames / 8][4];
            scores<BF16, DPAD, kFrames>(w, my_k, s, g, tg);
#pragma unroll
            for (int n = 0; n < kFrames / 8; ++n)
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int i = i0 + g + 8 * (e >> 1), j = j0 + n * 8 + 2 * tg + (e & 1);
                    // Rows past T are padding: masked like the rest, never stored.
                    bool keep = i < a.frames && j < a.frames;
                    if (a.window > 0) keep = keep && abs(i - j) <= a.window;
                    if (a.causal) keep = keep && j <= i;
                    float v = s[n][e] * a.scale;
                    if (keep && bias != nullptr) v += to_float<BF16>(bias[j - i + a.tmax - 1]);
                    s[n][e] = keep ? v : -INFINITY;
                }
            accumulate<BF16, DPAD, kFrames>(w, s, my_vt, g, tg);
        }
        store_output(w, g, tg, [&](int r, int d, float value) {
            const int i = i0 + r;
            if (i < a.frames && d < a.dim) a.y[base + i * a.frame_stride + d] = to_bits<BF16>(value);
        });
    }
}

template <bool BF16>
struct Launch {
    cudaStream_t stream;
    const Args &a;
    template <int DPAD>
    int32_t operator()() const {
        constexpr int kWarps = warps_per_block<DPAD>();
        const int64_t blocks = (a.columns + kWarps - 1) / kWarps;
        KN_LAUNCH((attention_mma<BF16, DPAD>), dim3(static_cast<unsigned>(blocks)), dim3(kWarps * 32), 0, stream, a);
        return kn_cuda_check_launch(BF16 ? "temporal_attention_mma_bf16" : "temporal_attention_mma_f16");
    }
};

}  // namespace kn_tattn_mma

int32_t kn_cuda_temporal_attention_mma(cudaStream_t stream, const kn_temporal_attention_params *p) {
    using namespace kn_tattn_mma;
    Args a;
    const int32_t st = kn_cuda_temporal_attention_dims(p, 160, "f16/bf16", &a);
    if (st != KN_OK || a.columns == 0) return st;
    a.q = static_cast<const uint16_t *>(p->q.data);
    a.k = static_cast<const uint16_t *>(p->k.data);
    a.v = static_cast<const uint16_t *>(p->v.data);
    a.bias = static_cast<const uint16_t *>(p->rel_bias.data);
    a.y = static_cast<uint16_t *>(p->y.data);
    if (p->q.dtype == KN_DTYPE_BF16) return with_padded_head_dim(a.dim, Launch<true>{stream, a});
    return with_padded_head_dim(a.dim, Launch<false>{stream, a});
}
