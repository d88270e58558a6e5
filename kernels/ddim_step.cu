// ddim_step.cu - fused classifier-free guidance + DDIM / v / x0 update (OPS.md ddim_step); f32, f16 or
// bf16 storage (one dtype for all tensors), f32 arithmetic, one rounding per stored y / x0 element.
//
// One pass over the latent: m = u + w (c - u); x0 and eps from (x, m) by the prediction type;
// optional clip of x0 (eps then recomputed from x0); y = alpha_s x0 + c_eps eps + sigma_eta noise.
// Every per-step scalar (1/alpha_t, sqrt(sigma_s^2 - sigma_eta^2), ...) is computed in double on the
// host, so the kernel does a handful of FMAs per element.
//
// Kernel: grid-stride loop, 256 threads a block; 4-element vector loads/stores (float4, or 8 bytes of
// f16/bf16, storage.cuh) when every pointer is 16-byte aligned, the last numel % 4 elements (or all, when unaligned) one at a time. y may be x (each
// element is read and written by the same thread); out_u, noise and x0 are optional.
//
// Napkin math (H100: 3.35 TB/s): per element reads x, c, u, noise (16 B) and writes y, x0 (8 B),
// ~15 FLOPs -> 0.6 FLOP/byte, memory bound. A 16-frame 4x64x64 latent (262k elements) moves 6.3 MB:
// ~2 us at HBM peak, so the launch (~3-5 us) dominates; fusing the whole step into one launch is the win.
#include "storage.cuh"

#include <math.h>

namespace kn_ddim {

struct DdimCoeffs {
    float guidance;
    float x0_from_x, x0_from_m;    // x0 = x0_from_x * x + x0_from_m * m   (eps and v prediction)
    float eps_from_x, eps_from_m;  // eps = eps_from_x * x + eps_from_m * m (eps and v, no clip)
    float alpha_t, inv_sigma_t;    // eps = (x - alpha_t x0) / sigma_t        (x0 prediction or clip)
    float clip;                    // 0 = off
    float alpha_s, eps_scale, sigma_eta;
    int32_t x0_is_model_output;    // prediction == x0
    int32_t eps_from_x0;           // prediction == x0 or clip
    int32_t has_uncond, has_noise, has_x0_out;
};

template <typename S>
struct DdimArgs {
    const S *x, *out_c, *out_u, *noise;
    S *y, *x0;
    int64_t count;
};

__device__ __forceinline__ float ddim_element(const DdimCoeffs &k, float x, float c, float u, float noise,
                                              float *x0_out) {
    const float m = k.has_uncond ? fmaf(k.guidance, c - u, u) : c;
    float x0 = k.x0_is_model_output ? m : fmaf(k.x0_from_x, x, k.x0_from_m * m);
    if (k.clip > 0.f) x0 = fminf(fmaxf(x0, -k.clip), k.clip);
    const float eps = k.eps_from_x0 ? (x - k.alpha_t * x0) * k.inv_sigma_t : fmaf(k.eps_from_x, x, k.eps_from_m * m);
    *x0_out = x0;
    float y = fmaf(k.alpha_s, x0, k.eps_scale * eps);
    if (k.has_noise) y = fmaf(k.sigma_eta, noise, y);
    return y;
}

// kVec4: elements [0, 4*(count/4)) as 4-element vectors, the tail by threads past the vector part.
template <typename S, bool kVec4>
__global__ void __launch_bounds__(256) ddim_step_kernel(DdimArgs<S> a, DdimCoeffs k) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    int64_t scalar_begin = 0;
    if (kVec4) {
        const int64_t vectors = a.count / 4;
        for (int64_t v = first; v < vectors; v += stride) {
            const int64_t i = v * 4;
            const float4 x = kn_load4(a.x + i);
            const float4 c = kn_load4(a.out_c + i);
            const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
            const float4 u = k.has_uncond ? kn_load4(a.out_u + i) : zero;
            const float4 n = k.has_noise ? kn_load4(a.noise + i) : zero;
            float4 y, x0;
            y.x = ddim_element(k, x.x, c.x, u.x, n.x, &x0.x);
            y.y = ddim_element(k, x.y, c.y, u.y, n.y, &x0.y);
            y.z = ddim_element(k, x.z, c.z, u.z, n.z, &x0.z);
            y.w = ddim_element(k, x.w, c.w, u.w, n.w, &x0.w);
            kn_store4(a.y + i, y);
            if (k.has_x0_out) kn_store4(a.x0 + i, x0);
        }
        scalar_begin = vectors * 4;
    }
    for (int64_t i = scalar_begin + first; i < a.count; i += stride) {
        const float u = k.has_uncond ? kn_load(a.out_u + i) : 0.f;
        const float n = k.has_noise ? kn_load(a.noise + i) : 0.f;
        float x0;
        const float y = ddim_element(k, kn_load(a.x + i), kn_load(a.out_c + i), u, n, &x0);
        kn_store(a.y + i, y);
        if (k.has_x0_out) kn_store(a.x0 + i, x0);
    }
}

