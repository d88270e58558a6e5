// Conversion and bit intrinsics in kernels against their CUDA Math API definitions: saturating
// float->int with ties to even, __saturatef, __popc, __clz, __ffs, __brev, __byte_perm, funnel shifts.
#include <math.h>
#include <stdint.h>

#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

__global__ void float_conversion_kernel(const float *in, int *rn, int *rz, unsigned *urn, float *sat, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    rn[i] = __float2int_rn(in[i]);
    rz[i] = __float2int_rz(in[i]);
    urn[i] = __float2uint_rn(in[i]);
    sat[i] = __saturatef(in[i]);
}

__global__ void bit_kernel(const unsigned *in, unsigned *out, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const unsigned x = in[i], y = in[(i + 1) % n];
    unsigned *o = out + 7 * i;
    o[0] = (unsigned)__popc(x);
    o[1] = (unsigned)__clz((int)x);
    o[2] = (unsigned)__ffs((int)x);
    o[3] = __brev(x);
    o[4] = __byte_perm(x, y, 0x7531u);
    o[5] = __funnelshift_l(x, y, (unsigned)i);
    o[6] = __funnelshift_r(x, y, (unsigned)i);
}

// Round half to even, from the definition.
static double ref_round_even(double v) {
    double r = floor(v);
    const double frac = v - r;
    if (frac > 0.5 || (frac == 0.5 && fmod(r, 2.0) != 0.0)) r += 1.0;
    return r;
}
// Saturation to [lo, hi]; NaN converts to 0.
static double ref_saturate(double r, double lo, double hi) { return isnan(r) ? 0.0 : r < lo ? lo : r > hi ? hi : r; }

int main() {
    const std::vector<float> in = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.49f, -2.51f, 1e10f, -1e10f, 3e9f, NAN, INFINITY,
                                   -INFINITY, 0.0f, 7.0f, -7.75f, 1.2f, -0.2f};
    const int n = (int)in.size();
    DeviceBuffer<float> d_in(n), d_sat(n);
    DeviceBuffer<int> d_rn(n), d_rz(n);
    DeviceBuffer<unsigned> d_urn(n);
    d_in.upload(in.data());
    KN_LAUNCH(float_conversion_kernel, 1, 32, 0, nullptr, d_in.ptr, d_rn.ptr, d_rz.ptr, d_urn.ptr, d_sat.ptr, n);
    EMU_CUDA_OK(cudaGetLastError());
    std::vector<int> rn(n), rz(n);
    std::vector<unsigned> urn(n);
    std::vector<float> sat(n);
    d_rn.download(rn.data()), d_rz.download(rz.data()), d_urn.download(urn.data()), d_sat.download(sat.data());
    int bad = 0;
    for (int i = 0; i < n; ++i) {
        const double v = in[i];
        const int ref_rn = (int)ref_saturate(ref_round_even(v), -2147483648.0, 2147483647.0);
        const int ref_rz = (int)ref_saturate(trunc(v), -2147483648.0, 2147483647.0);
        const unsigned ref_urn = (unsigned)ref_saturate(ref_round_even(v), 0.0, 4294967295.0);
        const float ref_sat = (float)ref_saturate(v, 0.0, 1.0);
        bad += rn[i] != ref_rn || rz[i] != ref_rz || urn[i] != ref_urn || sat[i] != ref_sat;
    }
    report("float_to_int_conversions_and_saturatef", bad == 0, "%d of %d inputs differ (ties to even, saturation, NaN -> 0)", bad, n);

    const std::vector<unsigned> bits = {0u, 1u, 0x80000000u, 0xffffffffu, 0x12345678u, 0x00f00000u, 0xdeadbeefu, 6u};
    const int m = (int)bits.size();
    DeviceBuffer<unsigned> d_bits(m), d_out(7 * m);
    d_bits.upload(bits.data());
    KN_LAUNCH(bit_kernel, 1, 32, 0, nullptr, d_bits.ptr, d_out.ptr, m);
    EMU_CUDA_OK(cudaGetLastError());
    std::vector<unsigned> out(7 * m);
    d_out.download(out.data());
    int bad_bits = 0;
    for (int i = 0; i < m; ++i) {
        const unsigned x = bits[i], y = bits[(i + 1) % m];
        unsigned pop = 0, clz = 32, ffs = 0, rev = 0;
        for (int k = 0; k < 32; ++k) {
            pop += (x >> k) & 1u;
            if (((x >> k) & 1u) && ffs == 0) ffs = (unsigned)k + 1;
            if ((x >> k) & 1u) clz = 31u - (unsigned)k;
            rev |= ((x >> k) & 1u) << (31 - k);
        }
        // __byte_perm: result byte j is byte (selector nibble j & 7) of the 8 bytes {y:x}.
        const uint64_t pool = ((uint64_t)y << 32) | x;
        unsigned perm = 0;
        for (int j = 0; j < 4; ++j) perm |= (unsigned)((pool >> (8 * ((0x7531u >> (4 * j)) & 7))) & 0xff) << (8 * j);
        const unsigned s = (unsigned)i & 31;
        const unsigned fl = (unsigned)((((uint64_t)y << 32 | x) << s) >> 32), fr = (unsigned)(((uint64_t)y << 32 | x) >> s);
        const unsigned ref[7] = {pop, clz, ffs, rev, perm, fl, fr};
        for (int k = 0; k < 7; ++k) bad_bits += out[7 * i + k] != ref[k];
    }
    report("bit_intrinsics", bad_bits == 0, "%d of %d results differ from bit-by-bit references", bad_bits, 7 * m);
    return emu_test::finish();
}
