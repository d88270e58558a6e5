// linear_ops.h - entry points of linear and conv3d with an explicit instruction-set path (tests run
// every path the CPU supports; the backend table runs best_isa()).
#pragma once

#include "cpu_ops.h"

namespace kinema::cpu {

int32_t linear(const kn_exec &e, const kn_linear_params &p, Isa isa);
int32_t conv3d(const kn_exec &e, const kn_conv3d_params &p, Isa isa);

}  // namespace kinema::cpu
