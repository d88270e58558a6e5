// abi_graph_test - kn_graph_*: capture a stream's op calls, memsets and device copies on cuda-emu,
// replay them with one call and get what the direct calls give; every misuse (default-stream
// capture, nesting, ending a capture never begun, default-stream work, host copies, allocation or
// synchronization during a capture, stale and foreign graph handles) is an error with a message, and
// cpu refuses capture with KN_ERR_UNSUPPORTED.
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "abi_test_util.h"
#include "kinema.h"

namespace {

constexpr int64_t kN = 96;
constexpr int64_t kBytes = kN * sizeof(float);

struct Buffers {
    void *x = nullptr, *z = nullptr, *y = nullptr, *w = nullptr;
};

// y = x + z; w = y (device copy); w = 2w - 0.5x; then a memset of y's first 8 floats.
int32_t queue_work(kn_context ctx, kn_stream s, const Buffers &b) {
    kn_elementwise_params p{};
    p.op = KN_ELEMENTWISE_ADD;
    p.x = dense(b.x, {2, 3, 16});
    p.z = dense(b.z, {2, 3, 16});
    p.y = dense(b.y, {2, 3, 16});
    int32_t st = kn_elementwise(ctx, s, &p);
    if (st == KN_OK) st = kn_memcpy(ctx, b.w, b.y, kBytes, KN_COPY_DEVICE_TO_DEVICE, s);
    p.op = KN_ELEMENTWISE_SCALE_ADD;
    p.x = dense(b.w, {2, 3, 16});
    p.z = dense(b.x, {2, 3, 16});
    p.y = dense(b.w, {2, 3, 16});
    p.a = 2.0, p.b = -0.5;
    if (st == KN_OK) st = kn_elementwise(ctx, s, &p);
    if (st == KN_OK) st = kn_memset(ctx, b.y, 0, 8 * sizeof(float), s);
    return st;
}

std::vector<float> read(kn_context ctx, void *device) {
    std::vector<float> host(kN);
    kn_memcpy(ctx, host.data(), device, kBytes, KN_COPY_DEVICE_TO_HOST, nullptr);
    return host;
}

void cpu_refuses() {
    kn_context ctx = nullptr;
    if (kn_context_create(KN_BACKEND_CPU, 0, &ctx) != KN_OK) {
        expect(false, "cpu context");
        return;
    }
    kn_stream s = nullptr;
    kn_stream_create(ctx, &s);
    expect_error(kn_graph_capture_begin(ctx, s), KN_ERR_UNSUPPORTED, "does not capture graphs",
                 "cpu: kn_graph_capture_begin is unsupported", "kn_graph_capture_begin");
    kn_graph g = nullptr;
    expect_error(kn_graph_capture_end(ctx, s, &g), KN_ERR_UNSUPPORTED, "cpu backend",
                 "cpu: kn_graph_capture_end is unsupported");
    expect(g == nullptr, "cpu: no graph handed out");
    kn_stream_destroy(ctx, s);
    kn_context_destroy(ctx);
}

}  // namespace

