// cpu_backend.h - the cpu backend's table (native/src/backend.h), linked into libkinema.
#pragma once

#include "backend.h"

#ifdef __cplusplus
extern "C" {
#endif

// The cpu backend: host memory (256-byte aligned), synchronous "streams", and the ops on the widest
// instruction set this CPU runs (AVX-512, else AVX2+FMA, else portable code). Never NULL.
const kn_backend_ops *kn_cpu_backend(void);

#ifdef __cplusplus
}
#endif
