// linear.cu - linear (GEMM with fused epilogue) and conv3d (general odd kernel), f32 (OPS.md).
//
// linear: y = epilogue(x[M,K] @ w[N,K].T + b). Kernel linear_f32: 64x64 block tile, 256 threads,
// 4x4 outputs per thread, K slices of 16 staged in shared memory as [k][m] and [k][n] (padded by 4
// floats against bank conflicts). geglu needs a and g of the same row: a block computes the 64 output
// columns j and the 64 columns j + N' (two accumulator sets, 4x4 each), so the pairing happens in
// registers. The epilogue (activation, gate[b], residual, read before y is written) is fused into the
// store.
// Napkin math (H100: ~67 TFLOP/s f32 SIMT, 3.35 TB/s), M = 65536 tokens, K = N = 1280:
//   FLOPs 2*M*N*K = 215 GFLOP -> 3.2 ms at SIMT peak; bytes (x + y + w) 2*335 + 6.5 MB -> 0.2 ms:
//   compute bound, ~512 FLOP per byte. A 64x64x16 tile does 64K FMAs per 8 KB of shared loads,
//   so shared bandwidth (not DRAM) is the SIMT limit; tensor cores (989 TFLOP/s bf16) would make
//   it memory bound: f16/bf16 take the mma.sync path of linear_mma.cu (forwarded by kn_cuda_linear).
//
// conv3d: the cube-style shapes (KT x KS x KS with KS in {1, 3}, KT in {1, 3}) run conv_igemm.cuh's
// implicit GEMM (128x64 tile, same napkin math as conv_spatial: 3x3x3 C=320 at 16x64x64 is 362 GFLOP,
// 5.4 ms at SIMT peak, compute bound). Any other odd kernel runs conv3d_direct_f32: one thread per
// output element, a plain loop over taps and Ci (correct, ~Ci*taps FMAs per 2 loads; a fallback for
// rare shapes, not a fast path).
#include <math.h>

#include "conv_igemm.cuh"
#include "conv_mma.cuh"
#include "entries.cuh"
#include "epilogue.cuh"
#include "linear_mma.cuh"

namespace {

constexpr int kTile = 64;
constexpr int kSlice = 16;
constexpr int kPad = kTile + 4;
constexpr int kThreads = 256;

struct LinearArgs {
    const float *x;         // [M, K]
    const float *w;         // [N, K]
    const float *bias;      // [N] or nullptr
    const float *gate;      // [B, N'] or nullptr
    const float *residual;  // [M, N'] or nullptr; may equal y
    float *y;               // [M, N']
    int64_t rows;           // M
    int64_t rows_per_batch; // M / B
    int32_t k, n, n_out;
    int32_t act;
};

using kn_epilogue::activate;  // epilogue.cuh: the same f32 activations as linear_mma.cu's kernel
using kn_epilogue::gelu_erf;

// Loads a [64 rows][16 k] slice of a row-major [rows][k] matrix into shared [16][kPad] (transposed).
__device__ __forceinline__ void load_slice(float (*dst)[kPad], const float *src, int64_t row0, int64_t rows,
                                           int32_t k, int32_t k0, int tid) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int e = tid + i * kThreads;  // 0..1023 = 64 rows x 16 k
        const int r = e / kSlice, kk = e % kSlice;
        const int64_t row = row0 + r;
        dst[kk][r] = (row < rows && k0 + kk < k) ? src[row * k + k0 + kk] : 0.0f;
    }
}

template <bool GEGLU>
__global__ void __launch_bounds__(kThreads) linear_f32(LinearArgs a) {
    __shared__ __align__(16) float xs[kSlice][kPad];
    __shared__ __align__(16) float ws[kSlice][kPad];
    __shared__ __align__(16) float gs[GEGLU ? kSlice : 1][GEGLU ? kPad : 1];
    const int tid = threadIdx.x;
    const int tx = tid % 16, ty = tid / 16;
    const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kTile;
    const int32_t n0 = blockIdx.y * kTile;  // first output column of this block

    float acc[4][4] = {};
    float gacc[GEGLU ? 4 : 1][GEGLU ? 4 : 1] = {};
    for (int32_t k0 = 0; k0 < a.k; k0 += kSlice) {
        load_slice(xs, a.x, m0, a.rows, a.k, k0, tid);
        load_slice(ws, a.w + static_cast<int64_t>(n0) * a.k, 0, a.n_out - n0, a.k, k0, tid);
        if constexpr (GEGLU)
            load_slice(gs, a.w + static_cast<int64_t>(a.n_out + n0) * a.k, 0, a.n_out - n0, a.k, k0, tid);
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < kSlice; ++kk) {
            float xv[4], wv[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) xv[i] = xs[kk][ty * 4 + i];
#pragma unroll
            for (int j = 0; j < 4; ++j) wv[j] = ws[kk][tx * 4 + j];
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(xv[i], wv[j], acc[i][j]);
            if constexpr (GEGLU) {
#pragma unroll
                for (int j = 0; j < 4; ++j) wv[j] = gs[kk][tx * 4 + j];
#pragma unroll
                for (int i = 0; i < 4; ++i)
#pragma unroll
                    for (int j = 0; j < 4; ++j) gacc[i][j] = fmaf(xv[i], wv[j], gacc[i][j]);
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int64_t m = m0 + ty * 4 + i;
        if (m >= a.rows) continue;
        const int64_t batch = m / a.rows_per_batch;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int32_t col = n0 + tx * 4 + j;
            if (col >= a.n_out) continue;
            float v = acc[i][j] + (a.bias ? a.bias[col] : 0.0f);
            if constexpr (GEGLU) {
                v *= gelu_erf(gacc[i][j] + (a.bias ? a.bias[a.n_out + col] : 0.0f));
            } else {
                v = activate(a.act, v);
            }
            if (a.gate) v *= a.gate[batch * a.n_out + col];
            const int64_t at = m * a.n_out + col;
            if (a.residual) v += a.residual[at];
            a.y[at] = v;
        }
    }
}

