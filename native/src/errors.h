// errors.h - the calling thread's last error (kn_last_error) and the helpers that set it.
#pragma once

#include <cstdint>

extern "C" {
// printf-style; the message should name the function, the argument and expected vs. actual.
void kn_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kn_clear_error(void);
const char *kn_get_error(void);
}
