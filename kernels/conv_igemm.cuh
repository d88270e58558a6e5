// conv_igemm.cuh - the implicit-GEMM core shared by conv_spatial.cu and conv_temporal.cu.
//
// A convolution with a KT x KS x KS kernel (stride 1 in time, `stride` in space, "same"-style padding
// KT/2, KS/2) on channels-last f32 is the GEMM
//     Y[m, n] = sum_k A[m, k] * B[k, n] (+ bias[n]) (+ residual[m, n])
// with m = output pixel (b, t, oh, ow), n = output channel, k = (ci, tap) and tap = (dt, dh, dw).
// A is never materialised: each K slice is gathered from x straight into shared memory.
//
// Tiling: a block of 256 threads computes 128 pixels x 64 channels; each thread an 8 x 4 register tile
// (pixels ty*4..+3 and 64+ty*4..+3, channels tx*4..+3). K advances in slices of 16 through a
// double-buffered shared-memory stage (A as [k][m], B as [k][n], padded by 4 floats); the next slice is
// fetched into registers while the current one is multiplied, one barrier per slice.
// Per k step a thread reads 3 float4 from shared memory for 32 FMAs.
//
// Two ways of walking K, picked by the host:
//  - kVecA (Ci % 4 == 0, x 16-byte aligned): slices are (16-channel chunk, tap), tap innermost, so a
//    slice is 16 contiguous channels of one shifted pixel, loaded as float4; the weight rows of one
//    chunk stay in L1 across its taps. Ci % 16 != 0 masks the chunk's tail.
//  - flat (any Ci, e.g. 3 or 5): k = ci * TAPS + tap runs through Ci * TAPS without padding per tap,
//    which keeps small-Ci layers (the RGB/latent input conv) from wasting 13/16 of every slice.
#pragma once

#include "common.cuh"
#include "entries.cuh"

namespace kn_conv {

constexpr int kTileM = 128;  // output pixels per block
constexpr int kTileN = 64;   // output channels per block
constexpr int kTileK = 16;   // reduction slice per shared-memory stage
constexpr int kThreads = 256;
constexpr int kStrideM = kTileM + 4;  // padded rows: float4-aligned, fewer bank conflicts on stores
constexpr int kStrideN = kTileN + 4;

struct ConvArgs {
    const float *x;         // [B, T, H, W, Ci]
    const float *w;         // [Co, Ci, KT, KS, KS]
    const float *bias;      // [Co] or nullptr
    const float *residual;  // [B, T, Ho, Wo, Co] or nullptr; may equal y
    float *y;               // [B, T, Ho, Wo, Co]
    int64_t pixels;         // M = B * T * Ho * Wo
    int32_t frames;         // T (output frames == input frames)
    int32_t height, width;  // H, W
    int32_t out_height, out_width;
    int32_t in_channels, out_channels;
    int32_t stride;         // spatial stride
    int32_t vec_out;        // 1 when Co % 4 == 0 and y, residual, bias are 16-byte aligned
};

// Where output pixel m reads its taps from: the input element offset of tap (0,0,0) and its coordinates.
struct PixelOrigin {
    int64_t offset;  // may point before x when the origin lies in the padding; only added to, never read
    int32_t t0, h0, w0;
    bool valid;      // m < M
};

template <int KT, int KS>
__device__ __forceinline__ PixelOrigin pixel_origin(const ConvArgs &a, int64_t m) {
    PixelOrigin o;
    o.valid = m < a.pixels;
    if (!o.valid) m = 0;
    const int64_t ow = m % a.out_width;
    int64_t r = m / a.out_width;
    const int64_t oh = r % a.out_height;
    r /= a.out_height;
    const int64_t t = r % a.frames;
    const int64_t frame = r - t;  // b * T
    o.t0 = static_cast<int32_t>(t) - KT / 2;
    o.h0 = static_cast<int32_t>(oh) * a.stride - KS / 2;
    o.w0 = static_cast<int32_t>(ow) * a.stride - KS / 2;
    o.offset = (((frame + o.t0) * a.height + o.h0) * static_cast<int64_t>(a.width) + o.w0) * a.in_channels;
    return o;
}

// True when tap (dt, dh, dw) of this pixel falls inside x (not in the zero padding).
template <int KT, int KS>
__device__ __forceinline__ bool tap_inside(const ConvArgs &a, const PixelOrigin &o, int dt, int dh, int dw) {
    bool inside = o.valid;
    if (KT > 1) inside = inside && static_cast<unsigned>(o.t0 + dt) < static_cast<unsigned>(a.frames);
    if (KS > 1) {
        inside = inside && static_cast<unsigned>(o.h0 + dh) < static_cast<unsigned>(a.height) &&
                 static_cast<unsigned>(o.w0 + dw) < static_cast<unsigned>(a.width);
    }
    return inside;
}

template <int KT, int KS>
__device__ __forceinline__ int64_t tap_offset(const ConvArgs &a, int dt, int dh, int dw) {
    return ((static_cast<int64_t>(dt) * a.height + dh) * a.width + dw) * a.in_channels;
}

// out = acc (+ bias) (+ residual) for one pixel row of 4 channels starting at n.
__device__ __forceinline__ void store_row(const ConvArgs &a, int64_t m, int n, const float acc[4]) {
    const int64_t row = m * a.out_channels;
    if (a.vec_out && n + 3 < a.out_channels) {
        float4 v = make_float4(acc[0], acc[1], acc[2], acc[3]);
        if (a.bias) {
            const float4 b = *reinterpret_cast<const float4 *>(a.bias + n);
            v.x += b.x; v.y += b.y; v.z += b.z; v.w += b.w;
        }
        if (a.residual) {
            const float4 r = *reinterpret_cast<const float4 *>(a.residual + row + n);
            v.x += r.x; v.y += r.y; v.z += r.z; v.w += r.w;
        }
        *reinterpret_cast<float4 *>(a.y + row + n) = v;
        return;
    }
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        if (n + j < a.out_channels) {
            float v = acc[j];
            if (a.bias) v += a.bias[n + j];
            if (a.residual) v += a.residual[row + n + j];
            a.y[row + n + j] = v;
        }
    }
}

