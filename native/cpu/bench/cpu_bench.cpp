// cpu_bench.cpp - median time, GFLOP/s and GB/s of the cpu backend's ops at the reference shapes,
// beside this machine's STREAM bandwidth measured in the same run. Not a test: it asserts nothing.
//   cpu_bench [threads (default 2)] [scalar|avx2|avx512 (default: best)]
// bench/torch_peer.py runs PyTorch at the same shapes for comparison.
#include <omp.h>
#include <xmmintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include "cpu_ops.h"
#include "test_support.h"

using namespace kinema;
using namespace kinema::test;

namespace {

struct Timing {
    double median, best;  // seconds
};

// Median and fastest of `reps` timed runs after two warm-up runs. The best run shows what the code
// can do; the median what a shared machine gave it this time.
Timing time_runs(const std::function<void()> &run, int reps) {
    run();
    run();
    std::vector<double> times;
    for (int i = 0; i < reps; ++i) {
        const auto start = std::chrono::steady_clock::now();
        run();
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return {times[times.size() / 2], times[0]};
}

// Page-aligned, first-touched by the threads that will stream through it.
float *big_array(int64_t n, int threads, float value) {
    auto *p = static_cast<float *>(std::aligned_alloc(4096, size_t((n * 4 + 4095) / 4096 * 4096)));
    if (p == nullptr) {
        std::fprintf(stderr, "out of memory allocating %lld floats\n", (long long)n);
        std::exit(1);
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) p[i] = value + float(i % 7) * 0.01f;
    return p;
}

enum class Kernel { copy, triad, triad_nontemporal };

// STREAM's a = b and a = b + s*c over n floats (n a multiple of 4, arrays 16-byte aligned); the
// non-temporal triad stores around the caches (SSE2, so it runs on any x86-64), as ddim_step does
// on large tensors.
void stream_kernel(Kernel kernel, int threads, float *a, const float *b, const float *c, int64_t n) {
    if (kernel == Kernel::triad_nontemporal) {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t i = 0; i < n; i += 4)
            _mm_stream_ps(a + i, _mm_add_ps(_mm_load_ps(b + i), _mm_mul_ps(_mm_set1_ps(3.0f), _mm_load_ps(c + i))));
        _mm_sfence();
        return;
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) a[i] = kernel == Kernel::triad ? b[i] + 3.0f * c[i] : b[i];
}

// Bytes counted as STREAM does: reads + writes, no write-allocate traffic.
double stream_bytes(Kernel kernel, int64_t n) { return double(kernel == Kernel::copy ? 2 : 3) * 4 * double(n); }

double stream_bandwidth(int threads, Kernel kernel) {
    const int64_t n = int64_t(1) << 25;  // 128 MiB per array, far beyond the caches
    float *a = big_array(n, threads, 0), *b = big_array(n, threads, 1), *c = big_array(n, threads, 2);
    const Timing s = time_runs([&] { stream_kernel(kernel, threads, a, b, c, n); }, 15);
    std::free(a), std::free(b), std::free(c);
    return stream_bytes(kernel, n) / s.median / 1e9;
}

void print_conv(const char *op, const char *label, const Timing &s, double flops, double bytes) {
    std::printf("%s %-32s median %8.3f ms %6.1f GFLOP/s %5.1f GB/s | best %6.1f GFLOP/s\n", op, label,
                s.median * 1e3, flops / s.median / 1e9, bytes / s.median / 1e9, flops / s.best / 1e9);
}

void conv_spatial_bench(const char *label, int threads, cpu::Isa isa, int64_t t, int64_t hw, int64_t ci, int64_t co,
                        int k, int stride) {
    const int64_t out_hw = (hw + 2 * (k / 2) - k) / stride + 1;
    auto x = random_values(t * hw * hw * ci, 1), w = random_values(co * ci * k * k, 2), b = random_values(co, 3);
    std::vector<float> y(size_t(t * out_hw * out_hw * co));
    kn_conv_spatial_params p{};
    p.x = dense(x.data(), {1, t, hw, hw, ci});
    p.w = dense(w.data(), {co, ci, 1, k, k});
    p.b = dense(b.data(), {co});
    p.y = dense(y.data(), {1, t, out_hw, out_hw, co});
    p.stride = stride;
    const kn_exec e{0, threads, nullptr};
    const Timing s = time_runs([&] { cpu::conv_spatial(e, p, isa); }, 15);
    print_conv("conv_spatial ", label, s, 2.0 * t * out_hw * out_hw * co * ci * k * k,
               4.0 * double(x.size() + w.size() + b.size() + y.size()));
}

void conv_temporal_bench(const char *label, int threads, cpu::Isa isa, int64_t t, int64_t hw, int64_t ci,
                         int64_t co) {
    auto x = random_values(t * hw * hw * ci, 1), w = random_values(co * ci * 3, 2), b = random_values(co, 3);
    std::vector<float> y(size_t(t * hw * hw * co));
    kn_conv_temporal_params p{};
    p.x = dense(x.data(), {1, t, hw, hw, ci});
    p.w = dense(w.data(), {co, ci, 3, 1, 1});
    p.b = dense(b.data(), {co});
    p.y = dense(y.data(), {1, t, hw, hw, co});
    const kn_exec e{0, threads, nullptr};
    const Timing s = time_runs([&] { cpu::conv_temporal(e, p, isa); }, 15);
    print_conv("conv_temporal", label, s, 2.0 * t * hw * hw * co * ci * 3,
               4.0 * double(x.size() + w.size() + b.size() + y.size()));
}

// `full`: guidance, noise (eta > 0), clipping and the x0 output: 4 streams in, 2 out. The machine is
// shared, so its bandwidth drifts: each ddim_step run follows a STREAM triad run (both store kinds)
// over the same arrays, and the fraction reported is the median ratio to the faster triad.
void ddim_bench(const char *label, int threads, cpu::Isa isa, int64_t n, bool full) {
    float *x = big_array(n, threads, 0.1f), *c = big_array(n, threads, 0.2f), *u = big_array(n, threads, 0.3f);
    float *noise = big_array(n, threads, 0.4f), *y = big_array(n, threads, 0), *x0 = big_array(n, threads, 0);
    float *triad_out = big_array(n, threads, 0);
    kn_ddim_step_params p{};
    p.x = dense(x, {n});
    p.out_c = dense(c, {n});
    p.out_u = full ? dense(u, {n}) : absent();
    p.noise = full ? dense(noise, {n}) : absent();
    p.y = dense(y, {n});
    p.x0 = full ? dense(x0, {n}) : absent();
    p.alpha_t = 0.6, p.sigma_t = 0.8, p.alpha_s = 0.8, p.sigma_s = 0.6;
    p.guidance = 7.5, p.eta = full ? 0.5 : 0.0, p.clip_x0 = full ? 1.0 : 0.0;
    p.prediction = KN_PREDICTION_EPS;
    const kn_exec e{0, threads, nullptr};
    const double bytes = 4.0 * double(n) * (full ? 6 : 3), triad_bytes = 12.0 * double(n);
    const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    std::vector<double> ddim_rates, triad_rates, ratios;
    for (int rep = 0; rep < 17; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        stream_kernel(Kernel::triad, threads, triad_out, x, c, n);
        const auto t1 = std::chrono::steady_clock::now();
        stream_kernel(Kernel::triad_nontemporal, threads, triad_out, x, c, n);
        const auto t2 = std::chrono::steady_clock::now();
        cpu::ddim_step(e, p, isa);
        const auto t3 = std::chrono::steady_clock::now();
        if (rep < 2) continue;  // warm-up
        const double triad = triad_bytes / std::min(seconds(t0, t1), seconds(t1, t2)) / 1e9;
        const double ddim = bytes / seconds(t2, t3) / 1e9;
        triad_rates.push_back(triad), ddim_rates.push_back(ddim), ratios.push_back(ddim / triad);
    }
    for (auto *v : {&ddim_rates, &triad_rates, &ratios}) std::sort(v->begin(), v->end());
    const size_t mid = ratios.size() / 2;
    std::printf("ddim_step     %-32s median %6.1f GB/s, paired STREAM triad %5.1f GB/s, ratio %3.0f%%\n", label,
                ddim_rates[mid], triad_rates[mid], 100 * ratios[mid]);
    for (float *a : {x, c, u, noise, y, x0, triad_out}) std::free(a);
}

}  // namespace

