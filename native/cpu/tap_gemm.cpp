// tap_gemm.cpp - weight packing and scratch memory shared by the convolutions.
#include "tap_gemm.h"
#include "thread_scratch.h"

#include <cstdlib>
#include <cstring>

namespace kinema::cpu {

TapGemm tap_gemm_for(Isa isa) {
    switch (isa) {
        case Isa::avx512: return tap_gemm_avx512();
        case Isa::avx2: return tap_gemm_avx2();
        case Isa::scalar: break;
    }
    return tap_gemm_scalar();
}

int64_t packed_weight_floats(int64_t co, int64_t ci, int taps, int block_channels) {
    const int64_t blocks = (co + block_channels - 1) / block_channels;
    return blocks * taps * ci * block_channels;
}

void pack_weights(const float *w, int64_t co, int64_t ci, int taps, int block_channels, int64_t first_block,
                  int64_t end_block, float *packed) {
    const int64_t nb = block_channels;
    for (int64_t blk = first_block; blk < end_block; ++blk) {
        float *out = packed + blk * taps * ci * nb;
        for (int tap = 0; tap < taps; ++tap) {
            for (int64_t c = 0; c < ci; ++c) {
                float *row = out + (tap * ci + c) * nb;
                for (int64_t j = 0; j < nb; ++j) {
                    const int64_t o = blk * nb + j;
                    row[j] = o < co ? w[(o * ci + c) * taps + tap] : 0.0f;
                }
            }
        }
    }
}

void pack_bias(const float *bias, int64_t co, int64_t padded_co, float *packed) {
    for (int64_t j = 0; j < padded_co; ++j) packed[j] = bias != nullptr && j < co ? bias[j] : 0.0f;
}

Scratch::Scratch(int64_t floats) : data_(thread_scratch_of<float>(ScratchSlot::gemm, floats)) {}

}  // namespace kinema::cpu