struct Conv3dArgs {
    const float *x, *w, *bias, *residual;
    float *y;
    int64_t outputs;  // B*T*H*W*Co
    int32_t frames, height, width, ci, co, kt, kh, kw;
};

__global__ void __launch_bounds__(kThreads) conv3d_direct_f32(Conv3dArgs a) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
    if (i >= a.outputs) return;
    const int32_t o = static_cast<int32_t>(i % a.co);
    int64_t r = i / a.co;
    const int32_t ow = static_cast<int32_t>(r % a.width);
    r /= a.width;
    const int32_t oh = static_cast<int32_t>(r % a.height);
    r /= a.height;
    const int32_t t = static_cast<int32_t>(r % a.frames);
    const int64_t b = r / a.frames;
    float acc = a.bias ? a.bias[o] : 0.0f;
    for (int32_t dt = 0; dt < a.kt; ++dt) {
        const int32_t ti = t + dt - a.kt / 2;
        if (ti < 0 || ti >= a.frames) continue;
        for (int32_t dh = 0; dh < a.kh; ++dh) {
            const int32_t hi = oh + dh - a.kh / 2;
            if (hi < 0 || hi >= a.height) continue;
            for (int32_t dw = 0; dw < a.kw; ++dw) {
                const int32_t wi = ow + dw - a.kw / 2;
                if (wi < 0 || wi >= a.width) continue;
                const float *xp = a.x + (((b * a.frames + ti) * a.height + hi) * a.width + wi) * a.ci;
                const int64_t tap = (static_cast<int64_t>(dt) * a.kh + dh) * a.kw + dw;
                const int64_t taps = static_cast<int64_t>(a.kt) * a.kh * a.kw;
                const float *wp = a.w + static_cast<int64_t>(o) * a.ci * taps + tap;
                for (int32_t c = 0; c < a.ci; ++c) acc = fmaf(xp[c], wp[c * taps], acc);
            }
        }
    }
    if (a.residual) acc += a.residual[i];
    a.y[i] = acc;
}

int32_t require_f32_all(const char *op, const kn_tensor *const *tensors, const char *const *names, int count) {
    for (int i = 0; i < count; ++i) {
        const int32_t st = kn_cuda_require_f32(op, names[i], *tensors[i]);
        if (st) return st;
    }
    return KN_OK;
}

}  // namespace

