// elementwise.cu - add, mul, silu, gelu (erf), scale_add (OPS.md elementwise); f32, f16 or bf16 storage
// (one dtype for x, z, y), f32 arithmetic, one rounding per stored element (storage.cuh).
//
// Kernel: grid-stride loop, 256 threads a block, one template instance per op (no per-element
// branch on the kind). z broadcasts as broadcast.h defines (x viewed as [outer, middle, inner]): one
// instance per form of z (kZ), so the common forms pay no extra index math: kZFull (z has x's
// shape: z[i]), kZTrailing (outer = 1, z's shape a suffix of x's: z[i % inner]) and kZOuter (e.g.
// z[B,1,1,1,C] for x[B,T,H,W,C]: z[(i / (middle*inner)) * inner + i % inner]). 4-element vector
// loads/stores (float4, or 8 bytes of f16/bf16) when x, y (and z) are 16-byte aligned and
// inner % 4 == 0, so a vector never straddles a z run; the rest (or everything, when unaligned) one
// element at a time. Each element is read and written by the same thread, so y may be x.
//
// Napkin math (H100: 3.35 TB/s): add/mul/scale_add stream 12 B per element (8 B with a broadcast z
// that stays in L1/L2), silu/gelu 8 B, against 1-30 FLOPs: ~0.1-4 FLOP/byte, memory bound. A
// B=1,T=16,64x64,C=320 activation (21M floats, 84 MB in + 84 MB out for silu) takes ~50 us at peak;
// erff and expf cost far less than the bytes.
#include "storage.cuh"

#include <math.h>

#include "broadcast.h"

namespace kn_ew {

constexpr int kThreads = 256;

// How z's index follows from x's (see the file comment).
constexpr int kZFull = 0, kZTrailing = 1, kZOuter = 2;

template <typename S>
struct Args {
    const S *x, *z;
    S *y;
    int64_t count, inner, period; /* period = middle * inner */
    float a, b;
};

// z's index for x element i; the vector loop passes indices, inner and period in units of 4 elements.
template <int kZ>
__device__ __forceinline__ int64_t z_index(int64_t i, int64_t inner, int64_t period) {
    if (kZ == kZFull) return i;
    if (kZ == kZTrailing) return i % inner;
    return (i / period) * inner + i % inner;
}

template <int kOp>
__device__ __forceinline__ float apply(float x, float z, float a, float b) {
    if (kOp == KN_ELEMENTWISE_ADD) return x + z;
    if (kOp == KN_ELEMENTWISE_MUL) return x * z;
    if (kOp == KN_ELEMENTWISE_SILU) return x / (1.0f + expf(-x));
    if (kOp == KN_ELEMENTWISE_GELU) return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    return fmaf(a, x, b * z);
}

template <typename S, int kOp, int kZ, bool kVec4>
__global__ void __launch_bounds__(kThreads) elementwise_kernel(Args<S> p) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    constexpr bool kBinary = kOp == KN_ELEMENTWISE_ADD || kOp == KN_ELEMENTWISE_MUL || kOp == KN_ELEMENTWISE_SCALE_ADD;
    int64_t scalar_begin = 0;
    if (kVec4) {
        const int64_t vectors = p.count / 4;
        for (int64_t v = first; v < vectors; v += stride) {
            const float4 xv = kn_load4(p.x + v * 4);
            float4 zv = make_float4(0.f, 0.f, 0.f, 0.f);
            if (kBinary) zv = kn_load4(p.z + z_index<kZ>(v, p.inner / 4, p.period / 4) * 4);
            kn_store4(p.y + v * 4, make_float4(apply<kOp>(xv.x, zv.x, p.a, p.b), apply<kOp>(xv.y, zv.y, p.a, p.b),
                                               apply<kOp>(xv.z, zv.z, p.a, p.b), apply<kOp>(xv.w, zv.w, p.a, p.b)));
        }
        scalar_begin = vectors * 4;
    }
    for (int64_t i = scalar_begin + first; i < p.count; i += stride) {
        const float zv = kBinary ? kn_load(p.z + z_index<kZ>(i, p.inner, p.period)) : 0.f;
        kn_store(p.y + i, apply<kOp>(kn_load(p.x + i), zv, p.a, p.b));
    }
}

