// linear_mma.cu - linear (GEMM with fused epilogue, OPS.md) for f16 and bf16 storage on tensor cores:
// y = epilogue(x[M,K] @ w[N,K].T + b), all tensors one dtype, products and sums in f32 (mma.sync
// m16n8k16 with f32 accumulators), the epilogue in f32 and one rounding to f16/bf16 on the store.
//
// Tiling: a block of 4 warps (128 threads) computes a 64x64 output tile; each warp a 32x32 sub-tile of
// 2 (M) x 4 (N) m16n8k16 tiles, 32 f32 accumulators per thread. K advances in slices of 32 (two mma k
// steps per barrier), staged in shared memory as 16-bit pairs packed in 32-bit words, [row][k] for
// both x and w: w's [N,K] layout is already the "col" B operand of mma.row.col, so neither operand
// is transposed and every fragment register is one aligned 32-bit shared load (a[0] = x[g][2t..2t+1]
// is word t of row g). Rows are padded from 16 to 20 words: the 8 rows x 4 words a fragment load
// touches then fall on 32 distinct banks (20g + t mod 32). Loads from global are 16-byte vectors when
// K % 8 == 0 and x, w are 16-byte aligned (a vector is then all inside or all outside K), otherwise
// bounds-checked 16-bit loads; both zero-fill the row and K tails, so any M, N, K works.
// geglu pairs a = h[:, j] with g = h[:, j + N'] in registers without a second accumulator set: a
// block then covers 32 output columns, and each warp's 32 staged w rows are 16 rows of the a half
// followed by the same 16 rows of the g half, so n tiles 0, 1 (a) and 2, 3 (g) of one thread hold the
// a and g of the same outputs at the same fragment positions. The epilogue (bias,
// activation, gate[b], residual read before y is written, so residual may be y) uses epilogue.cuh's
// activations, the same f32 functions as linear.cu's kernel.
//
// Napkin math (H100: 989 TFLOP/s bf16/f16 dense, 3.35 TB/s), M = 65536 tokens, K = N = 1280:
//   FLOPs 2*M*N*K = 215 GFLOP -> 0.22 ms at tensor peak; DRAM bytes x + y + w = 168 + 168 + 3.3 MB
//   -> 0.10 ms; 634 FLOP/B against a ridge of 295: compute bound in principle. This tile is not:
//   a 64x64x32 slice does 262 kFLOP per 8 KB read from L2 (32 FLOP/B), so ~6.7 GB of L2 reads
//   -> ~1 ms at ~7 TB/s of L2, i.e. ~220 TFLOP/s at best; shared memory gives 16 FLOP per byte of
//   fragment loads (2 KB per warp per k step of 8 mma). Reaching peak needs 128x128 tiles, ldmatrix
//   and a cp.async pipeline; this kernel is the correct, spill-free base for that.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "epilogue.cuh"
#include "linear_mma.cuh"
#include "mma_tile.cuh"

namespace kn_linear_mma {

using namespace kn_mma_tile;  // tile shape, storage conversions, mma and the warp's slice loop

struct Args {
    const uint16_t *x;         // [M, K]
    const uint16_t *w;         // [N, K]
    const uint16_t *bias;      // [N] or nullptr
    const uint16_t *gate;      // [B, N'] or nullptr
    const uint16_t *residual;  // [M, N'] or nullptr; may equal y
    uint16_t *y;               // [M, N']
    int64_t rows;              // M
    int64_t rows_per_batch;    // M / B
    int32_t k, n_out;
    int32_t act;
};

// Staged row r of a geglu w tile: 16 a rows, then the same 16 rows of the g half, per warp's 32 rows.
__device__ __forceinline__ int geglu_local_row(int r) { return (r >> 5) * 16 + (r & 15); }

// Stages 64 rows x halves [k0, k0 + 32) of row-major src[.][k] into dst as pairs (low half = even k,
// the fragment order). Staged row r reads src row row0 + r (GEGLU_ROWS: row0 + geglu_local_row(r),
// plus g_offset for the g rows); rows whose local index reaches `rows`, and k >= k, read as zero.
template <bool VEC, bool GEGLU_ROWS>
__device__ __forceinline__ const uint16_t *staged_row(const uint16_t *src, int64_t row0, int64_t rows,
                                                      int64_t g_offset, int32_t k, int r) {
    const int local = GEGLU_ROWS ? geglu_local_row(r) : r;
    if (local >= rows) return nullptr;
    return src + (row0 + local + (GEGLU_ROWS && (r & 16) ? g_offset : 0)) * k;
}

template <bool VEC, bool GEGLU_ROWS>
__device__ __forceinline__ void stage(uint32_t (*dst)[kRowWords], const uint16_t *src, int64_t row0, int64_t rows,
                                      int64_t g_offset, int32_t k, int32_t k0, int tid) {
    if constexpr (VEC) {
        // 64 rows x 4 chunks of 8 halves, 2 chunks per thread; 4 consecutive threads read one row's 64 bytes.
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            const int c = tid + i * kThreads;
            const int r = c >> 2, q = c & 3;
            const uint16_t *s = staged_row<VEC, GEGLU_ROWS>(src, row0, rows, g_offset, k, r);
            const int32_t kk = k0 + q * 8;
            uint4 v = make_uint4(0u, 0u, 0u, 0u);
            if (s != nullptr && kk < k) v = *reinterpret_cast<const uint4 *>(s + kk);
            dst[r][q * 4 + 0] = v.x;
            dst[r][q * 4 + 1] = v.y;
            dst[r][q * 4 + 2] = v.z;
            dst[r][q * 4 + 3] = v.w;
        }
    } else {
        // 64 rows x 16 pairs, 8 pairs per thread; 16 consecutive threads read one row's slice.
#pragma unroll
        for (int i = 0; i < 8; ++i) {
            const int e = tid + i * kThreads;
            const int r = e >> 4, p = e & 15;
            const uint16_t *s = staged_row<VEC, GEGLU_ROWS>(src, row0, rows, g_offset, k, r);
            const int32_t kk = k0 + 2 * p;
            uint32_t lo = 0, hi = 0;
            if (s != nullptr) {
                if (kk < k) lo = s[kk];
                if (kk + 1 < k) hi = s[kk + 1];
            }
            dst[r][p] = lo | (hi << 16);
        }
    }
}