int main() {
    cpu_refuses();
    int32_t devices = 0;
    if (kn_backend_probe(KN_BACKEND_CUDA_EMU, &devices) != KN_OK) {
        std::printf("SKIP: cuda-emu unavailable: %s\n", kn_last_error());
        std::printf("%s: %d failure(s)\n", failures == 0 ? "ALL PASSED" : "FAILED", failures);
        return failures == 0 ? 0 : 1;
    }
    kn_context ctx = nullptr, other_ctx = nullptr;
    expect(kn_context_create(KN_BACKEND_CUDA_EMU, 0, &ctx) == KN_OK, "cuda-emu context");
    expect(kn_context_create(KN_BACKEND_CUDA_EMU, 0, &other_ctx) == KN_OK, "second cuda-emu context");
    Buffers direct, captured;
    for (Buffers *b : {&direct, &captured}) {
        for (void **p : {&b->x, &b->z, &b->y, &b->w}) kn_malloc(ctx, kBytes, p);
    }
    std::vector<float> x(kN), z(kN);
    for (int64_t i = 0; i < kN; ++i) x[size_t(i)] = 0.25f * float(i) - 7.0f, z[size_t(i)] = 1.0f / float(i + 1);
    for (Buffers *b : {&direct, &captured}) {
        kn_memcpy(ctx, b->x, x.data(), kBytes, KN_COPY_HOST_TO_DEVICE, nullptr);
        kn_memcpy(ctx, b->z, z.data(), kBytes, KN_COPY_HOST_TO_DEVICE, nullptr);
    }
    kn_stream s = nullptr, s2 = nullptr;
    kn_stream_create(ctx, &s);
    kn_stream_create(ctx, &s2);

    expect_error(kn_graph_capture_begin(ctx, nullptr), "default stream", "default stream cannot capture");
    kn_graph g = nullptr;
    expect_error(kn_graph_capture_end(ctx, s, &g), "not capturing", "ending a capture never begun");

    expect(queue_work(ctx, nullptr, direct) == KN_OK, "direct calls succeed");
    kn_memset(ctx, captured.w, 0xFF, kBytes, nullptr);
    expect(kn_graph_capture_begin(ctx, s) == KN_OK, "capture begins on a created stream");
    expect_error(kn_graph_capture_begin(ctx, s), "already capturing", "captures do not nest");
    expect(queue_work(ctx, s, captured) == KN_OK, "op, copy, op and memset are captured");
    // Misuse during the capture.
    kn_elementwise_params p{};
    p.op = KN_ELEMENTWISE_SILU;
    p.x = dense(captured.x, {kN});
    p.y = dense(captured.y, {kN});
    expect_error(kn_elementwise(ctx, nullptr, &p), "capturing a graph", "default-stream op refused during capture");
    expect_error(kn_memset(ctx, captured.y, 0, 4, nullptr), "capturing a graph", "default-stream memset refused");
    float host[4];
    expect_error(kn_memcpy(ctx, host, captured.y, sizeof host, KN_COPY_DEVICE_TO_HOST, s), "device-to-device copies only",
                 "host copy on the capturing stream refused");
    void *extra = nullptr;
    expect_error(kn_malloc(ctx, 64, &extra), "during a capture", "kn_malloc refused on the capturing thread");
    expect_error(kn_free(ctx, captured.z), "during a capture", "kn_free refused on the capturing thread");
    expect_error(kn_stream_synchronize(ctx, s), "capturing", "synchronizing the capturing stream refused");
    expect_error(kn_stream_destroy(ctx, s), "end the capture first", "destroying the capturing stream refused");
    kn_elementwise_params bad = p;
    bad.y = dense(captured.y, {kN + 1});
    expect(kn_elementwise(ctx, s, &bad) == KN_ERR_INVALID_ARGUMENT, "a bad op call during capture is refused");
    expect_error(kn_malloc(other_ctx, 64, &extra), "during a capture",
                 "another context's kn_malloc refused on the capturing thread");
    int32_t elsewhere = -1;
    std::thread([&] {
        void *mem = nullptr;
        elsewhere = kn_malloc(other_ctx, 64, &mem);
        if (elsewhere == KN_OK) elsewhere = kn_free(other_ctx, mem);
    }).join();
    expect(elsewhere == KN_OK, "another thread allocates during the capture (thread-local capture mode)");
    expect(kn_graph_capture_end(ctx, s, &g) == KN_OK && g != nullptr, "capture ends with a graph");
    const std::vector<float> untouched = read(ctx, captured.w);
    uint32_t bits = 0;
    std::memcpy(&bits, &untouched[5], sizeof bits);
    expect(bits == 0xFFFFFFFFu, "captured work did not run during the capture");
    int64_t nodes = -1;
    expect(kn_graph_node_count(ctx, g, &nodes) == KN_OK && nodes == 4, "graph holds 4 items");
    if (nodes != 4) std::printf("  node count %lld\n", (long long)nodes);
    expect_error(kn_graph_launch(other_ctx, g, nullptr), "another context", "foreign graph refused");

    // Replays equal the direct calls, on the capturing stream, another stream and the default stream.
    const std::vector<float> want_w = read(ctx, direct.w), want_y = read(ctx, direct.y);
    for (kn_stream on : {s, s2, static_cast<kn_stream>(nullptr)}) {
        kn_memset(ctx, captured.w, 0xFF, kBytes, nullptr);
        kn_memset(ctx, captured.y, 0xFF, kBytes, nullptr);
        expect(kn_graph_launch(ctx, g, on) == KN_OK && kn_stream_synchronize(ctx, on) == KN_OK, "graph launch");
        expect(std::memcmp(read(ctx, captured.w).data(), want_w.data(), kBytes) == 0 &&
                   std::memcmp(read(ctx, captured.y).data(), want_y.data(), kBytes) == 0,
               "replay is bit-identical to the direct calls");
    }

    // A graph cannot be launched into a capture; an empty capture is a graph of 0 items.
    expect(kn_graph_capture_begin(ctx, s2) == KN_OK, "second capture begins");
    expect_error(kn_graph_launch(ctx, g, s2), "launched into a capture", "graph launch into a capture refused");
    kn_graph empty = nullptr;
    expect(kn_graph_capture_end(ctx, s2, &empty) == KN_OK && kn_graph_node_count(ctx, empty, &nodes) == KN_OK &&
               nodes == 0,
           "empty capture gives an empty graph");

    // Stale handles.
    expect(kn_graph_destroy(ctx, g) == KN_OK, "graph destroyed");
    expect_error(kn_graph_launch(ctx, g, s), "destroyed or unknown", "stale graph refused by kn_graph_launch");
    expect_error(kn_graph_destroy(ctx, g), "destroyed or unknown", "stale graph refused by kn_graph_destroy");
    expect_error(kn_graph_launch(ctx, nullptr, s), "got NULL", "NULL graph refused");
    expect_error(kn_graph_node_count(ctx, reinterpret_cast<kn_graph>(&nodes), &nodes), "destroyed or unknown",
                 "unknown pointer refused as a graph");

    kn_stream_destroy(ctx, s);
    kn_stream_destroy(ctx, s2);
    kn_context_destroy(other_ctx);
    kn_context_destroy(ctx);  // frees `empty` with it
    std::printf("%s: %d failure(s)\n", failures == 0 ? "ALL PASSED" : "FAILED", failures);
    return failures == 0 ? 0 : 1;
}
