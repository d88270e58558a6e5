// Poisons __shared__ variables before each block. They are `static thread_local`, so they live in
// the kernel module's TLS block (found per OS thread from the address of an anchor byte of the
// module, matched against dl_iterate_phdr's per-thread TLS addresses).
//
// Only the launched kernel's variables are filled with 0xFF: the module's symbol table names each
// function-local static `_ZZ<enclosing function>E<name>`, so the kernel's own variables are found by
// its mangled name. Variables of other functions (device helpers called by kernels) are poisoned
// for every kernel, except those that belong to another launched kernel. Without a symbol table the
// whole TLS block is poisoned. A kernel module holds no other thread-local state
// (check_module_tls.cmake), so whatever is poisoned is shared memory.
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime_internal.h"

namespace kn_emu::rt {

namespace {

struct TlsSymbol {
    std::string name;
    size_t offset;
    size_t bytes;
};

struct ModuleSymbols {
    bool readable = false;
    std::vector<TlsSymbol> tls;
    std::unordered_map<uintptr_t, std::string> functions;  // load address -> mangled name
};

std::mutex g_lock;
std::map<void *(*)(void), ModuleSymbols> g_modules;        // by the module's anchor function
std::unordered_map<const void *, std::string> g_kernels;    // launched kernels -> mangled names
uint64_t g_kernels_version = 0;
std::unordered_map<const void *, const PoisonPlan *> g_plans;
std::deque<PoisonPlan> g_plan_storage;  // never shrinks: a running launch may hold an older plan

struct ModuleQuery {
    uintptr_t code_address;
    std::string path;
    uintptr_t base;
    bool found;
};

int find_module_of_code(struct dl_phdr_info *info, size_t, void *arg) {
    auto *q = static_cast<ModuleQuery *>(arg);
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr) &ph = info->dlpi_phdr[i];
        if (ph.p_type != PT_LOAD) continue;
        const uintptr_t start = info->dlpi_addr + ph.p_vaddr;
        if (q->code_address >= start && q->code_address < start + ph.p_memsz) {
            q->path = info->dlpi_name[0] != '\0' ? info->dlpi_name : "/proc/self/exe";
            q->base = info->dlpi_addr;
            q->found = true;
            return 1;
        }
    }
    return 0;
}

// Reads .symtab of the module that holds `anchor`. Caller holds g_lock.
ModuleSymbols read_module_symbols(void *(*anchor)(void)) {
    ModuleSymbols m;
    ModuleQuery q{reinterpret_cast<uintptr_t>(anchor), "", 0, false};
    dl_iterate_phdr(find_module_of_code, &q);
    if (!q.found) return m;
    const int fd = open(q.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return m;
    struct stat st;
    void *map = fstat(fd, &st) == 0 ? mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0)
                                    : MAP_FAILED;
    close(fd);
    if (map == MAP_FAILED) return m;
    const auto *bytes = static_cast<const unsigned char *>(map);
    const size_t size = static_cast<size_t>(st.st_size);
    const auto *eh = reinterpret_cast<const Elf64_Ehdr *>(bytes);
    const bool elf64 = size >= sizeof(Elf64_Ehdr) && memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
                       eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_shoff + eh->e_shnum * sizeof(Elf64_Shdr) <= size;
    if (elf64) {
        const auto *sections = reinterpret_cast<const Elf64_Shdr *>(bytes + eh->e_shoff);
        for (unsigned s = 0; s < eh->e_shnum; ++s) {
            if (sections[s].sh_type != SHT_SYMTAB || sections[s].sh_link >= eh->e_shnum) continue;
            const Elf64_Shdr &strtab = sections[sections[s].sh_link];
            if (sections[s].sh_offset + sections[s].sh_size > size || strtab.sh_offset + strtab.sh_size > size) break;
            const auto *symbols = reinterpret_cast<const Elf64_Sym *>(bytes + sections[s].sh_offset);
            const char *names = reinterpret_cast<const char *>(bytes + strtab.sh_offset);
            const size_t count = sections[s].sh_size / sizeof(Elf64_Sym);
            for (size_t i = 0; i < count; ++i) {
                const Elf64_Sym &sym = symbols[i];
                if (sym.st_shndx == SHN_UNDEF || sym.st_name >= strtab.sh_size) continue;
                const char *name = names + sym.st_name;
                const int type = ELF64_ST_TYPE(sym.st_info);
                if (type == STT_TLS && strncmp(name, "_ZZ", 3) == 0) {
                    m.tls.push_back(TlsSymbol{name, static_cast<size_t>(sym.st_value), static_cast<size_t>(sym.st_size)});
                } else if (type == STT_FUNC) {
                    m.functions.emplace(q.base + sym.st_value, name);
                }
            }
            m.readable = true;
            break;
        }
    }
    munmap(map, size);
    return m;
}

