// Atomics under contention: 256 blocks x 256 threads spread over 4 OS threads hit the same words;
// every total is an exact integer (float/double sums stay exactly representable).
#include <vector>

#include "emu_test.h"

using emu_test::DeviceBuffer;
using emu_test::report;

struct Counters {
    int i_add;
    unsigned u_add;
    unsigned long long ull_add;
    float f_add;
    double d_add;
    int i_max, i_min;
    unsigned u_max, u_min;
    int cas_add;
    unsigned long long exch_slot;
    unsigned long long exch_returned;
    int i_sub;
    unsigned inc_wrap;
    int or_bits, and_bits;
};

__device__ __forceinline__ int signed_value(int g) { return (int)((g * 2654435761u) % 2000001u) - 1000000; }

__global__ void contention_kernel(Counters *c) {
    const int g = blockIdx.x * blockDim.x + threadIdx.x;
    atomicAdd(&c->i_add, 1);
    atomicAdd(&c->u_add, 2u);
    atomicAdd(&c->ull_add, (1ull << 33) + 1ull);
    atomicAdd(&c->f_add, 1.0f);
    atomicAdd(&c->d_add, 0.5);
    atomicMax(&c->i_max, signed_value(g));
    atomicMin(&c->i_min, signed_value(g));
    atomicMax(&c->u_max, (unsigned)g * 3u);
    atomicMin(&c->u_min, (unsigned)g + 17u);
    int old = c->cas_add, seen;
    while ((seen = atomicCAS(&c->cas_add, old, old + 3)) != old) old = seen;
    const unsigned long long previous = atomicExch(&c->exch_slot, (unsigned long long)g + 1ull);
    atomicAdd(&c->exch_returned, previous);
    atomicSub(&c->i_sub, 5);
    atomicInc(&c->inc_wrap, 999u);
    atomicOr(&c->or_bits, 1 << (g % 31));
    atomicAnd(&c->and_bits, ~(1 << (g % 29)));
}

int main() {
#if defined(KN_CUDA_EMU)
    kn_emu_set_num_threads(4);  // more OS threads than cores: preemption inside read-modify-writes
#endif
    const int blocks = 256, threads = 256;
    const long long n = (long long)blocks * threads;
    Counters init = {};
    init.i_max = -2000000000;
    init.i_min = 2000000000;
    init.u_min = 0xFFFFFFFFu;
    init.and_bits = -1;
    DeviceBuffer<Counters> d(1);
    d.upload(&init);
    KN_LAUNCH(contention_kernel, blocks, threads, 0, nullptr, d.ptr);
    EMU_CUDA_OK(cudaGetLastError());
    Counters c;
    d.download(&c);

    int lo = 2000000000, hi = -2000000000;
    for (int g = 0; g < n; ++g) {
        const int v = (int)((g * 2654435761u) % 2000001u) - 1000000;
        lo = v < lo ? v : lo, hi = v > hi ? v : hi;
    }
    report("atomicAdd/int", c.i_add == n, "%d vs %lld", c.i_add, n);
    report("atomicAdd/unsigned", c.u_add == 2 * n, "%u vs %lld", c.u_add, 2 * n);
    report("atomicAdd/unsigned_long_long", c.ull_add == (unsigned long long)n * ((1ull << 33) + 1ull), "%llu", c.ull_add);
    report("atomicAdd/float", c.f_add == (float)n, "%.1f vs %lld", c.f_add, n);
    report("atomicAdd/double", c.d_add == 0.5 * (double)n, "%.1f vs %.1f", c.d_add, 0.5 * (double)n);
    report("atomicMax/int", c.i_max == hi, "%d vs %d", c.i_max, hi);
    report("atomicMin/int", c.i_min == lo, "%d vs %d", c.i_min, lo);
    report("atomicMax/unsigned", c.u_max == (unsigned)(n - 1) * 3u, "%u", c.u_max);
    report("atomicMin/unsigned", c.u_min == 17u, "%u", c.u_min);
    report("atomicCAS/int_increment_loop", c.cas_add == 3 * n, "%d vs %lld", c.cas_add, 3 * n);
    // Every value 1..n enters the slot once and leaves it once, except the one still there.
    const unsigned long long total = (unsigned long long)n * (n + 1) / 2;
    report("atomicExch/unsigned_long_long", c.exch_returned + c.exch_slot == total && c.exch_slot >= 1 && c.exch_slot <= (unsigned long long)n,
           "returned %llu + left %llu vs %llu", c.exch_returned, c.exch_slot, total);
    report("atomicSub/int", c.i_sub == -5 * n, "%d", c.i_sub);
    report("atomicInc/wraps_at_limit", c.inc_wrap == (unsigned)(n % 1000), "%u vs %lld", c.inc_wrap, n % 1000);
    report("atomicOr_atomicAnd/int", c.or_bits == 0x7FFFFFFF && c.and_bits == (int)(~0u << 29),
           "or 0x%08x and 0x%08x", c.or_bits, c.and_bits);
    return emu_test::finish();
}