int main(int argc, char **argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    cpu::Isa isa = cpu::best_isa();
    if (argc > 2) {
        for (cpu::Isa i : {cpu::Isa::scalar, cpu::Isa::avx2, cpu::Isa::avx512})
            if (std::strcmp(argv[2], cpu::isa_name(i)) == 0) isa = i;
        if (!cpu::isa_supported(isa)) {
            std::fprintf(stderr, "this CPU cannot run the %s path\n", argv[2]);
            return 1;
        }
    }
    std::printf("cpu backend, %s path, %d threads, 15 timed runs each\n", cpu::isa_name(isa), threads);

    std::printf("STREAM (%d threads, 128 MiB arrays, medians): copy %.1f GB/s, triad %.1f GB/s, "
                "triad with non-temporal stores %.1f GB/s\n",
                threads, stream_bandwidth(threads, Kernel::copy), stream_bandwidth(threads, Kernel::triad),
                stream_bandwidth(threads, Kernel::triad_nontemporal));

    conv_spatial_bench("B1 T16 32x32 C128 k3 s1", threads, isa, 16, 32, 128, 128, 3, 1);
    conv_spatial_bench("B1 T16 32x32 C320 k3 s1", threads, isa, 16, 32, 320, 320, 3, 1);
    conv_spatial_bench("B1 T16 32x32 Ci128 Co256 k3 s1", threads, isa, 16, 32, 128, 256, 3, 1);
    conv_spatial_bench("B1 T16 32x32 C128 k3 s2", threads, isa, 16, 32, 128, 128, 3, 2);
    conv_spatial_bench("B1 T16 32x32 Ci128 Co256 k1 s1", threads, isa, 16, 32, 128, 256, 1, 1);
    conv_temporal_bench("B1 T16 32x32 C128", threads, isa, 16, 32, 128, 128);
    conv_temporal_bench("B1 T16 32x32 C320", threads, isa, 16, 32, 320, 320);

    const int64_t n = int64_t(1) << 24;  // 64 MiB per stream, so ddim_step uses non-temporal stores
    ddim_bench("16M eps, x + out_c -> y", threads, isa, n, false);
    ddim_bench("16M guided+noise+clip -> y, x0", threads, isa, n, true);
    return 0;
}