template <bool BF16, bool GEGLU, bool VEC>
__global__ void __launch_bounds__(kThreads) linear_mma(Args a) {
    __shared__ __align__(16) uint32_t xs[kBlockM][kRowWords];
    __shared__ __align__(16) uint32_t ws[kBlockN][kRowWords];
    __shared__ __align__(16) int64_t row_batch[kBlockM];
    const int tid = threadIdx.x;
    const int warp = tid >> 5, lane = tid & 31;
    const int g = lane >> 2, t = lane & 3;  // PTX fragment groupID and threadID_in_group
    const int wm = (warp >> 1) * kWarpM, wn = (warp & 1) * kWarpN;
    const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kBlockM;
    const int32_t n0 = blockIdx.y * (GEGLU ? kBlockN / 2 : kBlockN);  // first output column of this block

    // The gate's batch of each row of the tile, found once before the accumulators are live: a 64-bit
    // division is a subroutine call on the GPU, and calls in the epilogue (with every accumulator live)
    // are where this kernel's register allocation came under pressure.
    if (tid < kBlockM) row_batch[tid] = (m0 + tid) / a.rows_per_batch;
    __syncthreads();

    float acc[kTilesM][kTilesN][4] = {};
    for (int32_t k0 = 0; k0 < a.k; k0 += kSliceK) {
        stage<VEC, false>(xs, a.x, m0, a.rows - m0, 0, a.k, k0, tid);
        stage<VEC, GEGLU>(ws, a.w, n0, a.n_out - n0, a.n_out, a.k, k0, tid);
        __syncthreads();
        warp_slice<BF16>(acc, xs, ws, wm, wn, g, t);
        __syncthreads();
    }

    // Accumulator c[2h + e] of tile (mi, ni) is output row wm + 16 mi + g + 8h, column wn + 8 ni + 2t + e
    // (geglu: column wn / 2 + 8 ni + 2t + e for the a tiles ni < 2, whose g is tile ni + 2).
#pragma unroll
    for (int mi = 0; mi < kTilesM; ++mi) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int64_t m = m0 + wm + mi * 16 + g + 8 * h;
            if (m >= a.rows) continue;
            const int64_t batch = row_batch[wm + mi * 16 + g + 8 * h];
#pragma unroll
            for (int ni = 0; ni < (GEGLU ? kTilesN / 2 : kTilesN); ++ni) {
#pragma unroll
                for (int e = 0; e < 2; ++e) {
                    const int32_t col = n0 + (GEGLU ? wn / 2 : wn) + ni * 8 + 2 * t + e;
                    if (col >= a.n_out) continue;
                    float v = acc[mi][ni][2 * h + e] + (a.bias ? to_float<BF16>(a.bias[col]) : 0.0f);
                    if constexpr (GEGLU) {
                        const float gv = acc[mi][ni + kTilesN / 2][2 * h + e] +
                                         (a.bias ? to_float<BF16>(a.bias[a.n_out + col]) : 0.0f);
                        v *= kn_epilogue::gelu_erf(gv);
                    } else {
                        v = kn_epilogue::activate(a.act, v);
                    }
                    if (a.gate) v *= to_float<BF16>(a.gate[batch * a.n_out + col]);
                    const int64_t at = m * a.n_out + col;
                    if (a.residual) v += to_float<BF16>(a.residual[at]);
                    a.y[at] = to_bits<BF16>(v);
                }
            }
        }
    }
}

