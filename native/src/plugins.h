// plugins.h - finds the table of a backend: the cpu backend is linked in, cuda and cuda-emu are
// plugins dlopen'ed from the folder that holds libkinema.
#pragma once

#include "backend.h"

// The backend's table, loading its plugin on first use; NULL with kn_last_error set when the
// plugin cannot be loaded. Thread-safe; the outcome (table or reason) is remembered.
const kn_backend_ops *kn_backend_table(int32_t backend);
