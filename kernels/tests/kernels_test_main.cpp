// kernels_test_main.cpp - runs the kernels/ plugins the way libkinema does (dlopen + kn_plugin_entry)
// and checks every op against the double reference.
//
//   kinema_kernels_test ops  <libkinema_cuda_emu.so>   the backend must be available; every case runs
//   kinema_kernels_test cuda <libkinema_cuda.so>       the nvcc plugin must load anywhere: without a CUDA
//       driver its probe reports KN_ERR_UNAVAILABLE naming the driver; with a device every case runs
#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "op_cases.h"

namespace {

int run_ops(const std::string &path) {
    const Plugin plugin = load_plugin(path);
    if (plugin.ops == nullptr) throw TestFailure("plugin entry refused: " + plugin_last_error());
    int32_t devices = 0;
    expect_ok(plugin.ops->probe(&devices), std::string(plugin.ops->name) + " probe");
    std::printf("backend %s: %d device(s)\n", plugin.ops->name, devices);
    if (devices < 1) throw TestFailure("probe returned KN_OK with no device");
    return run_all_op_cases(plugin) + run_abi_mismatch_case(path);
}

int run_cuda(const std::string &path) {
    const Plugin plugin = load_plugin(path);
    if (plugin.ops == nullptr) throw TestFailure("plugin entry refused: " + plugin_last_error());
    if (std::strcmp(plugin.ops->name, "cuda") != 0) {
        throw TestFailure(std::string("backend name is ") + plugin.ops->name + ", expected cuda");
    }
    void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    clear_plugin_error();
    int32_t devices = -1;
    const int32_t status = plugin.ops->probe(&devices);
    if (status == KN_OK) {
        std::printf("backend cuda: %d device(s), running every case on the GPU\n", devices);
        return run_all_op_cases(plugin) + run_abi_mismatch_case(path);
    }
    const std::string &why = plugin_last_error();
    const bool names_reason = driver == nullptr ? why.find("driver") != std::string::npos
                                                : why.find("device") != std::string::npos ||
                                                      why.find("driver") != std::string::npos;
    const bool ok = status == KN_ERR_UNAVAILABLE && names_reason && devices == -1;
    std::printf("%s cuda probe without %s: status %d (expected %d), message \"%s\"\n", ok ? "PASS" : "FAIL",
                driver == nullptr ? "a driver" : "a usable device", status, KN_ERR_UNAVAILABLE, why.c_str());
    return (ok ? 0 : 1) + run_abi_mismatch_case(path);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3 || (std::strcmp(argv[1], "ops") != 0 && std::strcmp(argv[1], "cuda") != 0)) {
        std::fprintf(stderr, "usage: %s ops|cuda <plugin.so>\n", argv[0]);
        return 2;
    }
    try {
        const int failures = std::strcmp(argv[1], "ops") == 0 ? run_ops(argv[2]) : run_cuda(argv[2]);
        std::printf(failures ? "%d case(s) FAILED\n" : "all cases passed\n", failures);
        return failures ? 1 : 0;
    } catch (const TestFailure &e) {
        std::printf("FAIL %s\n", e.what());
        return 1;
    }
}