int32_t kn_cuda_linear(cudaStream_t stream, const kn_linear_params *p) {
    const char *op = "linear";
    const kn_tensor *tensors[] = {&p->x, &p->w, &p->b, &p->residual, &p->gate, &p->y};
    const char *names[] = {"x", "w", "b", "residual", "gate", "y"};
    // f16/bf16 (validation guarantees one dtype for all tensors) go to the tensor-core kernel.
    if (p->x.dtype == KN_DTYPE_F16 || p->x.dtype == KN_DTYPE_BF16) return kn_cuda_linear_mma(stream, p);
    if (const int32_t st = require_f32_all(op, tensors, names, 6)) return st;
    LinearArgs a;
    const int rank = p->x.rank;
    a.rows = 1;
    for (int i = 0; i < rank - 1; ++i) a.rows *= p->x.shape[i];
    if (p->x.shape[rank - 1] > INT32_MAX / 2 || p->w.shape[0] > INT32_MAX / 2) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " linear: K = %lld or N = %lld exceeds this backend's 32-bit limit",
                          static_cast<long long>(p->x.shape[rank - 1]), static_cast<long long>(p->w.shape[0]));
        return KN_ERR_UNSUPPORTED;
    }
    a.k = static_cast<int32_t>(p->x.shape[rank - 1]);
    a.n = static_cast<int32_t>(p->w.shape[0]);
    a.n_out = p->act == KN_ACT_GEGLU ? a.n / 2 : a.n;
    if (a.rows == 0 || a.n_out == 0) return KN_OK;
    a.rows_per_batch = a.rows / p->x.shape[0];
    a.x = static_cast<const float *>(p->x.data);
    a.w = static_cast<const float *>(p->w.data);
    a.bias = static_cast<const float *>(p->b.data);
    a.gate = static_cast<const float *>(p->gate.data);
    a.residual = static_cast<const float *>(p->residual.data);
    a.y = static_cast<float *>(p->y.data);
    a.act = p->act;
    const int64_t row_blocks = (a.rows + kTile - 1) / kTile;
    if (row_blocks > INT32_MAX) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " linear: %lld rows exceed this backend's grid limit",
                          static_cast<long long>(a.rows));
        return KN_ERR_UNSUPPORTED;
    }
    const dim3 grid(static_cast<unsigned>(row_blocks), static_cast<unsigned>((a.n_out + kTile - 1) / kTile));
    if (p->act == KN_ACT_GEGLU) {
        KN_LAUNCH(linear_f32<true>, grid, dim3(kThreads), 0, stream, a);
        return kn_cuda_check_launch("linear_f32 (geglu)");
    }
    KN_LAUNCH(linear_f32<false>, grid, dim3(kThreads), 0, stream, a);
    return kn_cuda_check_launch("linear_f32");
}

int32_t kn_cuda_conv3d(cudaStream_t stream, const kn_conv3d_params *p) {
    const char *op = "conv3d";
    const kn_tensor *tensors[] = {&p->x, &p->w, &p->b, &p->residual, &p->y};
    const char *names[] = {"x", "w", "b", "residual", "y"};
    // f16/bf16 (kernels KT x KS x KS, KT and KS in {1, 3}) run on tensor cores (conv_mma.cu).
    if (p->x.dtype == KN_DTYPE_F16 || p->x.dtype == KN_DTYPE_BF16)
        return kn_cuda_conv_mma(stream, op, p->x, p->w, p->b, p->residual, p->y, 1);
    if (const int32_t st = require_f32_all(op, tensors, names, 5)) return st;
    kn_conv::ConvArgs a;
    if (const int32_t st = kn_conv::make_conv_args(op, p->x, p->w, p->b, p->residual, p->y, 1, &a)) return st;
    if (a.pixels == 0 || a.out_channels == 0) return KN_OK;
    const int64_t kt = p->w.shape[2], kh = p->w.shape[3], kw = p->w.shape[4];
    if (kh == kw && (kh == 1 || kh == 3) && (kt == 1 || kt == 3)) {
        if (kt == 3 && kh == 3) return kn_conv::launch_conv_igemm_f32<3, 3>(a, stream, "conv3d_3x3x3_f32 (float4 loads)", "conv3d_3x3x3_f32 (flat K)");
        if (kt == 3) return kn_conv::launch_conv_igemm_f32<3, 1>(a, stream, "conv3d_3x1x1_f32 (float4 loads)", "conv3d_3x1x1_f32 (flat K)");
        if (kh == 3) return kn_conv::launch_conv_igemm_f32<1, 3>(a, stream, "conv3d_1x3x3_f32 (float4 loads)", "conv3d_1x3x3_f32 (flat K)");
        return kn_conv::launch_conv_igemm_f32<1, 1>(a, stream, "conv3d_1x1x1_f32 (float4 loads)", "conv3d_1x1x1_f32 (flat K)");
    }
    if (kt > 63 || kh > 63 || kw > 63) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " conv3d: kernel %lldx%lldx%lld exceeds this backend's limit of 63",
                          static_cast<long long>(kt), static_cast<long long>(kh), static_cast<long long>(kw));
        return KN_ERR_UNSUPPORTED;
    }
    Conv3dArgs d;
    d.x = a.x;
    d.w = a.w;
    d.bias = a.bias;
    d.residual = a.residual;
    d.y = a.y;
    d.outputs = a.pixels * a.out_channels;
    d.frames = a.frames;
    d.height = a.height;
    d.width = a.width;
    d.ci = a.in_channels;
    d.co = a.out_channels;
    d.kt = static_cast<int32_t>(kt);
    d.kh = static_cast<int32_t>(kh);
    d.kw = static_cast<int32_t>(kw);
    const int64_t blocks = (d.outputs + kThreads - 1) / kThreads;
    if (blocks > INT32_MAX) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " conv3d: %lld outputs exceed this backend's grid limit",
                          static_cast<long long>(d.outputs));
        return KN_ERR_UNSUPPORTED;
    }
    KN_LAUNCH(conv3d_direct_f32, dim3(static_cast<unsigned>(blocks)), dim3(kThreads), 0, stream, d);
    return kn_cuda_check_launch("conv3d_direct_f32");
}
