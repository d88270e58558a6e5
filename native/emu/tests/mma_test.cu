// mma.m16n8k16 (f16 and bf16, f32 accumulate) against a double matmul, with fragments loaded by
// the PTX ISA formulas; and spot checks that place single values in lanes/registers picked by hand
// from the PTX ISA fragment tables, so a wrong layout in the emulator cannot pass.
#include <math.h>
#include <stdint.h>

#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

__device__ __forceinline__ uint32_t pack_pair(uint16_t lo, uint16_t hi) { return (uint32_t)lo | ((uint32_t)hi << 16); }

// One 16x8x16 tile per warp. A is 16x16 row-major, B 16x8 row-major (B[k][n]), C and D 16x8.
// groupID g = lane >> 2, threadID_in_group t = lane % 4 (PTX ISA, mma.m16n8k16 .f16/.bf16):
//   a[0] = A[g][2t..2t+1], a[1] = A[g+8][2t..2t+1], a[2] = A[g][2t+8..2t+9], a[3] = A[g+8][2t+8..2t+9]
//   b[0] = B[2t..2t+1][g], b[1] = B[2t+8..2t+9][g];  c/d: [0..1] = row g, [2..3] = row g+8, cols 2t..2t+1
template <bool kBf16>
__global__ void mma_tile_kernel(const uint16_t *A, const uint16_t *B, const float *C, float *D) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
    A += warp * 256, B += warp * 128, C += warp * 128, D += warp * 128;
    const uint32_t a[4] = {pack_pair(A[g * 16 + 2 * t], A[g * 16 + 2 * t + 1]),
                           pack_pair(A[(g + 8) * 16 + 2 * t], A[(g + 8) * 16 + 2 * t + 1]),
                           pack_pair(A[g * 16 + 2 * t + 8], A[g * 16 + 2 * t + 9]),
                           pack_pair(A[(g + 8) * 16 + 2 * t + 8], A[(g + 8) * 16 + 2 * t + 9])};
    const uint32_t b[2] = {pack_pair(B[(2 * t) * 8 + g], B[(2 * t + 1) * 8 + g]),
                           pack_pair(B[(2 * t + 8) * 8 + g], B[(2 * t + 9) * 8 + g])};
    const float c[4] = {C[g * 8 + 2 * t], C[g * 8 + 2 * t + 1], C[(g + 8) * 8 + 2 * t], C[(g + 8) * 8 + 2 * t + 1]};
    float d[4];
    if (kBf16) {
        kn_mma_m16n8k16_bf16(d, a, b, c);
    } else {
        kn_mma_m16n8k16_f16(d, a, b, c);
    }
    D[g * 8 + 2 * t] = d[0];
    D[g * 8 + 2 * t + 1] = d[1];
    D[(g + 8) * 8 + 2 * t] = d[2];
    D[(g + 8) * 8 + 2 * t + 1] = d[3];
}

// Raw registers in, raw registers out: lane l uses a_regs[4l..], b_regs[2l..], c_regs[4l..].
template <bool kBf16>
__global__ void mma_raw_kernel(const uint32_t *a_regs, const uint32_t *b_regs, const float *c_regs, float *d_regs) {
    const int lane = threadIdx.x;
    const uint32_t a[4] = {a_regs[4 * lane], a_regs[4 * lane + 1], a_regs[4 * lane + 2], a_regs[4 * lane + 3]};
    const uint32_t b[2] = {b_regs[2 * lane], b_regs[2 * lane + 1]};
    const float c[4] = {c_regs[4 * lane], c_regs[4 * lane + 1], c_regs[4 * lane + 2], c_regs[4 * lane + 3]};
    float d[4];
    if (kBf16) {
        kn_mma_m16n8k16_bf16(d, a, b, c);
    } else {
        kn_mma_m16n8k16_f16(d, a, b, c);
    }
    for (int i = 0; i < 4; ++i) d_regs[4 * lane + i] = d[i];
}

// Decoders written from the IEEE binary16 / bfloat16 definitions (independent of the emulator).
static double decode_f16(uint16_t h) {
    const int sign = h >> 15, exponent = (h >> 10) & 31, mantissa = h & 1023;
    const double magnitude = exponent == 0 ? ldexp((double)mantissa, -24) : ldexp(1.0 + mantissa / 1024.0, exponent - 15);
    return sign ? -magnitude : magnitude;
}
static double decode_bf16(uint16_t h) {
    const int sign = h >> 15, exponent = (h >> 7) & 255, mantissa = h & 127;
    const double magnitude = exponent == 0 ? ldexp((double)mantissa, -133) : ldexp(1.0 + mantissa / 128.0, exponent - 127);
    return sign ? -magnitude : magnitude;
}

static uint32_t rng_state = 12345;
static uint32_t next_random() {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}
// Random normal numbers with magnitudes in [2^-5, 2^5).
static uint16_t random_bits(bool bf16) {
    const uint32_t r = next_random();
    if (bf16) return (uint16_t)(((r & 1) << 15) | ((122 + (r >> 1) % 10) << 7) | ((r >> 5) & 127));
    return (uint16_t)(((r & 1) << 15) | ((10 + (r >> 1) % 10) << 10) | ((r >> 5) & 1023));
}

