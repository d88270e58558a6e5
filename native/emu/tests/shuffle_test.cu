// Every shuffle variant (idx, up, down, xor) for int, unsigned, float, double, long long and
// unsigned long long at widths 32, 16 and 8, against a host model written from the CUDA
// Programming Guide's description; plus divergent half-warps shuffling with partial masks.
#include <stdint.h>
#include <string.h>

#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

enum ShuffleOp { OP_IDX = 0, OP_IDX_PER_LANE, OP_UP, OP_DOWN, OP_XOR };

template <typename T>
__global__ void shuffle_kernel(const T *in, T *out, int op, int param, int width) {
    const int tid = blockIdx.x * blockDim.x + threadIdx.x;
    const int lane = threadIdx.x % 32;
    const T v = in[tid];
    T r = v;
    switch (op) {
        case OP_IDX: r = __shfl_sync(0xffffffffu, v, param, width); break;
        case OP_IDX_PER_LANE: r = __shfl_sync(0xffffffffu, v, (lane * 7 + param) % 32, width); break;
        case OP_UP: r = __shfl_up_sync(0xffffffffu, v, (unsigned)param, width); break;
        case OP_DOWN: r = __shfl_down_sync(0xffffffffu, v, (unsigned)param, width); break;
        case OP_XOR: r = __shfl_xor_sync(0xffffffffu, v, param, width); break;
    }
    out[tid] = r;
}

// Half-warps take different branches and shuffle only among themselves.
__global__ void divergent_halves_kernel(const int *in, int *out) {
    const int tid = blockIdx.x * blockDim.x + threadIdx.x;
    const int lane = threadIdx.x % 32;
    const int v = in[tid];
    int r;
    if (lane < 16) {
        r = __shfl_xor_sync(0x0000ffffu, v, 1);
    } else {
        r = __shfl_down_sync(0xffff0000u, v, 2, 16);
    }
    out[tid] = r;
}

// Source lane per the Programming Guide: lanes form groups of `width`; idx reads lane src mod
// width of the own group; up/down read lane -/+ delta if it is in the own group, else keep var;
// xor reads lane ^ mask unless that lies in a later group.
static int model_source(int op, int lane, int param, int width) {
    const int group = lane / width * width;
    switch (op) {
        case OP_IDX: return group + ((param % width) + width) % width;
        case OP_IDX_PER_LANE: return group + ((lane * 7 + param) % 32) % width;
        case OP_UP: return lane % width >= param ? lane - param : lane;
        case OP_DOWN: return lane % width + param < width ? lane + param : lane;
        default: {
            const int src = lane ^ param;
            return src >= group + width ? lane : src;
        }
    }
}

template <typename T>
static T lane_value(int i) {
    if (sizeof(T) == 8) return (T)((((uint64_t)(i + 1)) << 37) + (uint64_t)i * 977u + 3u);  // upper bits matter
    return (T)(i * 13 + 5);
}
template <>
float lane_value<float>(int i) { return 0.25f + 1.5f * (float)i; }
template <>
double lane_value<double>(int i) { return 1.0 + (double)i + 1e-12 * (double)i; }

template <typename T>
static void check_type(const char *type_name) {
    const int threads = 64, blocks = 2, n = threads * blocks;
    std::vector<T> in(n), out(n);
    for (int i = 0; i < n; ++i) in[i] = lane_value<T>(i);
    DeviceBuffer<T> d_in(n), d_out(n);
    d_in.upload(in.data());
    struct Case {
        int op;
        const char *name;
        std::vector<int> params;
    };
    const Case cases[] = {{OP_IDX, "shfl_idx", {0, 5, 31, 37, -3}},
                          {OP_IDX_PER_LANE, "shfl_idx_per_lane", {3, 11}},
                          {OP_UP, "shfl_up", {1, 2, 5, 16}},
                          {OP_DOWN, "shfl_down", {1, 2, 5, 16}},
                          {OP_XOR, "shfl_xor", {1, 2, 4, 16, 31}}};
    for (const Case &c : cases) {
        for (int width : {32, 16, 8}) {
            int bad = 0, checked = 0;
            for (int param : c.params) {
                KN_LAUNCH(shuffle_kernel<T>, blocks, threads, 0, nullptr, d_in.ptr, d_out.ptr, c.op, param, width);
                EMU_CUDA_OK(cudaGetLastError());
                d_out.download(out.data());
                for (int i = 0; i < n; ++i) {
                    const int warp_base = i / 32 * 32;
                    const int src = warp_base + model_source(c.op, i % 32, param, width);
                    bad += memcmp(&out[i], &in[src], sizeof(T)) != 0;
                    ++checked;
                }
            }
            char name[96];
            snprintf(name, sizeof name, "%s/%s/width_%d", c.name, type_name, width);
            report(name, bad == 0, "%d of %d lanes differ from the model", bad, checked);
        }
    }
}

int main() {
    check_type<int>("int");
    check_type<unsigned>("unsigned");
    check_type<float>("float");
    check_type<double>("double");
    check_type<long long>("long_long");
    check_type<unsigned long long>("unsigned_long_long");

    const int n = 96;  // three warps
    std::vector<int> in(n), out(n);
    for (int i = 0; i < n; ++i) in[i] = 1000 + i * 7;
    DeviceBuffer<int> d_in(n), d_out(n);
    d_in.upload(in.data());
    KN_LAUNCH(divergent_halves_kernel, 1, n, 0, nullptr, d_in.ptr, d_out.ptr);
    EMU_CUDA_OK(cudaGetLastError());
    d_out.download(out.data());
    int bad = 0;
    for (int i = 0; i < n; ++i) {
        const int lane = i % 32, base = i - lane;
        const int src = lane < 16 ? base + (lane ^ 1) : (lane % 16 + 2 < 16 ? i + 2 : i);
        bad += out[i] != in[src];
    }
    report("divergent_half_warps_partial_masks", bad == 0, "%d of %d lanes differ (xor 1 in lanes 0-15, down 2 width 16 in 16-31)", bad, n);
    return emu_test::finish();
}
