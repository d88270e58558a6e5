// abi_test - the C ABI refuses bad input with a status and a message, never a crash, and its
// handle and memory bookkeeping works on every backend that can run here.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "abi_test_util.h"
#include "kinema.h"

static void test_library() {
    expect(kn_abi_version() == KN_ABI_VERSION, "abi version matches the header");
    expect(std::string(kn_backend_name(KN_BACKEND_CPU)) == "cpu" &&
               std::string(kn_backend_name(KN_BACKEND_CUDA)) == "cuda" &&
               std::string(kn_backend_name(KN_BACKEND_CUDA_EMU)) == "cuda-emu" && kn_backend_name(7) == nullptr,
           "backend names");
    int32_t devices = -1;
    expect(kn_backend_probe(KN_BACKEND_CPU, &devices) == KN_OK && devices == 1, "cpu backend probes with 1 device");
    expect_error(kn_backend_probe(9, &devices), KN_ERR_INVALID_ARGUMENT, "backend", "unknown backend refused");
    expect_error(kn_backend_probe(KN_BACKEND_CPU, nullptr), KN_ERR_INVALID_ARGUMENT, "device_count",
                 "NULL out-pointer refused");
    // No GPU machine runs this suite's CI; where one does, the probe must succeed instead.
    int32_t status = kn_backend_probe(KN_BACKEND_CUDA, &devices);
    expect((status == KN_OK && devices > 0) || (status == KN_ERR_UNAVAILABLE && std::strlen(kn_last_error()) > 0),
           "cuda probe either finds a device or says why not");
    if (status != KN_OK) std::printf("  cuda: %s\n", kn_last_error());
}

static void test_handles(int32_t backend) {
    const std::string name = kn_backend_name(backend);
    kn_context ctx = nullptr;
    expect(kn_context_create(backend, 0, &ctx) == KN_OK && ctx != nullptr, (name + ": context created").c_str());
    kn_context other = nullptr;
    expect_error(kn_context_create(backend, 5, &other), KN_ERR_INVALID_ARGUMENT, "device",
                 (name + ": device out of range refused").c_str());
    expect_error(kn_context_set_num_threads(ctx, -1), KN_ERR_INVALID_ARGUMENT, "num_threads",
                 (name + ": negative thread count refused").c_str());
    expect(kn_context_set_num_threads(ctx, 2) == KN_OK, (name + ": thread count set").c_str());

    void *buffer = nullptr;
    expect_error(kn_malloc(ctx, -8, &buffer), KN_ERR_INVALID_ARGUMENT, "bytes", (name + ": negative size").c_str());
    void *empty = nullptr;
    expect(kn_malloc(ctx, 0, &empty) == KN_OK && empty != nullptr, (name + ": 0-byte allocation").c_str());
    expect(kn_malloc(ctx, 64, &buffer) == KN_OK && buffer != nullptr &&
               reinterpret_cast<uintptr_t>(buffer) % 256 == 0,
           (name + ": allocation is 256-byte aligned").c_str());
    float host_in[16], host_out[16];
    for (int i = 0; i < 16; ++i) host_in[i] = float(i) * 0.5f - 3.0f;
    kn_stream stream = nullptr;
    expect(kn_stream_create(ctx, &stream) == KN_OK && stream != nullptr, (name + ": stream created").c_str());
    expect(kn_memcpy(ctx, buffer, host_in, sizeof host_in, KN_COPY_HOST_TO_DEVICE, stream) == KN_OK &&
               kn_memcpy(ctx, host_out, buffer, sizeof host_out, KN_COPY_DEVICE_TO_HOST, stream) == KN_OK &&
               kn_stream_synchronize(ctx, stream) == KN_OK && std::memcmp(host_in, host_out, sizeof host_in) == 0,
           (name + ": host -> device -> host round trip").c_str());
    expect(kn_memset(ctx, buffer, 0, 64, nullptr) == KN_OK &&
               kn_memcpy(ctx, host_out, buffer, 64, KN_COPY_DEVICE_TO_HOST, nullptr) == KN_OK && host_out[3] == 0.0f,
           (name + ": memset").c_str());
    expect_error(kn_memcpy(ctx, buffer, host_in, 64, 7, nullptr), KN_ERR_INVALID_ARGUMENT, "kind",
                 (name + ": bad copy kind").c_str());

    // Op validation: each error names the argument.
    float x[2 * 3 * 3 * 4], w[5 * 4 * 9], y[2 * 3 * 3 * 5];
    kn_conv_spatial_params conv{};
    conv.x = dense(x, {1, 2, 3, 3, 4});
    conv.w = dense(w, {5, 4, 1, 3, 3});
    conv.y = dense(y, {1, 2, 3, 3, 5});
    conv.stride = 3;
    expect_error(kn_conv_spatial(ctx, nullptr, &conv), KN_ERR_INVALID_ARGUMENT, "stride",
                 (name + ": conv_spatial stride 3 refused").c_str());
    conv.stride = 1;
    conv.w = dense(w, {5, 3, 1, 3, 3});
    expect_error(kn_conv_spatial(ctx, nullptr, &conv), KN_ERR_INVALID_ARGUMENT, "'w'",
                 (name + ": conv_spatial Ci mismatch refused").c_str());
    conv.w = dense(w, {5, 4, 1, 3, 3});
    conv.y = dense(y, {1, 2, 3, 2, 5});
    expect_error(kn_conv_spatial(ctx, nullptr, &conv), KN_ERR_INVALID_ARGUMENT, "'y'",
                 (name + ": conv_spatial wrong output shape refused").c_str());
    conv.y = dense(x, {1, 2, 3, 3, 4});
    expect_error(kn_conv_spatial(ctx, nullptr, &conv), KN_ERR_INVALID_ARGUMENT, "'y'",
                 (name + ": conv_spatial output aliasing input refused").c_str());
    conv.y = dense(y, {1, 2, 3, 3, 5});
    conv.x.strides[4] = 2;
    expect_error(kn_conv_spatial(ctx, nullptr, &conv), KN_ERR_INVALID_ARGUMENT, "contiguous",
                 (name + ": non-contiguous input refused").c_str());
    expect_error(kn_conv_spatial(ctx, nullptr, nullptr), KN_ERR_INVALID_ARGUMENT, "params",
                 (name + ": NULL params refused").c_str());

    kn_ddim_step_params ddim{};
    ddim.x = dense(x, {36});
    ddim.out_c = dense(w, {36});
    ddim.y = dense(y, {36});
    ddim.alpha_t = 0.8;
    ddim.sigma_t = 0.6;
    ddim.alpha_s = 0.9;
    ddim.sigma_s = std::sqrt(1 - 0.81);
    ddim.guidance = 1;
    ddim.eta = 1;
    expect_error(kn_ddim_step(ctx, nullptr, &ddim), KN_ERR_INVALID_ARGUMENT, "noise",
                 (name + ": ddim eta > 0 without noise refused").c_str());
    ddim.eta = 0;
    ddim.guidance = NAN;
    expect_error(kn_ddim_step(ctx, nullptr, &ddim), KN_ERR_INVALID_ARGUMENT, "guidance",
                 (name + ": ddim non-finite guidance refused").c_str());
    ddim.guidance = 1;
    ddim.prediction = 9;
    expect_error(kn_ddim_step(ctx, nullptr, &ddim), KN_ERR_INVALID_ARGUMENT, "prediction",
                 (name + ": ddim unknown prediction refused").c_str());

    // The empty op: zero elements, a valid call that does nothing.
    ddim.prediction = KN_PREDICTION_V;
    ddim.x = dense(empty, {0});
    ddim.out_c = dense(buffer, {0});
    ddim.y = dense(empty, {0});
    expect(kn_ddim_step(ctx, nullptr, &ddim) == KN_OK, (name + ": zero-element ddim_step succeeds").c_str());

    expect_error(kn_free(ctx, host_in), KN_ERR_INVALID_ARGUMENT, "ptr",
                 (name + ": freeing a foreign pointer refused").c_str());
    expect(kn_free(ctx, buffer) == KN_OK, (name + ": free").c_str());
    expect_error(kn_free(ctx, buffer), KN_ERR_INVALID_ARGUMENT, "ptr", (name + ": double free refused").c_str());
    expect(kn_stream_destroy(ctx, stream) == KN_OK, (name + ": stream destroyed").c_str());
    expect_error(kn_stream_synchronize(ctx, stream), KN_ERR_INVALID_ARGUMENT, "stream",
                 (name + ": destroyed stream refused").c_str());
    expect(kn_context_destroy(ctx) == KN_OK, (name + ": context destroyed (frees the 0-byte allocation)").c_str());
    expect_error(kn_malloc(ctx, 8, &buffer), KN_ERR_INVALID_ARGUMENT, "ctx",
                 (name + ": destroyed context refused").c_str());
}

