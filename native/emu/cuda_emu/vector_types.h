// CUDA's built-in vector types (with CUDA's alignments), make_* helpers and dim3.
#pragma once

#define KN_EMU_VECTOR_TYPES(T, name, align2, align4)                                              \
    struct name##1 { T x; };                                                                      \
    struct __attribute__((aligned(align2))) name##2 { T x, y; };                                  \
    struct name##3 { T x, y, z; };                                                                \
    struct __attribute__((aligned(align4))) name##4 { T x, y, z, w; };                            \
    static inline name##1 make_##name##1(T x) { return name##1{x}; }                              \
    static inline name##2 make_##name##2(T x, T y) { return name##2{x, y}; }                      \
    static inline name##3 make_##name##3(T x, T y, T z) { return name##3{x, y, z}; }              \
    static inline name##4 make_##name##4(T x, T y, T z, T w) { return name##4{x, y, z, w}; }

KN_EMU_VECTOR_TYPES(signed char, char, 2, 4)
KN_EMU_VECTOR_TYPES(unsigned char, uchar, 2, 4)
KN_EMU_VECTOR_TYPES(short, short, 4, 8)
KN_EMU_VECTOR_TYPES(unsigned short, ushort, 4, 8)
KN_EMU_VECTOR_TYPES(int, int, 8, 16)
KN_EMU_VECTOR_TYPES(unsigned int, uint, 8, 16)
KN_EMU_VECTOR_TYPES(long long, longlong, 16, 16)
KN_EMU_VECTOR_TYPES(unsigned long long, ulonglong, 16, 16)
KN_EMU_VECTOR_TYPES(float, float, 8, 16)
KN_EMU_VECTOR_TYPES(double, double, 16, 16)
#undef KN_EMU_VECTOR_TYPES

struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return uint3{x, y, z}; }
};
