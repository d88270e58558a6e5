// conv_temporal.cu - the 3x1x1 convolution along time with zero padding (OPS.md conv_temporal),
// channels-last f32, optional bias and residual (residual may be y).
//
// Kernel: conv_igemm_f32<3, 1, vec> (conv_igemm.cuh): implicit GEMM, M = B*T*H*W pixels, N = Co,
// K = 3*Ci; the three taps are the same pixel in frames t-1, t, t+1 (zero outside [0, T)).
// 128x64 block tile, 8x4 per thread, K slices of 16.
//
// Napkin math (H100: 67 TFLOP/s f32 SIMT, 3.35 TB/s), 16 frames of 64x64, Ci = Co = 320:
//   FLOPs 2 * 65536 * 320 * 960 = 40 GFLOP     -> 0.6 ms at SIMT peak
//   bytes x + y + w = 84 + 84 + 1.2 MB = 169 MB -> 50 us at HBM peak
//   ~240 FLOP/byte: compute bound in f32; a block's 128 pixels of frames t-1..t+1 are re-read
//   through L2 (3x x traffic at worst, still far below the compute time).
#include "conv_igemm.cuh"
#include "conv_mma.cuh"
#include "entries.cuh"

int32_t kn_cuda_conv_temporal(cudaStream_t stream, const kn_conv_temporal_params *p) {
    const char *op = "conv_temporal";
    int32_t st = KN_OK;
    // f16/bf16 run on tensor cores (conv_mma.cu), which checks that every tensor has x's dtype.
    if (p->x.dtype == KN_DTYPE_F16 || p->x.dtype == KN_DTYPE_BF16)
        return kn_cuda_conv_mma(stream, op, p->x, p->w, p->b, p->residual, p->y, 1);
    if ((st = kn_cuda_require_f32(op, "x", p->x)) || (st = kn_cuda_require_f32(op, "w", p->w)) ||
        (st = kn_cuda_require_f32(op, "b", p->b)) || (st = kn_cuda_require_f32(op, "residual", p->residual)) ||
        (st = kn_cuda_require_f32(op, "y", p->y))) {
        return st;
    }
    kn_conv::ConvArgs a;
    if ((st = kn_conv::make_conv_args(op, p->x, p->w, p->b, p->residual, p->y, 1, &a))) return st;
    return kn_conv::launch_conv_igemm_f32<3, 1>(a, stream, "conv_temporal_3x1x1_f32 (float4 loads)",
                                                "conv_temporal_3x1x1_f32 (flat K)");
}