// kn_debug_inject_fault: arguments checked; an armed fault fails exactly the n-th call of its kind,
// with a message, then disarms; 0 disarms.
static void test_fault_injection() {
    expect_error(kn_debug_inject_fault(2, 1), "kind", "fault: unknown kind refused");
    expect_error(kn_debug_inject_fault(KN_FAULT_MALLOC, -1), "after", "fault: negative count refused");
    kn_context ctx = nullptr;
    expect(kn_context_create(KN_BACKEND_CPU, 0, &ctx) == KN_OK, "fault: cpu context");
    void *a = nullptr, *b = nullptr, *c = nullptr;
    expect(kn_debug_inject_fault(KN_FAULT_MALLOC, 2) == KN_OK, "fault: armed for the 2nd allocation");
    expect(kn_malloc(ctx, 64, &a) == KN_OK && a != nullptr, "fault: 1st allocation succeeds");
    expect_error(kn_malloc(ctx, 64, &b), KN_ERR_OUT_OF_MEMORY, "injected fault", "fault: 2nd allocation fails",
                 "kn_malloc");
    expect(b == nullptr, "fault: the failed allocation returns NULL");
    expect(kn_malloc(ctx, 64, &c) == KN_OK && c != nullptr, "fault: it fired once, the 3rd allocation succeeds");
    expect(kn_debug_inject_fault(KN_FAULT_MALLOC, 1) == KN_OK && kn_debug_inject_fault(KN_FAULT_MALLOC, 0) == KN_OK,
           "fault: armed, then disarmed");
    void *d = nullptr;
    expect(kn_malloc(ctx, 64, &d) == KN_OK, "fault: a disarmed fault does not fire");
    for (void *p : {a, c, d}) kn_free(ctx, p);
    kn_context_destroy(ctx);
}

int main() {
    test_library();
    test_fault_injection();
    for (int32_t backend = 0; backend < KN_BACKEND_COUNT; ++backend) {
        int32_t devices = 0;
        if (kn_backend_probe(backend, &devices) == KN_OK) {
            test_handles(backend);
        } else {
            std::printf("note: backend %s not available here: %s\n", kn_backend_name(backend), kn_last_error());
        }
    }
    int32_t devices = 0;
    expect(kn_backend_probe(KN_BACKEND_CUDA_EMU, &devices) == KN_OK,
           "cuda-emu backend is available wherever the build made it");
    std::printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
