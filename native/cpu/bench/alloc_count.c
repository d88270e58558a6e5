/*
 * alloc_count - an LD_PRELOAD library that counts heap allocations, so a benchmark can show that a
 * step allocates nothing (benchmarks/README.md, "Allocations"). Every malloc, calloc, realloc,
 * memalign, aligned_alloc, posix_memalign and valloc of the process (all threads: the JVM's, OpenMP's,
 * the kernels') adds one to a global counter and forwards to glibc's own implementation (__libc_*, so
 * no dlsym and no recursion). Read it with kn_alloc_count() (all threads) or kn_alloc_count_thread()
 * (the calling thread: a step's own allocations, without the JVM's compiler and GC threads), through
 * FFM's SymbolLookup.libraryLookup on this file. kn_alloc_classify(1) makes the calling thread's
 * allocations carry a backtrace, and kn_alloc_count_kinema() counts those made from Kinema's kernels
 * (libkinema or libgomp on the stack), telling them from the JVM runtime's own. C++ operator new goes through malloc in libstdc++, so it is counted too. To find where
 * allocations come from, kn_alloc_trace(1) prints a backtrace of each allocation of the calling
 * thread to stderr until it calls kn_alloc_trace(0).
 *
 *   LD_PRELOAD=build/native/lib/libkn_alloc_count.so java ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <execinfo.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

/* the project builds with hidden visibility; these must replace glibc's for the whole process */
#define EXPORT __attribute__((visibility("default")))

static int64_t allocations;
static __thread int64_t thread_allocations;

static int tracing;
static __thread int classifying;            /* attribute this thread's allocations to a library */
static __thread int64_t kinema_allocations; /* ... made with libkinema or libgomp on the stack */
static __thread int tracing_thread; /* only the thread that turned tracing on is traced */
static __thread int in_trace; /* backtrace() may allocate: no tracing of the tracer */

/* Whether the stack holds a frame of libkinema (the kernels) or libgomp (their thread teams). */
static int from_kinema(void) {
    void *frames[32];
    int n = backtrace(frames, 32);
    for (int i = 0; i < n; ++i) {
        Dl_info info;
        if (dladdr(frames[i], &info) && info.dli_fname != NULL &&
            (strstr(info.dli_fname, "libkinema") != NULL || strstr(info.dli_fname, "libgomp") != NULL))
            return 1;
    }
    return 0;
}

static inline void count(void) {
    __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
    ++thread_allocations;
    if (classifying && !in_trace) {
        in_trace = 1;
        kinema_allocations += from_kinema();
        in_trace = 0;
    }
    if (tracing_thread && __atomic_load_n(&tracing, __ATOMIC_RELAXED) && !in_trace) {
        in_trace = 1;
        void *frames[24];
        int n = backtrace(frames, 24);
        static const char line[] = "kn_alloc_count: allocation at\n";
        ssize_t ignored = write(2, line, sizeof line - 1);
        (void)ignored;
        backtrace_symbols_fd(frames, n, 2);
        in_trace = 0;
    }
}

/* Turns backtraces of the calling thread's allocations (to stderr) on (1) or off (0). */
EXPORT void kn_alloc_trace(int on) {
    tracing_thread = on;
    __atomic_store_n(&tracing, on, __ATOMIC_RELAXED);
}

/* Allocations counted since the process started, on all threads. */
EXPORT int64_t kn_alloc_count(void) { return __atomic_load_n(&allocations, __ATOMIC_RELAXED); }

/* Attributes the calling thread's allocations from now on (1) or stops (0); slow: a backtrace each. */
EXPORT void kn_alloc_classify(int on) { classifying = on; }

/* Allocations of the calling thread, while classifying, with libkinema or libgomp on the stack. */
EXPORT int64_t kn_alloc_count_kinema(void) { return kinema_allocations; }

/* Allocations the calling thread made since it started. */
EXPORT int64_t kn_alloc_count_thread(void) { return thread_allocations; }

EXPORT void *malloc(size_t n) { count(); return __libc_malloc(n); }
EXPORT void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
EXPORT void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
EXPORT void free(void *p) { __libc_free(p); }
EXPORT void *memalign(size_t align, size_t n) { count(); return __libc_memalign(align, n); }
EXPORT void *aligned_alloc(size_t align, size_t n) { count(); return __libc_memalign(align, n); }
EXPORT void *valloc(size_t n) { count(); return __libc_memalign(4096, n); }

EXPORT int posix_memalign(void **out, size_t align, size_t n) {
    count();
    if (align < sizeof(void *) || (align & (align - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(align, n);
    if (p == NULL && n != 0) return ENOMEM;
    *out = p;
    return 0;
}
