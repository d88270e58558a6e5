// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32 from the 32 lanes' fragments.
// Layouts (PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating point type"), g = lane >> 2,
// t = lane % 4, low 16 bits of a register = the element with the lower index:
//   A 16x16: a[0] = A[g][2t,2t+1]  a[1] = A[g+8][2t,2t+1]  a[2] = A[g][2t+8,2t+9]  a[3] = A[g+8][2t+8,2t+9]
//   B 16x8:  b[0] = B[2t,2t+1][g]  b[1] = B[2t+8,2t+9][g]
//   C/D 16x8: c[0], c[1] = C[g][2t,2t+1]   c[2], c[3] = C[g+8][2t,2t+1]
// Products of f16/bf16 values are exact in f32; the sum is formed in double and rounded once.
#include <string.h>

#include "runtime_internal.h"

namespace kn_emu::rt {

static float element(uint32_t reg, int half, int type) {
    const uint16_t bits = static_cast<uint16_t>(half ? reg >> 16 : reg & 0xffffu);
    if (type == 1) {
        const uint32_t u = static_cast<uint32_t>(bits) << 16;
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    _Float16 h;
    memcpy(&h, &bits, 2);
    return static_cast<float>(h);
}

void compute_mma(const Worker &w, uint32_t warp_base) {
    float A[16][16], B[16][8], C[16][8];
    const int type = w.fibers[warp_base]->op.mma_type;
    for (int lane = 0; lane < 32; ++lane) {
        const WarpOpSlot &op = w.fibers[warp_base + lane]->op;
        const int g = lane >> 2, t = lane & 3;
        for (int h = 0; h < 2; ++h) {
            A[g][2 * t + h] = element(op.mma_a[0], h, type);
            A[g + 8][2 * t + h] = element(op.mma_a[1], h, type);
            A[g][2 * t + 8 + h] = element(op.mma_a[2], h, type);
            A[g + 8][2 * t + 8 + h] = element(op.mma_a[3], h, type);
            B[2 * t + h][g] = element(op.mma_b[0], h, type);
            B[2 * t + 8 + h][g] = element(op.mma_b[1], h, type);
            C[g][2 * t + h] = op.mma_c[h];
            C[g + 8][2 * t + h] = op.mma_c[2 + h];
        }
    }
    // Read every lane's c before writing any d: d and c may be the same registers.
    float D[16][8];
    for (int i = 0; i < 16; ++i) {
        for (int j = 0; j < 8; ++j) {
            double acc = C[i][j];
            for (int k = 0; k < 16; ++k) acc += static_cast<double>(A[i][k]) * B[k][j];
            D[i][j] = static_cast<float>(acc);
        }
    }
    for (int lane = 0; lane < 32; ++lane) {
        float *d = w.fibers[warp_base + lane]->op.mma_d;
        const int g = lane >> 2, t = lane & 3;
        d[0] = D[g][2 * t];
        d[1] = D[g][2 * t + 1];
        d[2] = D[g + 8][2 * t];
        d[3] = D[g + 8][2 * t + 1];
    }
}

}  // namespace kn_emu::rt
