// f16 and bf16 conversions in kernels (__float2half_rn, __half2float, __float2bfloat16_rn,
// __bfloat162float) against a reference that picks the nearest representable value by decoding
// candidate bit patterns (ties to even), for normal, subnormal, tie, overflow and NaN inputs.
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

__global__ void convert_kernel(const float *in, unsigned short *h_bits, unsigned short *b_bits, float *h_back,
                               float *b_back, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const __half h = __float2half_rn(in[i]);
    const __nv_bfloat16 b = __float2bfloat16_rn(in[i]);
    h_bits[i] = __half_as_ushort(h);
    b_bits[i] = __bfloat16_as_ushort(b);
    h_back[i] = __half2float(h);
    b_back[i] = __bfloat162float(b);
}

static double decode(uint16_t bits, int exponent_bits, int mantissa_bits) {
    const int bias = (1 << (exponent_bits - 1)) - 1;
    const int e = (bits >> mantissa_bits) & ((1 << exponent_bits) - 1);
    const int m = bits & ((1 << mantissa_bits) - 1);
    const double sign = (bits >> 15) ? -1.0 : 1.0;
    if (e == (1 << exponent_bits) - 1) return m ? NAN : sign * INFINITY;
    if (e == 0) return sign * ldexp((double)m, 1 - bias - mantissa_bits);
    return sign * ldexp(1.0 + (double)m / (1 << mantissa_bits), e - bias);
}

// Nearest value by search over all finite patterns of the input's sign; overflow past the largest
// finite value by at least half an ulp gives infinity.
static uint16_t reference_bits(float f, int exponent_bits, int mantissa_bits) {
    const uint16_t sign = signbit(f) ? 0x8000 : 0;
    const uint16_t inf = (uint16_t)(sign | (((1 << exponent_bits) - 1) << mantissa_bits));
    if (isnan(f)) return 0xFFFF;  // any NaN: compared as "is NaN" below
    const double x = fabs((double)f);
    uint16_t best = 0;
    double best_err = INFINITY;
    for (uint32_t p = 0; p < inf - sign; ++p) {
        const double err = fabs(decode((uint16_t)p, exponent_bits, mantissa_bits) - x);
        if (err < best_err || (err == best_err && (p & 1) == 0)) best = (uint16_t)p, best_err = err;
    }
    const double max_finite = decode((uint16_t)(inf - sign - 1), exponent_bits, mantissa_bits);
    const double half_ulp = (max_finite - decode((uint16_t)(inf - sign - 2), exponent_bits, mantissa_bits)) / 2;
    if (isinf(f) || x >= max_finite + half_ulp) return inf;
    return (uint16_t)(sign | best);
}

int main() {
    std::vector<float> in = {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 65519.0f, 65520.0f, 1e6f, -1e30f, INFINITY, -INFINITY, NAN,
                             6.0e-8f, 5.96e-8f, 2.98e-8f, 1.0e-5f, 3.0e38f, 1.17549435e-38f, 9.18e-41f};
    // Ties: halfway between neighbours in f16 (1 + 2^-11 and 1 + 3*2^-11) and in bf16 (1 + 2^-8, 1 + 3*2^-8).
    in.push_back(1.0f + ldexpf(1.0f, -11));
    in.push_back(1.0f + 3.0f * ldexpf(1.0f, -11));
    in.push_back(1.0f + ldexpf(1.0f, -8));
    in.push_back(1.0f + 3.0f * ldexpf(1.0f, -8));
    uint32_t state = 7;
    for (int i = 0; i < 200; ++i) {
        state = state * 1664525u + 1013904223u;
        const float v = ldexpf((float)(state >> 8) / 16777216.0f, (int)(state % 60) - 30) * ((state & 1) ? -1.0f : 1.0f);
        in.push_back(v);
    }
    const int n = (int)in.size();
    DeviceBuffer<float> d_in(n), d_hb(n), d_bb(n);
    DeviceBuffer<unsigned short> d_h(n), d_b(n);
    d_in.upload(in.data());
    KN_LAUNCH(convert_kernel, (n + 63) / 64, 64, 0, nullptr, d_in.ptr, d_h.ptr, d_b.ptr, d_hb.ptr, d_bb.ptr, n);
    EMU_CUDA_OK(cudaGetLastError());
    std::vector<unsigned short> h(n), b(n);
    std::vector<float> hb(n), bb(n);
    d_h.download(h.data()), d_b.download(b.data()), d_hb.download(hb.data()), d_bb.download(bb.data());
    int bad_h = 0, bad_b = 0, bad_back = 0;
    for (int i = 0; i < n; ++i) {
        const uint16_t rh = reference_bits(in[i], 5, 10), rb = reference_bits(in[i], 8, 7);
        if (isnan(in[i])) {
            bad_h += !isnan(decode(h[i], 5, 10));
            bad_b += !isnan(decode(b[i], 8, 7));
            bad_back += !isnan(hb[i]) || !isnan(bb[i]);
            continue;
        }
        bad_h += h[i] != rh;
        bad_b += b[i] != rb;
        bad_back += (double)hb[i] != decode(h[i], 5, 10) || (double)bb[i] != decode(b[i], 8, 7);
    }
    report("float_to_f16_round_nearest_even", bad_h == 0, "%d of %d bit patterns differ from the nearest-value search", bad_h, n);
    report("float_to_bf16_round_nearest_even", bad_b == 0, "%d of %d bit patterns differ from the nearest-value search", bad_b, n);
    report("f16_bf16_to_float_exact", bad_back == 0, "%d of %d decoded values differ", bad_back, n);
    return emu_test::finish();
}
