// Poisons __shared__ variables before each block. They are `static thread_local`, so they live in
// the kernel module's TLS block; a kernel module holds no other thread-local state (checked at build
// time by check_module_tls.cmake), so filling that whole block with 0xFF poisons exactly them.
// A block is found by asking the module for the address of its anchor byte on this OS thread (which
// also allocates the block) and matching it against dl_iterate_phdr's per-thread TLS addresses.
#include <link.h>
#include <string.h>

#include <string>

#include "runtime_internal.h"

namespace kn_emu::rt {

namespace {
struct TlsQuery {
    uintptr_t anchor;
    unsigned char *data;
    size_t bytes;
};

int find_module_tls(struct dl_phdr_info *info, size_t, void *arg) {
    auto *q = static_cast<TlsQuery *>(arg);
    if (info->dlpi_tls_data == nullptr) return 0;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        if (info->dlpi_phdr[i].p_type != PT_TLS) continue;
        const uintptr_t base = reinterpret_cast<uintptr_t>(info->dlpi_tls_data);
        if (q->anchor >= base && q->anchor < base + info->dlpi_phdr[i].p_memsz) {
            q->data = static_cast<unsigned char *>(info->dlpi_tls_data);
            q->bytes = info->dlpi_phdr[i].p_memsz;
            return 1;
        }
    }
    return 0;
}
}  // namespace

bool poison_module_shared_memory(Worker &w, void *(*anchor)(void), std::string &error) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(anchor());
    for (const ModuleTls &m : w.module_tls) {
        const uintptr_t base = reinterpret_cast<uintptr_t>(m.data);
        // The range check also notices a module unloaded and another loaded in its place.
        if (m.anchor == anchor && address >= base && address < base + m.bytes) {
            memset(m.data, 0xFF, m.bytes);
            return true;
        }
    }
    TlsQuery q{address, nullptr, 0};
    dl_iterate_phdr(find_module_tls, &q);
    if (q.data == nullptr) {
        error = "could not find the kernel module's thread-local block to poison its __shared__ variables";
        return false;
    }
    for (ModuleTls &m : w.module_tls) {
        if (m.anchor == anchor) {
            m = ModuleTls{anchor, q.data, q.bytes};
            memset(q.data, 0xFF, q.bytes);
            return true;
        }
    }
    w.module_tls.push_back(ModuleTls{anchor, q.data, q.bytes});
    memset(q.data, 0xFF, q.bytes);
    return true;
}

}  // namespace kn_emu::rt
