// plugins.cpp - loading the cuda and cuda-emu plugins.
//
// libkinema must load on any Linux x86-64 host, with or without CUDA, so the backends that link the
// CUDA runtime (or the fiber emulator) live in separate shared objects loaded on first use. A plugin
// that cannot be loaded is remembered with its reason, which every later probe reports.
#include "plugins.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "../cpu/cpu_backend.h"
#include "errors.h"

namespace {

struct PluginSlot {
    std::once_flag once;
    const kn_backend_ops *ops = nullptr;
    std::string failure;  // why ops is NULL
};

PluginSlot slots[KN_BACKEND_COUNT];

void host_set_error(const char *message) { kn_set_error("%s", message); }

const kn_host_api host_api = {KN_PLUGIN_ABI, host_set_error};

// The folder libkinema was loaded from, with a trailing '/'.
std::string library_folder() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&kn_backend_table), &info) == 0 || info.dli_fname == nullptr) return "";
    std::string path = info.dli_fname;
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

void load_plugin(PluginSlot &slot, const char *backend_name, const char *file_name) {
    std::string path = library_folder() + file_name;
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char *why = dlerror();
        slot.failure = std::string("backend '") + backend_name + "' unavailable: cannot load plugin " + path + ": " +
                       (why ? why : "unknown dlopen error");
        return;
    }
    auto entry = reinterpret_cast<kn_plugin_entry_fn>(dlsym(handle, KN_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) {
        slot.failure = std::string("backend '") + backend_name + "' unavailable: plugin " + path + " lacks symbol " +
                       KN_PLUGIN_ENTRY_SYMBOL;
        return;
    }
    kn_clear_error();
    const kn_backend_ops *ops = entry(&host_api);
    if (ops == nullptr) {
        slot.failure = std::string("backend '") + backend_name + "' unavailable: plugin " + path +
                       " failed to initialise: " + kn_get_error();
        return;
    }
    if (ops->abi != KN_PLUGIN_ABI) {
        slot.failure = std::string("backend '") + backend_name + "' unavailable: plugin " + path + " has plugin ABI " +
                       std::to_string(ops->abi) + ", expected " + std::to_string(KN_PLUGIN_ABI);
        return;
    }
    slot.ops = ops;  // the handle stays open for the life of the process
}

}  // namespace

const kn_backend_ops *kn_backend_table(int32_t backend) {
    if (backend < 0 || backend >= KN_BACKEND_COUNT) {
        kn_set_error("backend: expected 0..%d, got %d", KN_BACKEND_COUNT - 1, backend);
        return nullptr;
    }
    PluginSlot &slot = slots[backend];
    std::call_once(slot.once, [&] {
        switch (backend) {
            case KN_BACKEND_CPU: slot.ops = kn_cpu_backend(); break;
            case KN_BACKEND_CUDA: load_plugin(slot, "cuda", "libkinema_cuda.so"); break;
            case KN_BACKEND_CUDA_EMU:
#if defined(__x86_64__)
                // The emulated kernels are compiled with -mfma when the build host has FMA
                // (KINEMA_CUDA_EMU_FMA); refuse cleanly rather than fault on an older CPU.
                if (!__builtin_cpu_supports("fma")) {
                    slot.failure = "backend 'cuda-emu' unavailable: it needs a CPU with FMA (x86-64 since 2013)";
                    break;
                }
#endif
                load_plugin(slot, "cuda-emu", "libkinema_cuda_emu.so");
                break;
        }
    });
    if (slot.ops == nullptr) kn_set_error("%s", slot.failure.c_str());
    return slot.ops;
}
