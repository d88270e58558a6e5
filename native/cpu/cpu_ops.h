// cpu_ops.h - the cpu backend's op entry points with an explicit instruction-set path.
//
// The backend table runs every op on best_isa(); tests call these directly to run each path the
// CPU supports against the reference. Arguments are already validated by libkinema.
#pragma once

#include "backend.h"

extern "C" void kn_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

namespace kinema::cpu {

enum class Isa { scalar, avx2, avx512 };

// The widest path this CPU (and OS) supports: avx512 needs avx512f, avx2 needs avx2 and fma.
Isa best_isa();
bool isa_supported(Isa isa);
const char *isa_name(Isa isa);

int32_t conv_spatial(const kn_exec &e, const kn_conv_spatial_params &p, Isa isa);
int32_t conv_temporal(const kn_exec &e, const kn_conv_temporal_params &p, Isa isa);
int32_t ddim_step(const kn_exec &e, const kn_ddim_step_params &p, Isa isa);
int32_t temporal_attention(const kn_exec &e, const kn_temporal_attention_params &p, Isa isa);

}  // namespace kinema::cpu
