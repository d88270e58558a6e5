// CUDA atomics as real CPU atomics: blocks of one launch run on several OS threads at once.
#pragma once

#define KN_EMU_ATOMIC_INT_OPS(T)                                                                         \
    static inline T atomicAdd(T *p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }          \
    static inline T atomicSub(T *p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST); }          \
    static inline T atomicAnd(T *p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); }          \
    static inline T atomicOr(T *p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }            \
    static inline T atomicXor(T *p, T v) { return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); }          \
    static inline T atomicExch(T *p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }        \
    static inline T atomicCAS(T *p, T expected, T desired) {                                             \
        __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);   \
        return expected;                                                                                 \
    }                                                                                                    \
    static inline T atomicMin(T *p, T v) {                                                               \
        T old = __atomic_load_n(p, __ATOMIC_SEQ_CST);                                                    \
        while (v < old &&                                                                                \
               !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {    \
        }                                                                                                \
        return old;                                                                                      \
    }                                                                                                    \
    static inline T atomicMax(T *p, T v) {                                                               \
        T old = __atomic_load_n(p, __ATOMIC_SEQ_CST);                                                    \
        while (v > old &&                                                                                \
               !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {    \
        }                                                                                                \
        return old;                                                                                      \
    }

KN_EMU_ATOMIC_INT_OPS(int)
KN_EMU_ATOMIC_INT_OPS(unsigned int)
KN_EMU_ATOMIC_INT_OPS(long long)
KN_EMU_ATOMIC_INT_OPS(unsigned long long)
#undef KN_EMU_ATOMIC_INT_OPS

static inline unsigned short atomicCAS(unsigned short *p, unsigned short expected, unsigned short desired) {
    __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;
}

// Floating-point read-modify-write through a compare-exchange on the bytes (NaN-safe).
#define KN_EMU_ATOMIC_FLOAT_OPS(T)                                                                       \
    static inline T atomicAdd(T *p, T v) {                                                               \
        T old, next;                                                                                     \
        __atomic_load(p, &old, __ATOMIC_SEQ_CST);                                                        \
        do {                                                                                             \
            next = old + v;                                                                              \
        } while (!__atomic_compare_exchange(p, &old, &next, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)); \
        return old;                                                                                      \
    }                                                                                                    \
    static inline T atomicExch(T *p, T v) {                                                              \
        T old;                                                                                           \
        __atomic_exchange(p, &v, &old, __ATOMIC_SEQ_CST);                                                \
        return old;                                                                                      \
    }

KN_EMU_ATOMIC_FLOAT_OPS(float)
KN_EMU_ATOMIC_FLOAT_OPS(double)
#undef KN_EMU_ATOMIC_FLOAT_OPS

// Wrap-around increment/decrement, as CUDA defines them.
static inline unsigned int atomicInc(unsigned int *p, unsigned int limit) {
    unsigned int old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    while (!__atomic_compare_exchange_n(p, &old, old >= limit ? 0u : old + 1u, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
    }
    return old;
}
static inline unsigned int atomicDec(unsigned int *p, unsigned int limit) {
    unsigned int old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    while (!__atomic_compare_exchange_n(p, &old, (old == 0u || old > limit) ? limit : old - 1u, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return old;
}

static inline void __threadfence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void __threadfence_block(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void __threadfence_system(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
