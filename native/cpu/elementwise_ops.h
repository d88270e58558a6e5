// elementwise_ops.h - the cpu backend's elementwise entry points (elementwise.cpp) with an explicit
// instruction-set path, like cpu_ops.h: the table runs best_isa(), tests run every path.
#pragma once

#include "cpu_ops.h"

namespace kinema::cpu {

int32_t elementwise(const kn_exec &e, const kn_elementwise_params &p, Isa isa);

}  // namespace kinema::cpu
