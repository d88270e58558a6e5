// __half and __nv_bfloat16 (cuda_fp16.h / cuda_bf16.h subset): storage types whose arithmetic goes
// through float, with round-to-nearest-even conversions.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vector_types.h"

static inline unsigned short kn_emu_float_to_half_bits(float f) {
    _Float16 h = static_cast<_Float16>(f);
    unsigned short bits;
    memcpy(&bits, &h, 2);
    return bits;
}
static inline float kn_emu_half_bits_to_float(unsigned short bits) {
    _Float16 h;
    memcpy(&h, &bits, 2);
    return static_cast<float>(h);
}
static inline unsigned short kn_emu_float_to_bf16_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<unsigned short>((u >> 16) | 0x40u);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<unsigned short>(u >> 16);
}
static inline float kn_emu_bf16_bits_to_float(unsigned short bits) {
    const uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

#define KN_EMU_HALF_TYPE(name, to_bits, to_float)                                                      \
    struct __align__(2) name {                                                                          \
        unsigned short __x;                                                                             \
        name() = default;                                                                               \
        name(float f) : __x(to_bits(f)) {}                                                              \
        name(double f) : __x(to_bits(static_cast<float>(f))) {}                                         \
        name(int i) : __x(to_bits(static_cast<float>(i))) {}                                            \
        operator float() const { return to_float(__x); }                                                \
        name &operator+=(name o) { return *this = name(float(*this) + float(o)); }                      \
        name &operator-=(name o) { return *this = name(float(*this) - float(o)); }                      \
        name &operator*=(name o) { return *this = name(float(*this) * float(o)); }                      \
        name &operator/=(name o) { return *this = name(float(*this) / float(o)); }                      \
    };                                                                                                  \
    static inline name operator+(name a, name b) { return name(float(a) + float(b)); }                 \
    static inline name operator-(name a, name b) { return name(float(a) - float(b)); }                 \
    static inline name operator*(name a, name b) { return name(float(a) * float(b)); }                 \
    static inline name operator/(name a, name b) { return name(float(a) / float(b)); }                 \
    static inline name operator-(name a) { name r = a; r.__x ^= 0x8000u; return r; }                  \
    static inline bool operator==(name a, name b) { return float(a) == float(b); }                     \
    static inline bool operator!=(name a, name b) { return float(a) != float(b); }                     \
    static inline bool operator<(name a, name b) { return float(a) < float(b); }                       \
    static inline bool operator>(name a, name b) { return float(a) > float(b); }                       \
    static inline bool operator<=(name a, name b) { return float(a) <= float(b); }                     \
    static inline bool operator>=(name a, name b) { return float(a) >= float(b); }                     \
    struct __align__(4) name##2 {                                                                       \
        name x, y;                                                                                      \
    };

KN_EMU_HALF_TYPE(__half, kn_emu_float_to_half_bits, kn_emu_half_bits_to_float)
KN_EMU_HALF_TYPE(__nv_bfloat16, kn_emu_float_to_bf16_bits, kn_emu_bf16_bits_to_float)
#undef KN_EMU_HALF_TYPE
typedef __half half;
typedef __half2 half2;
typedef __nv_bfloat16 nv_bfloat16;
typedef __nv_bfloat162 nv_bfloat162;

static inline __half __float2half(float f) { return __half(f); }
static inline __half __float2half_rn(float f) { return __half(f); }
static inline float __half2float(__half h) { return float(h); }
static inline unsigned short __half_as_ushort(__half h) { return h.__x; }
static inline short __half_as_short(__half h) { return static_cast<short>(h.__x); }
static inline __half __ushort_as_half(unsigned short bits) { __half h; h.__x = bits; return h; }
static inline __half __short_as_half(short bits) { __half h; h.__x = static_cast<unsigned short>(bits); return h; }
static inline __half2 __floats2half2_rn(float a, float b) { return __half2{__half(a), __half(b)}; }
static inline __half2 __float22half2_rn(float2 v) { return __half2{__half(v.x), __half(v.y)}; }
static inline __half2 __halves2half2(__half a, __half b) { return __half2{a, b}; }
static inline __half2 __half2half2(__half a) { return __half2{a, a}; }
static inline float2 __half22float2(__half2 v) { return float2{float(v.x), float(v.y)}; }
static inline float __low2float(__half2 v) { return float(v.x); }
static inline float __high2float(__half2 v) { return float(v.y); }
static inline __half __low2half(__half2 v) { return v.x; }
static inline __half __high2half(__half2 v) { return v.y; }
static inline __half __hadd(__half a, __half b) { return a + b; }
static inline __half __hsub(__half a, __half b) { return a - b; }
static inline __half __hmul(__half a, __half b) { return a * b; }
static inline __half __hfma(__half a, __half b, __half c) { return __half(fmaf(float(a), float(b), float(c))); }
static inline __half __hmax(__half a, __half b) { return __half(fmaxf(float(a), float(b))); }
static inline __half __hmin(__half a, __half b) { return __half(fminf(float(a), float(b))); }

static inline __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16(f); }
static inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16(f); }
static inline float __bfloat162float(__nv_bfloat16 h) { return float(h); }
static inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.__x; }
static inline short __bfloat16_as_short(__nv_bfloat16 h) { return static_cast<short>(h.__x); }
static inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short bits) { __nv_bfloat16 h; h.__x = bits; return h; }
static inline __nv_bfloat16 __short_as_bfloat16(short bits) {
    __nv_bfloat16 h;
    h.__x = static_cast<unsigned short>(bits);
    return h;
}
static inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) {
    return __nv_bfloat162{__nv_bfloat16(a), __nv_bfloat16(b)};
}
static inline __nv_bfloat162 __float22bfloat162_rn(float2 v) {
    return __nv_bfloat162{__nv_bfloat16(v.x), __nv_bfloat16(v.y)};
}
static inline __nv_bfloat162 __halves2bfloat162(__nv_bfloat16 a, __nv_bfloat16 b) { return __nv_bfloat162{a, b}; }
static inline float2 __bfloat1622float2(__nv_bfloat162 v) { return float2{float(v.x), float(v.y)}; }
static inline float __low2float(__nv_bfloat162 v) { return float(v.x); }
static inline float __high2float(__nv_bfloat162 v) { return float(v.y); }