template <int KT, int KS, bool kVecA>
__global__ void __launch_bounds__(kThreads, 2) conv_igemm_f32(ConvArgs a) {
    constexpr int kTaps = KT * KS * KS;
    __shared__ __align__(16) float tile_a[2][kTileK][kStrideM];
    __shared__ __align__(16) float tile_b[2][kTileK][kStrideN];

    const int tid = threadIdx.x;
    const int tx = tid % 16;  // channel group of the register tile
    const int ty = tid / 16;  // pixel group of the register tile
    const int64_t m_block = static_cast<int64_t>(blockIdx.x) * kTileM;
    const int n_block = blockIdx.y * kTileN;
    const int ci_count = a.in_channels;
    const int k_row = ci_count * kTaps;  // weight row length (Ci * TAPS < 2^31 for any real layer)

    // Slice count: kVecA walks ceil(Ci/16) chunks x TAPS taps, flat walks ceil(Ci*TAPS/16).
    const int slices = kVecA ? ((ci_count + kTileK - 1) / kTileK) * kTaps : (k_row + kTileK - 1) / kTileK;

    // A loader: kVecA: 2 pixels x one float4 of channels; flat: 1 pixel x 8 k values.
    constexpr int kPixelsPerLoader = kVecA ? 2 : 1;
    const int a_k = kVecA ? (tid % 4) * 4 : tid / kTileM;
    const int a_m = kVecA ? tid / 4 : tid % kTileM;
    PixelOrigin origin[kPixelsPerLoader];
#pragma unroll
    for (int i = 0; i < kPixelsPerLoader; ++i) origin[i] = pixel_origin<KT, KS>(a, m_block + a_m + i * 64);

    // B loader: 4 output channels x one k value.
    const int b_k = tid % kTileK;
    const int b_n = tid / kTileK;

    float a_regs[8];
    float b_regs[4];

    auto load_slice = [&](int s) {
        if (kVecA) {
            const int tap = s % kTaps;
            const int c0 = (s / kTaps) * kTileK;
            const int dt = tap / (KS * KS), dh = (tap / KS) % KS, dw = tap % KS;
            const int64_t toff = tap_offset<KT, KS>(a, dt, dh, dw);
            const int ci = c0 + a_k;
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
                if (ci < ci_count && tap_inside<KT, KS>(a, origin[i], dt, dh, dw))
                    v = *reinterpret_cast<const float4 *>(a.x + origin[i].offset + toff + ci);
                a_regs[4 * i + 0] = v.x; a_regs[4 * i + 1] = v.y;
                a_regs[4 * i + 2] = v.z; a_regs[4 * i + 3] = v.w;
            }
            const int cb = c0 + b_k;
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int n = n_block + b_n + 16 * i;
                b_regs[i] = (cb < ci_count && n < a.out_channels)
                                ? a.w[static_cast<int64_t>(n) * k_row + cb * kTaps + tap] : 0.f;
            }
        } else {
#pragma unroll
            for (int i = 0; i < 8; ++i) {
                const int k = s * kTileK + a_k + 2 * i;
                const int ci = k / kTaps;
                const int tap = k % kTaps;
                const int dt = tap / (KS * KS), dh = (tap / KS) % KS, dw = tap % KS;
                a_regs[i] = (k < k_row && tap_inside<KT, KS>(a, origin[0], dt, dh, dw))
                                ? a.x[origin[0].offset + tap_offset<KT, KS>(a, dt, dh, dw) + ci] : 0.f;
            }
            const int kb = s * kTileK + b_k;
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int n = n_block + b_n + 16 * i;
                b_regs[i] = (kb < k_row && n < a.out_channels) ? a.w[static_cast<int64_t>(n) * k_row + kb] : 0.f;
            }
        }
    };

    auto store_slice = [&](int buf) {
        if (kVecA) {
#pragma unroll
            for (int i = 0; i < 2; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) tile_a[buf][a_k + j][a_m + 64 * i] = a_regs[4 * i + j];
        } else {
#pragma unroll
            for (int i = 0; i < 8; ++i) tile_a[buf][a_k + 2 * i][a_m] = a_regs[i];
        }
#pragma unroll
        for (int i = 0; i < 4; ++i) tile_b[buf][b_k][b_n + 16 * i] = b_regs[i];
    };

    float acc[8][4];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;

    if (slices > 0) {
        load_slice(0);
        store_slice(0);
    }
    __syncthreads();

    for (int s = 0; s < slices; ++s) {
        const int buf = s & 1;
        if (s + 1 < slices) load_slice(s + 1);  // global loads overlap the FMAs below
#pragma unroll
        for (int k = 0; k < kTileK; ++k) {
            const float4 a_lo = *reinterpret_cast<const float4 *>(&tile_a[buf][k][ty * 4]);
            const float4 a_hi = *reinterpret_cast<const float4 *>(&tile_a[buf][k][64 + ty * 4]);
            const float4 bv = *reinterpret_cast<const float4 *>(&tile_b[buf][k][tx * 4]);
            const float av[8] = {a_lo.x, a_lo.y, a_lo.z, a_lo.w, a_hi.x, a_hi.y, a_hi.z, a_hi.w};
            const float bw[4] = {bv.x, bv.y, bv.z, bv.w};
#pragma unroll
            for (int i = 0; i < 8; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bw[j], acc[i][j]);
        }
        // The other buffer was last read in slice s-1, which every thread finished before the
        // barrier that ended it, so it can be refilled now; one barrier per slice suffices.
        if (s + 1 < slices) store_slice(buf ^ 1);
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 8; ++i) {
        const int64_t m = m_block + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
        if (m < a.pixels) store_row(a, m, n_block + tx * 4, acc[i]);
    }
}