bool aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// The step's scalars in double (OPS.md ddim_step). sqrt(sigma_s^2 - sigma_eta^2) is taken at 0 when the
// difference is negative only by rounding (eta = 1), and is NaN, like the reference, when it truly is.
DdimCoeffs ddim_coeffs(const kn_ddim_step_params &p) {
    const double at = p.alpha_t, st = p.sigma_t, as = p.alpha_s, ss = p.sigma_s;
    const double sigma_eta = p.eta > 0 ? p.eta * (ss / st) * sqrt(st * st - (at * ss / as) * (at * ss / as)) : 0.0;
    double eps_var = ss * ss - sigma_eta * sigma_eta;
    if (eps_var < 0 && eps_var > -1e-12 * (ss * ss)) eps_var = 0;
    DdimCoeffs k{};
    k.guidance = static_cast<float>(p.guidance);
    if (p.prediction == KN_PREDICTION_EPS) {
        k.x0_from_x = static_cast<float>(1.0 / at);
        k.x0_from_m = static_cast<float>(-st / at);
        k.eps_from_x = 0.f;
        k.eps_from_m = 1.f;
    } else if (p.prediction == KN_PREDICTION_V) {
        k.x0_from_x = static_cast<float>(at);
        k.x0_from_m = static_cast<float>(-st);
        k.eps_from_x = static_cast<float>(st);
        k.eps_from_m = static_cast<float>(at);
    }
    k.alpha_t = static_cast<float>(at);
    k.inv_sigma_t = static_cast<float>(1.0 / st);
    k.clip = static_cast<float>(p.clip_x0);
    k.alpha_s = static_cast<float>(as);
    k.eps_scale = static_cast<float>(sqrt(eps_var));
    k.sigma_eta = static_cast<float>(sigma_eta);
    k.x0_is_model_output = p.prediction == KN_PREDICTION_X0;
    k.eps_from_x0 = p.prediction == KN_PREDICTION_X0 || p.clip_x0 > 0;
    k.has_uncond = p.out_u.data != nullptr;
    k.has_noise = p.noise.data != nullptr;
    k.has_x0_out = p.x0.data != nullptr;
    return k;
}

int64_t element_count(const kn_tensor &t) {
    int64_t n = 1;
    for (int32_t i = 0; i < t.rank; ++i) n *= t.shape[i];
    return n;
}

}  // namespace kn_ddim

namespace kn_ddim {

template <typename S>
int32_t launch(cudaStream_t stream, const kn_ddim_step_params *p, const DdimCoeffs &k, const char *vec_name,
               const char *scalar_name) {
    DdimArgs<S> a;
    a.x = static_cast<const S *>(p->x.data);
    a.out_c = static_cast<const S *>(p->out_c.data);
    a.out_u = static_cast<const S *>(p->out_u.data);
    a.noise = static_cast<const S *>(p->noise.data);
    a.y = static_cast<S *>(p->y.data);
    a.x0 = static_cast<S *>(p->x0.data);
    a.count = element_count(p->x);
    const bool vec4 = aligned16(a.x) && aligned16(a.out_c) && aligned16(a.out_u) && aligned16(a.noise) &&
                      aligned16(a.y) && aligned16(a.x0);
    const int64_t work = vec4 ? a.count / 4 + 3 : a.count;  // +3: the scalar tail runs on the same grid
    const int64_t max_blocks = 8192;  // fills any current GPU many times over; the grid-stride loop does the rest
    const int64_t blocks = (work + 255) / 256 < max_blocks ? (work + 255) / 256 : max_blocks;
    // A pointer to the instance: template arguments' commas cannot pass through the launch macro.
    void (*const ddim_step_kernel_instance)(DdimArgs<S>, DdimCoeffs) =
        vec4 ? ddim_step_kernel<S, true> : ddim_step_kernel<S, false>;
    KN_LAUNCH(ddim_step_kernel_instance, dim3(static_cast<unsigned>(blocks)), dim3(256), 0, stream, a, k);
    return kn_cuda_check_launch(vec4 ? vec_name : scalar_name);
}

}  // namespace kn_ddim

int32_t kn_cuda_ddim_step(cudaStream_t stream, const kn_ddim_step_params *p) {
    const char *op = "ddim_step";
    const int32_t dt = p->x.dtype;
    int32_t st = KN_OK;
    if ((st = kn_cuda_require_storage(op, "x", p->x)) || (st = kn_cuda_require_dtype(op, "out_c", p->out_c, dt)) ||
        (st = kn_cuda_require_dtype(op, "out_u", p->out_u, dt)) || (st = kn_cuda_require_dtype(op, "noise", p->noise, dt)) ||
        (st = kn_cuda_require_dtype(op, "y", p->y, dt)) || (st = kn_cuda_require_dtype(op, "x0", p->x0, dt))) {
        return st;
    }
    if (p->prediction < KN_PREDICTION_EPS || p->prediction > KN_PREDICTION_X0) {
        kn_cuda_set_error(KN_CUDA_BACKEND_NAME " ddim_step: prediction is %d, expected 0 (eps), 1 (v) or 2 (x0)",
                          p->prediction);
        return KN_ERR_INVALID_ARGUMENT;
    }
    using namespace kn_ddim;
    if (element_count(p->x) == 0) return KN_OK;
    const DdimCoeffs k = ddim_coeffs(*p);
    if (dt == KN_DTYPE_F16) return launch<__half>(stream, p, k, "ddim_step<f16> (vector)", "ddim_step<f16> (scalar)");
    if (dt == KN_DTYPE_BF16)
        return launch<__nv_bfloat16>(stream, p, k, "ddim_step<bf16> (vector)", "ddim_step<bf16> (scalar)");
    return launch<float>(stream, p, k, "ddim_step_f32 (float4)", "ddim_step_f32 (scalar)");
}