template <bool BF16, bool GEGLU>
int32_t launch(const Args &a, dim3 grid, bool vec, cudaStream_t stream) {
    static const char *const names[2][2][2] = {
        {{"linear_mma_f16", "linear_mma_f16 (16-byte loads)"},
         {"linear_mma_f16 (geglu)", "linear_mma_f16 (geglu, 16-byte loads)"}},
        {{"linear_mma_bf16", "linear_mma_bf16 (16-byte loads)"},
         {"linear_mma_bf16 (geglu)", "linear_mma_bf16 (geglu, 16-byte loads)"}}};
    if (vec) {
        KN_LAUNCH((linear_mma<BF16, GEGLU, true>), grid, dim3(kThreads), 0, stream, a);
    } else {
        KN_LAUNCH((linear_mma<BF16, GEGLU, false>), grid, dim3(kThreads), 0, stream, a);
    }
    return kn_cuda_check_launch(names[BF16][GEGLU][vec]);
}

bool aligned16(const void *p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace kn_linear_mma

int32_t kn_cuda_linear_mma(cudaStream_t stream, const kn_linear_params *p) {
    using namespace kn_linear_mma;
    const int32_t dtype = p->x.dtype;
    const kn_tensor *tensors[] = {&p->w, &p->b, &p->residual, &p->gate, &p->y};
    const char *names[] = {"w", "b", "residual", "gate", "y"};
    if (dtype != KN_DTYPE_F16 && dtype != KN_DTYPE_BF16) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " linear: x has dtype %s (%d); the tensor-core path takes f16 or bf16",
                          kn_cuda_dtype_name(dtype), dtype);
        return KN_ERR_UNSUPPORTED;
    }
    for (int i = 0; i < 5; ++i) {
        const kn_tensor &t = *tensors[i];
        if (t.data != nullptr && t.dtype != dtype) {
            kn_cuda_set_error(KN_CUDA_BACKEND_NAME " linear: %s has dtype %s (%d), expected x's dtype %s", names[i],
                              kn_cuda_dtype_name(t.dtype), t.dtype, kn_cuda_dtype_name(dtype));
            return KN_ERR_UNSUPPORTED;
        }
    }
    const int rank = p->x.rank;
    Args a;
    a.rows = 1;
    for (int i = 0; i < rank - 1; ++i) a.rows *= p->x.shape[i];
    if (p->x.shape[rank - 1] > INT32_MAX / 2 || p->w.shape[0] > INT32_MAX / 2) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " linear: K = %lld or N = %lld exceeds this backend's 32-bit limit",
                          static_cast<long long>(p->x.shape[rank - 1]), static_cast<long long>(p->w.shape[0]));
        return KN_ERR_UNSUPPORTED;
    }
    a.k = static_cast<int32_t>(p->x.shape[rank - 1]);
    const int32_t n = static_cast<int32_t>(p->w.shape[0]);
    a.n_out = p->act == KN_ACT_GEGLU ? n / 2 : n;
    if (a.rows == 0 || a.n_out == 0) return KN_OK;
    a.rows_per_batch = a.rows / p->x.shape[0];
    a.x = static_cast<const uint16_t *>(p->x.data);
    a.w = static_cast<const uint16_t *>(p->w.data);
    a.bias = static_cast<const uint16_t *>(p->b.data);
    a.gate = static_cast<const uint16_t *>(p->gate.data);
    a.residual = static_cast<const uint16_t *>(p->residual.data);
    a.y = static_cast<uint16_t *>(p->y.data);
    a.act = p->act;
    const int64_t row_blocks = (a.rows + kBlockM - 1) / kBlockM;
    if (row_blocks > INT32_MAX) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " linear: %lld rows exceed this backend's grid limit",
                          static_cast<long long>(a.rows));
        return KN_ERR_UNSUPPORTED;
    }
    const bool geglu = p->act == KN_ACT_GEGLU;
    const int32_t block_cols = geglu ? kBlockN / 2 : kBlockN;
    const dim3 grid(static_cast<unsigned>(row_blocks), static_cast<unsigned>((a.n_out + block_cols - 1) / block_cols));
    const bool vec = a.k % 8 == 0 && aligned16(a.x) && aligned16(a.w);
    if (dtype == KN_DTYPE_BF16)
        return geglu ? launch<true, true>(a, grid, vec, stream) : launch<true, false>(a, grid, vec, stream);
    return geglu ? launch<false, true>(a, grid, vec, stream) : launch<false, false>(a, grid, vec, stream);
}
