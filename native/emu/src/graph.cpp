// Stream capture and graph replay. While a stream captures, every launch, copy and memset queued on
// it is recorded in order (a launch with a by-value copy of its kernel arguments) instead of run;
// cudaStreamEndCapture hands the recording over as a graph, cudaGraphInstantiate shares it with an
// executable graph, and cudaGraphLaunch replays it on a stream: each launch goes through the same
// checks and block scheduler as a direct launch, copies and memsets are checked again against the
// live allocations. Replay stops at the first failing item, like a faulting graph on a GPU.
//
// As on CUDA, the legacy NULL stream cannot capture, a capture in global or thread-local mode makes
// cudaMalloc / cudaFree on its thread (any thread, for global mode) fail and invalidates the capture,
// synchronizing a capturing stream is refused, and a thread-local or global capture must be ended on
// the thread that began it.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime_internal.h"

namespace kn_emu::rt {
namespace {

struct Recorded {
    enum class Kind { Launch, Memcpy, Memset } kind;
    kn_emu_launch_desc launch;  // Launch: launch.call is owned (freed with launch.free_call)
    void *dst;
    const void *src;
    size_t bytes;
    int value;
    cudaMemcpyKind copy_kind;
};

// The recorded work; shared by a graph and the executable graphs instantiated from it.
struct Recording {
    std::vector<Recorded> items;
    ~Recording() {
        for (Recorded &r : items) {
            if (r.kind == Recorded::Kind::Launch) r.launch.free_call(const_cast<void *>(r.launch.call));
        }
    }
};

struct Capture {
    cudaStreamCaptureMode mode;
    std::thread::id thread;
    std::shared_ptr<Recording> recording = std::make_shared<Recording>();
    std::string invalidated;  // why the capture is invalid; empty while it is valid
};

std::mutex g_capture_lock;
std::map<cudaStream_t, Capture> g_captures;
std::atomic<int> g_capture_count{0};  // g_captures.size(), read without the lock on every launch

cudaError_t fail(cudaError_t code, const std::string &message) {
    record_error(code, message);
    return code;
}

const char *mode_name(cudaStreamCaptureMode mode) {
    switch (mode) {
        case cudaStreamCaptureModeGlobal: return "global";
        case cudaStreamCaptureModeThreadLocal: return "thread-local";
        default: return "relaxed";
    }
}

bool is_legacy(cudaStream_t stream) {
    return stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread;
}

// Records item on stream's capture. Caller holds g_capture_lock; the stream is capturing.
cudaError_t record(Capture &c, const Recorded &item) {
    if (!c.invalidated.empty()) {
        if (item.kind == Recorded::Kind::Launch) item.launch.free_call(const_cast<void *>(item.launch.call));
        return fail(cudaErrorStreamCaptureInvalidated, "the stream's capture was invalidated earlier: " + c.invalidated);
    }
    c.recording->items.push_back(item);
    return cudaSuccess;
}

}  // namespace

struct GraphHandle {
    std::shared_ptr<Recording> recording;
};

bool capture_launch(const kn_emu_launch_desc &d, cudaError_t &err) {
    if (g_capture_count.load(std::memory_order_acquire) == 0) return false;
    std::lock_guard<std::mutex> guard(g_capture_lock);
    auto it = g_captures.find(d.stream);
    if (it == g_captures.end()) return false;
    Recorded item{};
    item.kind = Recorded::Kind::Launch;
    item.launch = d;
    item.launch.call = d.clone_call(d.call);
    err = record(it->second, item);
    return true;
}

bool capture_memcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream,
                    cudaError_t &err) {
    if (g_capture_count.load(std::memory_order_acquire) == 0) return false;
    std::lock_guard<std::mutex> guard(g_capture_lock);
    auto it = g_captures.find(stream);
    if (it == g_captures.end()) return false;
    Recorded item{};
    item.kind = Recorded::Kind::Memcpy;
    item.dst = dst, item.src = src, item.bytes = bytes, item.copy_kind = kind;
    err = record(it->second, item);
    return true;
}

