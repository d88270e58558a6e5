// frame_attention_mma.cu - the `attention` op (OPS.md) for f16 and bf16 storage on tensor cores:
// flash attention with mma.sync m16n8k16, f32 accumulators, every kv_frames mode.
// q [B,T,Nq,heads,D]; k, v [B,Tk,Nk,heads,D] (context: [B,L,heads,D]).
//
// Tiling: one block per (b, t, head, tile of 64 query rows); 4 warps, each owning 16 rows through
// flash_mma.cuh (Q in registers as A fragments, S and P never leave registers). K/V stream through
// shared memory 32 keys at a time, shared by the 4 warps: K as [key][d pairs], V transposed to
// [d][key pairs] while staging so both mma B operands are single 32-bit loads. The frames of KV(t)
// are walked by index arithmetic (kv_frame below), as in the f32 kernel; nothing is gathered.
// D is padded with zeros to DPAD in {32, 48, 64, 80, 96, 128, 160} (a template): D = 40 runs as 48.
// Scores are scaled, masked and exponentiated in f32; P is rounded to the storage dtype once, as the
// A operand of O = P V; the output is rounded once on the store.
//
// Napkin math (H100, B=1, T=16, 8 heads, 1024 tokens, D=40 -> 48, same): 4*N^2*DPAD per (t, head)
// x 128 = 25.8 GFLOP of mma work -> 26 us at 989 TFLOP/s, but exp runs on the SFU at 16/clk/SM
// (~2.1 T exp/s on 132 SMs): N^2 x 128 = 134 M exps -> 64 us. Exp-bound at small D, as FlashAttention
// finds; a 64-row tile re-reads K/V from L2 for each of the 16 tiles per (t, head): 16 x 2 x 1024 x
// 48 x 2 B = 3 MB per (t, head), 400 MB in all, ~60 us at ~7 TB/s of L2. HBM: q, k, v, y once,
// 4 x 10.5 MB -> 13 us. Shared memory per block (DPAD 160): K 32 x 84 + Vt 160 x 20 words = 23.5 KB.
// Registers: __launch_bounds__(128, 1) lets ptxas use what the O accumulators need (106-208 by DPAD,
// tools/nvcc-report); without the 1 it aimed at occupancy and spilled 4-24 bytes at some DPAD.
#include "entries.cuh"
#include "flash_mma.cuh"
#include "frame_attention_mma.cuh"

namespace kn_fattn_mma {

using namespace kn_flash_mma;

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kRowsPerBlock = kWarps * 16;
constexpr int kKeys = 32;

struct Args : KnFrameAttentionDims {
    const uint16_t *q, *k, *v;
    uint16_t *y;
};


template <bool BF16, int DPAD>
__global__ void __launch_bounds__(kThreads, 1) attention_mma(Args a) {
    __shared__ __align__(16) uint32_t k_words[kKeys * KTile<DPAD>::kRowWords];
    __shared__ __align__(16) uint32_t vt_words[DPAD * VtTile<kKeys>::kRowWords];

    // 32-bit decode (the launcher keeps blocks < 2^31): 64-bit division is a subroutine call on the
    // GPU, and its calling convention costs registers this kernel does not have to spare.
    unsigned task = blockIdx.x;
    const int tile = static_cast<int>(task % static_cast<unsigned>(a.row_tiles));
    task /= static_cast<unsigned>(a.row_tiles);
    const int head = static_cast<int>(task % static_cast<unsigned>(a.heads));
    task /= static_cast<unsigned>(a.heads);
    const int t = static_cast<int>(task % static_cast<unsigned>(a.frames));
    const int64_t b = task / static_cast<unsigned>(a.frames);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, tg = lane & 3;
    const int64_t row0 = static_cast<int64_t>(tile) * kRowsPerBlock + warp * 16;
    const int64_t q_base = (b * a.frames + t) * a.queries * a.token + static_cast<int64_t>(head) * a.dim;

    WarpState<BF16, DPAD> w;
    reset(w);
    load_queries(w, g, tg, [&](int r, int d) -> uint32_t {
        const int64_t i = row0 + r;
        return i < a.queries && d < a.dim ? a.q[q_base + i * a.token + d] : 0u;
    });

    const int nf = kv_frame_count(a);
    for (int f = 0; f < nf; ++f) {
        const int64_t frame_base = (b * a.kv_frames + kv_frame(a, t, f)) * a.keys * a.token +
                                   static_cast<int64_t>(head) * a.dim;
        for (int j0 = 0; j0 < a.keys; j0 += kKeys) {
            const int nj = min(kKeys, a.keys - j0);
            const uint16_t *k_rows = a.k + frame_base + static_cast<int64_t>(j0) * a.token;
            const uint16_t *v_rows = a.v + frame_base + static_cast<int64_t>(j0) * a.token;
            __syncthreads();  // every warp is done with the previous tile
            stage_tile<DPAD, kKeys>(
                k_words, vt_words, [&](int j) { return k_rows + j * a.token; },
                [&](int j) { return v_rows + j * a.token; }, nj, a.dim, threadIdx.x, kThreads);
            __syncthreads();
            float s[kKeys / 8][4];
            scores<BF16, DPAD, kKeys>(w, k_words, s, g, tg);
#pragma unroll
            for (int n = 0; n < kKeys / 8; ++n)
#pragma unroll
                for (int e = 0; e < 4; ++e) s[n][e] = n * 8 + 2 * tg + (e & 1) < nj ? s[n][e] * a.scale : -INFINITY;
            accumulate<BF16, DPAD, kKeys>(w, s, vt_words, g, tg);
        }
    }
    store_output(w, g, tg, [&](int r, int d, float value) {
        const int64_t i = row0 + r;
        if (i < a.queries && d < a.dim) a.y[q_base + i * a.token + d] = to_bits<BF16>(value);
    });
}

template <bool BF16>
struct Launch {
    cudaStream_t stream;
    const Args &a;
    int64_t blocks;
    template <int DPAD>
    int32_t operator()() const {
        KN_LAUNCH((attention_mma<BF16, DPAD>), dim3(static_cast<unsigned>(blocks)), dim3(kThreads), 0, stream, a);
        return kn_cuda_check_launch(BF16 ? "attention_mma_bf16" : "attention_mma_f16");
    }
};

}  // namespace kn_fattn_mma

int32_t kn_cuda_attention_mma(cudaStream_t stream, const kn_attention_params *p) {
    using namespace kn_fattn_mma;
    Args a;
    int32_t st = kn_cuda_frame_attention_dims(p, kRowsPerBlock, 160, "f16/bf16", &a);
    if (st != KN_OK || a.blocks == 0) return st;
    a.q = static_cast<const uint16_t *>(p->q.data);
    a.k = static_cast<const uint16_t *>(p->k.data);
    a.v = static_cast<const uint16_t *>(p->v.data);
    a.y = static_cast<uint16_t *>(p->y.data);
    if (p->q.dtype == KN_DTYPE_BF16) return with_padded_head_dim(a.dim, Launch<true>{stream, a, a.blocks});
    return with_padded_head_dim(a.dim, Launch<false>{stream, a, a.blocks});
}