inline bool aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Picks the K walk from Ci and x's alignment and launches on `stream`.
template <int KT, int KS>
int32_t launch_conv_igemm_f32(const ConvArgs &a, cudaStream_t stream, const char *name_vec,
                              const char *name_flat) {
    if (a.pixels == 0 || a.out_channels == 0) return KN_OK;
    const dim3 grid(static_cast<unsigned>((a.pixels + kTileM - 1) / kTileM),
                    static_cast<unsigned>((a.out_channels + kTileN - 1) / kTileN));
    const bool vec_a = a.in_channels % 4 == 0 && aligned16(a.x);
    if (vec_a) {
        KN_LAUNCH((conv_igemm_f32<KT, KS, true>), grid, dim3(kThreads), 0, stream, a);
        return kn_cuda_check_launch(name_vec);
    }
    KN_LAUNCH((conv_igemm_f32<KT, KS, false>), grid, dim3(kThreads), 0, stream, a);
    return kn_cuda_check_launch(name_flat);
}

// Fills ConvArgs from validated tensors (x [B,T,H,W,Ci], y [B,T,Ho,Wo,Co]). The kernel keeps spatial
// sizes and channel counts in 32 bits; a dimension beyond that is refused rather than wrapped.
inline int32_t make_conv_args(const char *op, const kn_tensor &x, const kn_tensor &w, const kn_tensor &b,
                              const kn_tensor &residual, const kn_tensor &y, int32_t stride, ConvArgs *out) {
    const int64_t limit = INT32_MAX / 32;  // headroom for h * stride and Ci * 27
    const char *names[] = {"x.shape[1] (T)", "x.shape[2] (H)", "x.shape[3] (W)", "x.shape[4] (Ci)",
                           "y.shape[4] (Co)"};
    const int64_t dims[] = {x.shape[1], x.shape[2], x.shape[3], x.shape[4], y.shape[4]};
    for (int i = 0; i < 5; ++i) {
        if (dims[i] > limit) {
            kn_cuda_set_error(KN_CUDA_BACKEND_NAME " %s: %s is %lld, this backend supports at most %lld", op,
                              names[i], static_cast<long long>(dims[i]), static_cast<long long>(limit));
            return KN_ERR_UNSUPPORTED;
        }
    }
    ConvArgs a;
    a.x = static_cast<const float *>(x.data);
    a.w = static_cast<const float *>(w.data);
    a.bias = static_cast<const float *>(b.data);
    a.residual = static_cast<const float *>(residual.data);
    a.y = static_cast<float *>(y.data);
    a.pixels = y.shape[0] * y.shape[1] * y.shape[2] * y.shape[3];
    a.frames = static_cast<int32_t>(x.shape[1]);
    a.height = static_cast<int32_t>(x.shape[2]);
    a.width = static_cast<int32_t>(x.shape[3]);
    a.out_height = static_cast<int32_t>(y.shape[2]);
    a.out_width = static_cast<int32_t>(y.shape[3]);
    a.in_channels = static_cast<int32_t>(x.shape[4]);
    a.out_channels = static_cast<int32_t>(y.shape[4]);
    a.stride = stride;
    a.vec_out = a.out_channels % 4 == 0 && aligned16(a.y) && aligned16(a.bias) && aligned16(a.residual);
    *out = a;
    return KN_OK;
}

}  // namespace kn_conv