template <typename S, int kOp, int kZ>
void launch_shape(const Args<S> &a, bool vec4, unsigned blocks, cudaStream_t stream) {
    // A pointer to the instance: template arguments' commas cannot pass through the launch macro.
    void (*const elementwise_kernel_instance)(Args<S>) =
        vec4 ? elementwise_kernel<S, kOp, kZ, true> : elementwise_kernel<S, kOp, kZ, false>;
    KN_LAUNCH(elementwise_kernel_instance, dim3(blocks), dim3(kThreads), 0, stream, a);
}

template <typename S, int kOp>
void launch_op(const Args<S> &a, bool vec4, unsigned blocks, cudaStream_t stream) {
    constexpr bool kBinary = kOp == KN_ELEMENTWISE_ADD || kOp == KN_ELEMENTWISE_MUL || kOp == KN_ELEMENTWISE_SCALE_ADD;
    if constexpr (!kBinary)
        launch_shape<S, kOp, kZFull>(a, vec4, blocks, stream);
    else if (a.inner == a.count)
        launch_shape<S, kOp, kZFull>(a, vec4, blocks, stream);
    else if (a.period == a.count)
        launch_shape<S, kOp, kZTrailing>(a, vec4, blocks, stream);
    else
        launch_shape<S, kOp, kZOuter>(a, vec4, blocks, stream);
}

bool aligned16(const void *p) { return p == nullptr || (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace kn_ew

namespace kn_ew {

template <typename S>
int32_t launch(cudaStream_t stream, const kn_elementwise_params *p, int64_t numel, bool binary) {
    Args<S> a;
    a.x = static_cast<const S *>(p->x.data);
    a.z = binary ? static_cast<const S *>(p->z.data) : nullptr;
    a.y = static_cast<S *>(p->y.data);
    a.count = numel;
    a.inner = numel;
    a.period = numel;
    kn_broadcast split;
    if (binary) {
        if (!kn_broadcast_split(&p->x, &p->z, &split)) {
            kn_cuda_set_error(KN_CUDA_BACKEND_NAME " elementwise: z does not broadcast to x");
            return KN_ERR_INVALID_ARGUMENT;
        }
        a.inner = split.inner;
        a.period = split.middle * split.inner;
    }
    a.a = static_cast<float>(p->a);
    a.b = static_cast<float>(p->b);
    const bool vec4 = aligned16(a.x) && aligned16(a.y) && aligned16(a.z) && a.inner % 4 == 0;
    // Enough blocks to fill the device (grid-stride beyond that): at most 4096 blocks of 256 threads.
    const int64_t needed = (numel / (vec4 ? 4 : 1) + kThreads - 1) / kThreads;
    const unsigned blocks = static_cast<unsigned>(needed < 1 ? 1 : (needed > 4096 ? 4096 : needed));
    switch (p->op) {
        case KN_ELEMENTWISE_ADD: launch_op<S, KN_ELEMENTWISE_ADD>(a, vec4, blocks, stream); break;
        case KN_ELEMENTWISE_MUL: launch_op<S, KN_ELEMENTWISE_MUL>(a, vec4, blocks, stream); break;
        case KN_ELEMENTWISE_SILU: launch_op<S, KN_ELEMENTWISE_SILU>(a, vec4, blocks, stream); break;
        case KN_ELEMENTWISE_GELU: launch_op<S, KN_ELEMENTWISE_GELU>(a, vec4, blocks, stream); break;
        default: launch_op<S, KN_ELEMENTWISE_SCALE_ADD>(a, vec4, blocks, stream); break;
    }
    return kn_cuda_check_launch("elementwise_kernel");
}

}  // namespace kn_ew

int32_t kn_cuda_elementwise(cudaStream_t stream, const kn_elementwise_params *p) {
    const int32_t dt = p->x.dtype;
    const bool binary = p->op == KN_ELEMENTWISE_ADD || p->op == KN_ELEMENTWISE_MUL || p->op == KN_ELEMENTWISE_SCALE_ADD;
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage("elementwise", "x", p->x)) ||
        (binary && (st = kn_cuda_require_dtype("elementwise", "z", p->z, dt))) ||
        (st = kn_cuda_require_dtype("elementwise", "y", p->y, dt)))
        return st;
    int64_t numel = 1;
    for (int32_t i = 0; i < p->x.rank; ++i) numel *= p->x.shape[i];
    if (numel == 0) return KN_OK;
    if (dt == KN_DTYPE_F16) return kn_ew::launch<__half>(stream, p, numel, binary);
    if (dt == KN_DTYPE_BF16) return kn_ew::launch<__nv_bfloat16>(stream, p, numel, binary);
    return kn_ew::launch<float>(stream, p, numel, binary);
}
