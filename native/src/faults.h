#pragma once
// Injected faults (kn_debug_inject_fault): one armed failure per kind, counted down by the calls of
// that kind across all contexts.
#include <cstdint>

// True when this call is the one the armed fault of kind (enum kn_fault_kind) was set to fail; the
// fault then disarms. Cheap when nothing is armed: one relaxed atomic load.
bool kn_fault_fires(int32_t kind);
