// errors.cpp - one message per thread, so concurrent callers never see each other's errors.
#include "errors.h"

#include <cstdarg>
#include <cstdio>

namespace {
// Fixed-size buffer: setting an error must never fail or allocate.
thread_local char last_error[1024];
}  // namespace

extern "C" void kn_set_error(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(last_error, sizeof last_error, fmt, args);
    va_end(args);
}

extern "C" void kn_clear_error(void) { last_error[0] = '\0'; }

extern "C" const char *kn_get_error(void) { return last_error; }