template <bool kBf16>
static void check_tiles(const char *name) {
    const int warps = 3;
    std::vector<uint16_t> A(256 * warps), B(128 * warps);
    std::vector<float> C(128 * warps), D(128 * warps);
    for (auto &v : A) v = random_bits(kBf16);
    for (auto &v : B) v = random_bits(kBf16);
    for (size_t i = 0; i < C.size(); ++i) C[i] = (float)((int)(next_random() % 201) - 100) / 8.0f;
    DeviceBuffer<uint16_t> dA(A.size()), dB(B.size());
    DeviceBuffer<float> dC(C.size()), dD(D.size());
    dA.upload(A.data()), dB.upload(B.data()), dC.upload(C.data());
    KN_LAUNCH(mma_tile_kernel<kBf16>, 1, 32 * warps, 0, nullptr, dA.ptr, dB.ptr, dC.ptr, dD.ptr);
    EMU_CUDA_OK(cudaGetLastError());
    dD.download(D.data());
    double worst = 0.0;  // error relative to the sum of |terms|
    for (int w = 0; w < warps; ++w) {
        for (int i = 0; i < 16; ++i) {
            for (int j = 0; j < 8; ++j) {
                double ref = C[w * 128 + i * 8 + j], scale = fabs(ref);
                for (int k = 0; k < 16; ++k) {
                    const uint16_t a = A[w * 256 + i * 16 + k], b = B[w * 128 + k * 8 + j];
                    const double p = kBf16 ? decode_bf16(a) * decode_bf16(b) : decode_f16(a) * decode_f16(b);
                    ref += p, scale += fabs(p);
                }
                const double err = fabs((double)D[w * 128 + i * 8 + j] - ref) / scale;
                worst = !(err <= worst) ? err : worst;  // NaN-aware: a NaN becomes the worst
            }
        }
    }
    report(name, worst <= 1e-6, "worst |D - A*B - C| / sum|terms| = %.3g over %d tiles (bound 1e-6)", worst, warps);
}

struct Spot {
    const char *name;
    int a_lane, a_reg, a_high;  // where the single A value goes (a_lane < 0: none)
    int b_lane, b_reg, b_high;
    int c_lane, c_reg;          // single C value (c_lane < 0: none)
    int d_lane, d_reg;          // the one nonzero output
    double a_value, b_value, c_value, d_value;
};

template <bool kBf16>
static void check_spots() {
    // Positions derived by hand from the PTX ISA tables (g = lane >> 2, t = lane % 4).
    const Spot spots[] = {
        // A[1][10] is lane 5 a[2] low, B[10][1] is lane 5 b[1] low -> D[1][1] is lane 4 d[1].
        {"A[1][10]*B[10][1]->lane4.d1", 5, 2, 0, 5, 1, 0, -1, 0, 4, 1, 1.0, 2.0, 0.0, 2.0},
        // A[15][15] is lane 31 a[3] high, B[15][7] is lane 31 b[1] high -> D[15][7] is lane 31 d[3].
        {"A[15][15]*B[15][7]->lane31.d3", 31, 3, 1, 31, 1, 1, -1, 0, 31, 3, 3.0, 0.5, 0.0, 1.5},
        // A[8][0] is lane 0 a[1] low, B[0][6] is lane 24 b[0] low -> D[8][6] is lane 3 d[2].
        {"A[8][0]*B[0][6]->lane3.d2", 0, 1, 0, 24, 0, 0, -1, 0, 3, 2, 1.0, 5.0, 0.0, 5.0},
        // C[10][2] is lane 9 c[2] -> D[10][2] is lane 9 d[2].
        {"C[10][2]->lane9.d2", -1, 0, 0, -1, 0, 0, 9, 2, 9, 2, 0.0, 0.0, 4.0, 4.0},
    };
    auto encode = [](double v) -> uint32_t {  // the few exact values used above
        if (kBf16) return v == 1.0 ? 0x3F80 : v == 2.0 ? 0x4000 : v == 3.0 ? 0x4040 : v == 0.5 ? 0x3F00 : 0x40A0;
        return v == 1.0 ? 0x3C00 : v == 2.0 ? 0x4000 : v == 3.0 ? 0x4200 : v == 0.5 ? 0x3800 : 0x4500;
    };
    for (const Spot &s : spots) {
        std::vector<uint32_t> a(128, 0), b(64, 0);
        std::vector<float> c(128, 0.0f), d(128, -1.0f);
        if (s.a_lane >= 0) a[4 * s.a_lane + s.a_reg] = encode(s.a_value) << (16 * s.a_high);
        if (s.b_lane >= 0) b[2 * s.b_lane + s.b_reg] = encode(s.b_value) << (16 * s.b_high);
        if (s.c_lane >= 0) c[4 * s.c_lane + s.c_reg] = (float)s.c_value;
        DeviceBuffer<uint32_t> da(128), db(64);
        DeviceBuffer<float> dc(128), dd(128);
        da.upload(a.data()), db.upload(b.data()), dc.upload(c.data());
        KN_LAUNCH(mma_raw_kernel<kBf16>, 1, 32, 0, nullptr, da.ptr, db.ptr, dc.ptr, dd.ptr);
        EMU_CUDA_OK(cudaGetLastError());
        dd.download(d.data());
        int wrong = 0;
        for (int i = 0; i < 128; ++i) wrong += d[i] != (i == 4 * s.d_lane + s.d_reg ? (float)s.d_value : 0.0f);
        char name[128];
        snprintf(name, sizeof name, "mma_layout_spot/%s/%s", kBf16 ? "bf16" : "f16", s.name);
        report(name, wrong == 0, "%d of 128 d registers differ (expected only lane %d d[%d] = %g, got %g)", wrong, s.d_lane,
               s.d_reg, s.d_value, d[4 * s.d_lane + s.d_reg]);
    }
}

int main() {
    check_tiles<false>("mma_m16n8k16/f16_vs_double_matmul");
    check_tiles<true>("mma_m16n8k16/bf16_vs_double_matmul");
    check_spots<false>();
    check_spots<true>();
    return emu_test::finish();
}