bool capture_memset(void *dst, int value, size_t bytes, cudaStream_t stream, cudaError_t &err) {
    if (g_capture_count.load(std::memory_order_acquire) == 0) return false;
    std::lock_guard<std::mutex> guard(g_capture_lock);
    auto it = g_captures.find(stream);
    if (it == g_captures.end()) return false;
    Recorded item{};
    item.kind = Recorded::Kind::Memset;
    item.dst = dst, item.value = value, item.bytes = bytes;
    err = record(it->second, item);
    return true;
}

cudaError_t check_capture_safe_call(const char *what) {
    if (g_capture_count.load(std::memory_order_acquire) == 0) return cudaSuccess;
    std::lock_guard<std::mutex> guard(g_capture_lock);
    const std::thread::id self = std::this_thread::get_id();
    for (auto &[stream, c] : g_captures) {
        const bool binds = c.mode == cudaStreamCaptureModeGlobal ||
                           (c.mode == cudaStreamCaptureModeThreadLocal && c.thread == self);
        if (!binds) continue;
        const std::string why = std::string(what) + " while a stream captures in " + mode_name(c.mode) +
                                " mode (it would synchronize the device); allocate and free before the capture";
        if (c.invalidated.empty()) c.invalidated = why;
        return fail(cudaErrorStreamCaptureUnsupported, why);
    }
    return cudaSuccess;
}

cudaError_t check_not_capturing(cudaStream_t stream, const char *what) {
    if (g_capture_count.load(std::memory_order_acquire) == 0) return cudaSuccess;
    std::lock_guard<std::mutex> guard(g_capture_lock);
    auto it = g_captures.find(stream);
    if (it == g_captures.end()) return cudaSuccess;
    const std::string why = std::string(what) + " on a capturing stream (its work runs only when the graph is launched)";
    if (it->second.invalidated.empty()) it->second.invalidated = why;
    return fail(cudaErrorStreamCaptureUnsupported, why);
}

void forget_capture(cudaStream_t stream) {
    std::lock_guard<std::mutex> guard(g_capture_lock);
    if (g_captures.erase(stream) != 0) g_capture_count.fetch_sub(1, std::memory_order_release);
}

}  // namespace kn_emu::rt

using namespace kn_emu::rt;

struct CUgraph_st : GraphHandle {};
struct CUgraphExec_st : GraphHandle {};

