// norm_ops.h - the cpu backend's normalization entry points (group_norm.cpp, layer_norm.cpp) with an
// explicit instruction-set path, like cpu_ops.h: the table runs best_isa(), tests run every path.
#pragma once

#include "cpu_ops.h"

namespace kinema::cpu {

int32_t group_norm(const kn_exec &e, const kn_group_norm_params &p, Isa isa);
int32_t layer_norm(const kn_exec &e, const kn_layer_norm_params &p, Isa isa);

}  // namespace kinema::cpu
