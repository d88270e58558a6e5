// conv_spatial.cu - the 1x3x3 / 1x1x1 convolution of factorized video U-Nets (OPS.md conv_spatial),
// channels-last f32, stride 1 or 2, padding k/2, optional bias and residual (residual may be y).
//
// Kernel: conv_igemm_f32<1, k, vec> (conv_igemm.cuh): implicit GEMM, M = B*T*Ho*Wo pixels,
// N = Co, K = 9*Ci (3x3) or Ci (1x1); 128x64 block tile, 8x4 per thread, K slices of 16.
//
// Napkin math (H100: 67 TFLOP/s f32 SIMT, 3.35 TB/s), 3x3, 16 frames of 64x64, Ci = Co = 320:
//   FLOPs 2*M*N*K = 2 * 65536 * 320 * 2880 = 121 GFLOP  -> 1.8 ms at SIMT peak
//   bytes x + y + w = 84 + 84 + 3.7 MB = 172 MB          -> 51 us at HBM peak
//   ~700 FLOP/byte: compute bound; each block re-reads its pixels' 3x3 neighbourhood through L1/L2,
//   so DRAM traffic stays close to the 172 MB. 1x1 (K = Ci): 78 FLOP/byte, still compute bound.
//   Tensor cores (989 TFLOP/s bf16) would make it memory bound: that is the later bf16 path.
#include "conv_igemm.cuh"
#include "conv_mma.cuh"
#include "entries.cuh"

namespace {

int32_t launch_conv_spatial(const kn_conv::ConvArgs &a, int kernel_size, cudaStream_t stream) {
    if (kernel_size == 3) {
        return kn_conv::launch_conv_igemm_f32<1, 3>(a, stream, "conv_spatial_3x3_f32 (float4 loads)",
                                                    "conv_spatial_3x3_f32 (flat K)");
    }
    return kn_conv::launch_conv_igemm_f32<1, 1>(a, stream, "conv_spatial_1x1_f32 (float4 loads)",
                                                "conv_spatial_1x1_f32 (flat K)");
}

}  // namespace

int32_t kn_cuda_conv_spatial(cudaStream_t stream, const kn_conv_spatial_params *p) {
    const char *op = "conv_spatial";
    int32_t st = KN_OK;
    // f16/bf16 run on tensor cores (conv_mma.cu), which checks that every tensor has x's dtype.
    if (p->x.dtype == KN_DTYPE_F16 || p->x.dtype == KN_DTYPE_BF16)
        return kn_cuda_conv_mma(stream, op, p->x, p->w, p->b, p->residual, p->y, p->stride);
    if ((st = kn_cuda_require_f32(op, "x", p->x)) || (st = kn_cuda_require_f32(op, "w", p->w)) ||
        (st = kn_cuda_require_f32(op, "b", p->b)) || (st = kn_cuda_require_f32(op, "residual", p->residual)) ||
        (st = kn_cuda_require_f32(op, "y", p->y))) {
        return st;
    }
    const int kernel_size = static_cast<int>(p->w.shape[4]);
    if (kernel_size != 1 && kernel_size != 3) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " conv_spatial: w.shape[4] (kernel size) is %d, expected 1 or 3",
                          kernel_size);
        return KN_ERR_INVALID_ARGUMENT;
    }
    kn_conv::ConvArgs a;
    if ((st = kn_conv::make_conv_args(op, p->x, p->w, p->b, p->residual, p->y, p->stride, &a))) return st;
    return launch_conv_spatial(a, kernel_size, stream);
}
