// Bounds checking of dynamic shared memory (KN_EMU_CHECK_SHARED=1).
//
// With the check on, each worker's dynamic shared memory ends exactly where an inaccessible guard page
// begins, so the first byte read or written past the launch's dynamic_smem_bytes faults. The SIGSEGV
// handler recognises a fault in the guard page of the block running on this OS thread, fails that
// block with the kernel, block and thread and the offending byte, and leaves the fiber suspended, like
// __trap(): the launch then returns an error instead of the process dying. Any other SIGSEGV goes to
// the handler that was installed before (a JVM's, for instance), so the check is off by default and
// meant for the emulator's own and the kernels' test programs (CMake sets it for their ctest runs).
// Not caught here: accesses before the start of the buffer, past the guard page, or to static
// __shared__ variables (they live in the thread's TLS block). Those are fixed-size arrays, which a build
// with -fsanitize=bounds checks (kernels/CMakeLists.txt: kinema_cuda_emu_checked); when UBSan stops the
// process for one, the death callback registered here adds the kernel, block and thread to its report.
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>

#include "runtime_internal.h"

namespace kn_emu::rt {
namespace {
thread_local Worker *t_running = nullptr;  // the worker whose block runs on this OS thread, if any
struct sigaction g_previous;
std::once_flag g_install_once;

bool check_enabled() {
    static const bool enabled = [] {
        const char *v = getenv("KN_EMU_CHECK_SHARED");
        return v != nullptr && strcmp(v, "1") == 0;
    }();
    return enabled;
}

size_t page_bytes() {
    static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    return page;
}

void pass_on(int sig, siginfo_t *info, void *context) {
    if (g_previous.sa_flags & SA_SIGINFO) {
        g_previous.sa_sigaction(sig, info, context);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
        g_previous.sa_handler(sig);
    } else {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

void on_segv(int sig, siginfo_t *info, void *context) {
    Worker *w = t_running;
    const auto *address = static_cast<const unsigned char *>(info->si_addr);
    if (w != nullptr && w->in_block && w->smem_guard != nullptr && address >= w->smem_guard &&
        address < w->smem_guard + page_bytes()) {
        const size_t bytes = w->launch->dynamic_smem_bytes;
        const unsigned char *start = w->smem_guard - ((bytes + 15) & ~size_t(15));
        const uint3 t = kn_emu::this_thread()->thread_idx;
        char message[256];
        snprintf(message, sizeof message,
                 "out-of-range shared memory access by thread (%u,%u,%u): byte %zu of %zu bytes of dynamic shared "
                 "memory",
                 t.x, t.y, t.z, static_cast<size_t>(address - start), bytes);
        fail_block(current_fiber(), message);  // switches to the scheduler; never returns here
    }
    pass_on(sig, info, context);
}

// Runs when a sanitizer ends the process (the -fsanitize=bounds build): its report names the source
// line; this names the emulated kernel, block and thread that were running it.
void on_sanitizer_death() {
    Worker *w = t_running;
    if (w == nullptr || !w->in_block) return;
    const uint3 t = kn_emu::this_thread()->thread_idx;
    char line[512];
    const int n = snprintf(line, sizeof line,
                           "cuda-emu: the error above was raised by kernel '%s', block (%u,%u,%u), thread (%u,%u,%u)\n",
                           w->launch->kernel_name, w->block_idx.x, w->block_idx.y, w->block_idx.z, t.x, t.y, t.z);
    if (n > 0) (void)!write(2, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
}

// UBSan is loaded only with the checked kernels (and not into the global namespace): ask for it by name.
void register_sanitizer_death_callback() {
    void *ubsan = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (ubsan == nullptr) return;
    using SetDeathCallback = void (*)(void (*)());
    auto set = reinterpret_cast<SetDeathCallback>(dlsym(ubsan, "__sanitizer_set_death_callback"));
    if (set != nullptr) set(on_sanitizer_death);
    dlclose(ubsan);  // RTLD_NOLOAD took a reference; the library stays loaded by its user
}

void install_handler() {
    struct sigaction action {};
    action.sa_sigaction = on_segv;
    // SA_NODEFER: the handler leaves by switching fibers, never by returning, so SIGSEGV must not
    // stay blocked on this thread afterwards.
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &g_previous);
    register_sanitizer_death_callback();
}
}  // namespace

bool guarded_shared_memory() { return check_enabled(); }

void set_running_worker(Worker *w) { t_running = w; }

bool prepare_guarded_smem(Worker &w, size_t bytes) {
    std::call_once(g_install_once, install_handler);
    const size_t page = page_bytes(), rounded = (bytes + 15) & ~size_t(15);
    if (rounded > w.guarded_capacity) {
        if (w.guarded_region != nullptr) munmap(w.guarded_region, w.guarded_capacity + page);
        const size_t capacity = (rounded + page - 1) & ~(page - 1);
        void *region = mmap(nullptr, capacity + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (region == MAP_FAILED) {
            w.guarded_region = nullptr;
            w.guarded_capacity = 0;
            return false;
        }
        auto *base = static_cast<unsigned char *>(region);
        if (mprotect(base + capacity, page, PROT_NONE) != 0) {
            munmap(region, capacity + page);
            return false;
        }
        w.guarded_region = base;
        w.guarded_capacity = capacity;
        w.smem_guard = base + capacity;
    }
    w.dynamic_smem = w.smem_guard - rounded;  // ends at the guard page; 16-byte aligned (page-aligned end)
    if (bytes > 0) memset(w.dynamic_smem, 0xFF, bytes);
    return true;
}

void release_guarded_smem(Worker &w) {
    if (w.guarded_region != nullptr) munmap(w.guarded_region, w.guarded_capacity + page_bytes());
    w.guarded_region = nullptr;
}
}  // namespace kn_emu::rt