// The enclosing function of a function-local static, as a mangled name: _ZZ<enc>E<...> -> _Z<enc>.
bool belongs_to(const std::string &local_static, const std::string &function) {
    if (function.size() < 3 || function.compare(0, 2, "_Z") != 0) return false;
    const size_t enc = function.size() - 2;
    return local_static.size() > 3 + enc && local_static.compare(3, enc, function, 2, enc) == 0 &&
           local_static[3 + enc] == 'E';
}

PoisonPlan make_plan(const ModuleSymbols &m, const void *kernel) {
    PoisonPlan plan;
    plan.version = g_kernels_version;
    auto self = g_kernels.find(kernel);
    if (!m.readable || self == g_kernels.end() || self->second.empty()) {
        plan.whole_block = true;
        return plan;
    }
    for (const TlsSymbol &sym : m.tls) {
        bool other_kernel = false;
        if (!belongs_to(sym.name, self->second)) {
            for (const auto &k : g_kernels) {
                if (k.first != kernel && belongs_to(sym.name, k.second)) {
                    other_kernel = true;
                    break;
                }
            }
        }
        if (!other_kernel && sym.bytes > 0) plan.ranges.push_back(PoisonRange{sym.offset, sym.bytes});
    }
    return plan;
}

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

// This OS thread's TLS block of the module, allocated by the anchor call if it was not yet.
const ModuleTls *module_tls(Worker &w, void *(*anchor)(void)) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(anchor());
    for (const ModuleTls &m : w.module_tls) {
        const uintptr_t base = reinterpret_cast<uintptr_t>(m.data);
        // The range check also notices a module unloaded and another loaded in its place.
        if (m.anchor == anchor && address >= base && address < base + m.bytes) return &m;
    }
    TlsQuery q{address, nullptr, 0};
    dl_iterate_phdr(find_module_tls, &q);
    if (q.data == nullptr) return nullptr;
    for (ModuleTls &m : w.module_tls) {
        if (m.anchor == anchor) {
            m = ModuleTls{anchor, q.data, q.bytes};
            return &m;
        }
    }
    w.module_tls.push_back(ModuleTls{anchor, q.data, q.bytes});
    return &w.module_tls.back();
}

}  // namespace

const PoisonPlan &poison_plan(const kn_emu_launch_desc &launch) {
    std::lock_guard<std::mutex> guard(g_lock);
    auto module = g_modules.find(launch.tls_anchor);
    if (module == g_modules.end()) module = g_modules.emplace(launch.tls_anchor, read_module_symbols(launch.tls_anchor)).first;
    if (g_kernels.find(launch.kernel_id) == g_kernels.end()) {
        auto f = module->second.functions.find(reinterpret_cast<uintptr_t>(launch.kernel_id));
        g_kernels.emplace(launch.kernel_id, f != module->second.functions.end() ? f->second : std::string());
        ++g_kernels_version;  // another kernel's variables may now be left out of existing plans
    }
    auto plan = g_plans.find(launch.kernel_id);
    if (plan == g_plans.end() || plan->second->version != g_kernels_version) {
        g_plan_storage.push_back(make_plan(module->second, launch.kernel_id));
        g_plans[launch.kernel_id] = &g_plan_storage.back();
        plan = g_plans.find(launch.kernel_id);
    }
    return *plan->second;
}

bool poison_module_shared_memory(Worker &w, void *(*anchor)(void), const PoisonPlan &plan, std::string &error) {
    const ModuleTls *m = module_tls(w, anchor);
    if (m == nullptr) {
        error = "could not find the kernel module's thread-local block to poison its __shared__ variables";
        return false;
    }
    if (plan.whole_block) {
        memset(m->data, 0xFF, m->bytes);
        return true;
    }
    for (const PoisonRange &r : plan.ranges) {
        if (r.offset + r.bytes <= m->bytes) memset(m->data + r.offset, 0xFF, r.bytes);
    }
    return true;
}

}  // namespace kn_emu::rt
