// Loads an emulated kernel module with dlopen, as libkinema loads the cuda-emu plugin, and checks
// that its __shared__ variables (in dynamically allocated TLS) are poisoned and per block.
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>

#include <vector>

typedef int (*run_fn)(const float *, float *, int, int);

static int failures = 0;
static void report(const char *name, bool ok, const char *detail) {
    printf("%s %s: %s\n", ok ? "PASS" : "FAIL", name, detail);
    failures += ok ? 0 : 1;
}

int main() {
    void *module = dlopen(KN_EMU_TEST_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (module == nullptr) {
        printf("FAIL dlopen %s: %s\n", KN_EMU_TEST_PLUGIN_PATH, dlerror());
        return 1;
    }
    auto run = reinterpret_cast<run_fn>(dlsym(module, "plugin_run_neighbour"));
    if (run == nullptr) {
        printf("FAIL dlsym plugin_run_neighbour: %s\n", dlerror());
        return 1;
    }
    const int blocks = 6, n = 128 * blocks;
    std::vector<float> in(n), out(n);
    for (int i = 0; i < n; ++i) in[i] = 1.0f + (float)i;
    char detail[256];
    for (int with_barrier = 1; with_barrier >= 0; --with_barrier) {
        const int status = run(in.data(), out.data(), blocks, with_barrier);
        int nan_count = 0, wrong = 0;
        for (int i = 0; i < n; ++i) {
            const int base = i / 128 * 128;
            nan_count += isnan(out[i]);
            wrong += out[i] != in[base + (i - base + 1) % 128];
        }
        snprintf(detail, sizeof detail, "launch status %d, %d NaN poison reads, %d of %d values wrong", status, nan_count, wrong, n);
        if (with_barrier)
            report("dlopened_module/with_barrier_exact", status == 0 && wrong == 0, detail);
        else
            report("dlopened_module/missing_barrier_reads_poison", status == 0 && nan_count > 0, detail);
    }
    dlclose(module);
    printf("%s\n", failures == 0 ? "ALL PASSED" : "FAILED");
    return failures == 0 ? 0 : 1;
}
