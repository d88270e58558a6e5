// cpu_isa.cpp - which SIMD path this CPU runs. __builtin_cpu_supports also checks that the OS saves
// the wide registers (XCR0), so a path it reports is safe to run.
#include "cpu_ops.h"

namespace kinema::cpu {

bool isa_supported(Isa isa) {
    switch (isa) {
        case Isa::scalar: return true;
        case Isa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Isa::avx512: return __builtin_cpu_supports("avx512f");
    }
    return false;
}

Isa best_isa() {
    static const Isa best = isa_supported(Isa::avx512) ? Isa::avx512
                            : isa_supported(Isa::avx2) ? Isa::avx2
                                                       : Isa::scalar;
    return best;
}

const char *isa_name(Isa isa) {
    switch (isa) {
        case Isa::scalar: return "scalar";
        case Isa::avx2: return "avx2";
        case Isa::avx512: return "avx512";
    }
    return "?";
}

}  // namespace kinema::cpu
