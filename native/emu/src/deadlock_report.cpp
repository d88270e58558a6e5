// Text of a deadlock report: the kernel, the block, and where each group of threads waits.
#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

#include "runtime_internal.h"

namespace kn_emu::rt {

namespace {
struct BarrierGroup {
    const char *site;
    uint32_t count;
    uint32_t first;
};
struct WarpGroup {
    const char *site;
    int kind;
    uint32_t mask;
    uint32_t lanes;
};
constexpr size_t kMaxGroupsShown = 16;
}  // namespace

std::string block_headline(const Worker &w, const char *what) {
    const kn_emu_launch_desc &L = *w.launch;
    char line[768];
    snprintf(line, sizeof line, "kernel '%s', block (%u,%u,%u) of grid (%u,%u,%u) with block dims (%u,%u,%u): ",
             L.kernel_name, w.block_idx.x, w.block_idx.y, w.block_idx.z, L.grid[0], L.grid[1], L.grid[2], L.block[0],
             L.block[1], L.block[2]);
    return std::string(line) + what;
}

std::string describe_deadlock(const Worker &w, const char *headline) {
    char line[768];
    std::string text = block_headline(w, headline);

    std::vector<BarrierGroup> barrier_groups;
    uint32_t exited = 0;
    for (uint32_t i = 0; i < w.thread_count; ++i) {
        if (w.state[i] == FiberState::Done) ++exited;
        if (w.state[i] != FiberState::AtBarrier) continue;
        const char *site = w.fibers[i]->site;
        bool found = false;
        for (BarrierGroup &g : barrier_groups) {
            if (g.site == site || strcmp(g.site, site) == 0) {
                ++g.count;
                found = true;
                break;
            }
        }
        if (!found) barrier_groups.push_back(BarrierGroup{site, 1, i});
    }
    for (size_t k = 0; k < barrier_groups.size() && k < kMaxGroupsShown; ++k) {
        const BarrierGroup &g = barrier_groups[k];
        const uint3 t = view_of(w.fibers[g.first])->thread_idx;
        snprintf(line, sizeof line, "\n  %u thread(s) wait at __syncthreads() %s (first: thread (%u,%u,%u))", g.count,
                 g.site, t.x, t.y, t.z);
        text += line;
    }

    size_t shown = 0;
    for (uint32_t warp = 0; warp * kWarpSize < w.thread_count; ++warp) {
        std::vector<WarpGroup> groups;
        for (uint32_t lane = 0; lane < kWarpSize && warp * kWarpSize + lane < w.thread_count; ++lane) {
            const uint32_t i = warp * kWarpSize + lane;
            if (w.state[i] != FiberState::AtWarp) continue;
            const Fiber *f = w.fibers[i];
            bool found = false;
            for (WarpGroup &g : groups) {
                if (g.kind == f->op.kind && g.mask == f->op.mask && strcmp(g.site, f->site) == 0) {
                    g.lanes |= 1u << lane;
                    found = true;
                    break;
                }
            }
            if (!found) groups.push_back(WarpGroup{f->site, f->op.kind, f->op.mask, 1u << lane});
        }
        for (const WarpGroup &g : groups) {
            if (shown++ >= kMaxGroupsShown) break;
            const uint32_t missing = g.mask & ~g.lanes;
            snprintf(line, sizeof line,
                     "\n  warp %u: lanes 0x%08x wait at %s %s with mask 0x%08x; lanes 0x%08x never join "
                     "(0x%08x of them have exited)",
                     warp, g.lanes, warp_kind_name(g.kind), g.site, g.mask, missing, missing & w.warps[warp].exited);
            text += line;
        }
    }
    if (exited > 0) {
        snprintf(line, sizeof line, "\n  %u thread(s) have exited", exited);
        text += line;
    }
    return text;
}

}  // namespace kn_emu::rt