extern "C" cudaError_t kn_emu_stream_begin_capture(cudaStream_t stream, cudaStreamCaptureMode mode) {
    if (is_legacy(stream)) {
        return fail(cudaErrorStreamCaptureUnsupported,
                    "cudaStreamBeginCapture: the legacy NULL stream cannot be captured; capture a created stream");
    }
    if (!is_valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaStreamBeginCapture: the stream is not a live stream");
    if (mode != cudaStreamCaptureModeGlobal && mode != cudaStreamCaptureModeThreadLocal &&
        mode != cudaStreamCaptureModeRelaxed) {
        return fail(cudaErrorInvalidValue, "cudaStreamBeginCapture: mode " + std::to_string(static_cast<int>(mode)) +
                                               " is not a cudaStreamCaptureMode (0..2)");
    }
    std::lock_guard<std::mutex> guard(g_capture_lock);
    if (g_captures.count(stream) != 0) {
        return fail(cudaErrorIllegalState, "cudaStreamBeginCapture: the stream is already capturing");
    }
    Capture c;
    c.mode = mode;
    c.thread = std::this_thread::get_id();
    g_captures.emplace(stream, std::move(c));
    g_capture_count.fetch_add(1, std::memory_order_release);
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_stream_end_capture(cudaStream_t stream, cudaGraph_t *graph) {
    if (graph == nullptr) return fail(cudaErrorInvalidValue, "cudaStreamEndCapture: pGraph is NULL");
    *graph = nullptr;
    std::lock_guard<std::mutex> guard(g_capture_lock);
    auto it = g_captures.find(stream);
    if (it == g_captures.end()) return fail(cudaErrorIllegalState, "cudaStreamEndCapture: the stream is not capturing");
    Capture &c = it->second;
    if (c.mode != cudaStreamCaptureModeRelaxed && c.thread != std::this_thread::get_id()) {
        return fail(cudaErrorStreamCaptureWrongThread,
                    std::string("cudaStreamEndCapture: a ") + mode_name(c.mode) +
                        " capture must be ended on the thread that began it");
    }
    const std::string invalidated = c.invalidated;
    std::shared_ptr<Recording> recording = std::move(c.recording);
    g_captures.erase(it);
    g_capture_count.fetch_sub(1, std::memory_order_release);
    if (!invalidated.empty()) {
        return fail(cudaErrorStreamCaptureInvalidated, "cudaStreamEndCapture: the capture was invalidated: " + invalidated);
    }
    auto *g = new CUgraph_st();
    g->recording = std::move(recording);
    *graph = g;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_stream_is_capturing(cudaStream_t stream, cudaStreamCaptureStatus *status) {
    if (status == nullptr) return fail(cudaErrorInvalidValue, "cudaStreamIsCapturing: pCaptureStatus is NULL");
    std::lock_guard<std::mutex> guard(g_capture_lock);
    auto it = g_captures.find(stream);
    *status = it == g_captures.end() ? cudaStreamCaptureStatusNone
              : it->second.invalidated.empty() ? cudaStreamCaptureStatusActive
                                                : cudaStreamCaptureStatusInvalidated;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_graph_get_nodes(cudaGraph_t graph, cudaGraphNode_t *nodes, size_t *count) {
    if (graph == nullptr || count == nullptr) {
        return fail(cudaErrorInvalidValue, "cudaGraphGetNodes: graph or numNodes is NULL");
    }
    if (nodes != nullptr) {
        return fail(cudaErrorNotSupported, "cudaGraphGetNodes: the emulator reports the node count only (pass nodes = NULL)");
    }
    *count = graph->recording->items.size();
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_graph_instantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long) {
    if (exec == nullptr || graph == nullptr) {
        return fail(cudaErrorInvalidValue, "cudaGraphInstantiate: pGraphExec or graph is NULL");
    }
    auto *x = new CUgraphExec_st();
    x->recording = graph->recording;
    *exec = x;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_graph_launch(cudaGraphExec_t exec, cudaStream_t stream) {
    if (exec == nullptr) return fail(cudaErrorInvalidValue, "cudaGraphLaunch: graphExec is NULL");
    if (!is_valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaGraphLaunch: the stream is not a live stream");
    if (const cudaError_t capturing = check_not_capturing(stream, "cudaGraphLaunch")) return capturing;
    for (const Recorded &r : exec->recording->items) {
        cudaError_t err = cudaSuccess;
        switch (r.kind) {
            case Recorded::Kind::Launch: {
                kn_emu_launch_desc d = r.launch;
                d.stream = stream;
                err = launch_now(d);
                break;
            }
            case Recorded::Kind::Memcpy: err = memcpy_now(r.dst, r.src, r.bytes, r.copy_kind); break;
            case Recorded::Kind::Memset: err = memset_now(r.dst, r.value, r.bytes); break;
        }
        if (err != cudaSuccess) return err;
    }
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_graph_exec_destroy(cudaGraphExec_t exec) {
    if (exec == nullptr) return fail(cudaErrorInvalidValue, "cudaGraphExecDestroy: graphExec is NULL");
    delete exec;
    return cudaSuccess;
}

extern "C" cudaError_t kn_emu_graph_destroy(cudaGraph_t graph) {
    if (graph == nullptr) return fail(cudaErrorInvalidValue, "cudaGraphDestroy: graph is NULL");
    delete graph;
    return cudaSuccess;
}
