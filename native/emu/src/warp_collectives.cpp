// Warp collectives (shuffles, votes, __syncwarp, __reduce_*_sync, mma): every lane named in the mask
// deposits its operand in its own Fiber record and waits; the lane that completes the group computes
// every member's result into that member's record, so no shared exchange buffer can be overwritten
// by a lane that runs on. Lanes beyond a partial last warp are dropped from the mask; a lane that
// has exited never arrives, and the group then deadlocks (reported), as it would hang on a GPU.
#include <stdio.h>

#include "runtime_internal.h"

namespace kn_emu::rt {

const char *warp_kind_name(int kind) {
    static const char *const names[KN_EMU_WARP_KIND_COUNT] = {
        "__shfl_sync",       "__shfl_up_sync",    "__shfl_down_sync",  "__shfl_xor_sync",
        "__ballot_sync",     "__any_sync",        "__all_sync",        "__syncwarp",
        "__reduce_add_sync", "__reduce_min_sync", "__reduce_max_sync", "__reduce_min_sync",
        "__reduce_max_sync", "__reduce_and_sync", "__reduce_or_sync",  "__reduce_xor_sync",
        "mma_m16n8k16"};
    return kind >= 0 && kind < KN_EMU_WARP_KIND_COUNT ? names[kind] : "warp collective";
}

// Source lane of a shuffle, following the PTX ISA's shfl.sync definition; -1: the lane's own value.
static int shuffle_source(int kind, int lane, int32_t param, int32_t width) {
    const int segment_start = lane & ~(width - 1);
    const int segment_end = segment_start + width - 1;
    const int64_t b = static_cast<uint32_t>(param);
    int64_t j = lane;
    bool in_range = true;
    switch (kind) {
        case KN_EMU_SHFL_IDX: j = segment_start | (b & (width - 1)); break;
        case KN_EMU_SHFL_UP: j = lane - b; in_range = j >= segment_start; break;
        case KN_EMU_SHFL_DOWN: j = lane + b; in_range = j <= segment_end; break;
        case KN_EMU_SHFL_XOR: j = lane ^ b; in_range = j <= segment_end; break;
        default: break;
    }
    return in_range ? static_cast<int>(j) : lane;
}

static uint32_t fold(int kind, uint32_t acc, uint32_t v) {
    switch (kind) {
        case KN_EMU_REDUCE_ADD: return acc + v;
        case KN_EMU_REDUCE_MIN_U: return v < acc ? v : acc;
        case KN_EMU_REDUCE_MAX_U: return v > acc ? v : acc;
        case KN_EMU_REDUCE_MIN_I: return static_cast<int32_t>(v) < static_cast<int32_t>(acc) ? v : acc;
        case KN_EMU_REDUCE_MAX_I: return static_cast<int32_t>(v) > static_cast<int32_t>(acc) ? v : acc;
        case KN_EMU_REDUCE_AND: return acc & v;
        case KN_EMU_REDUCE_OR: return acc | v;
        default: return acc ^ v;
    }
}

// Error paths stay out of line: their message buffers would otherwise widen every fiber's hot frame.
[[noreturn]] __attribute__((noinline, cold)) static void fail_mismatch(Fiber *f, uint32_t warp, int lane_a,
                                                                         const Fiber *a, int lane_b, const Fiber *b) {
    char message[1024];
    snprintf(message, sizeof message,
             "warp %u: lanes disagree on a warp collective: lane %d at %s calls %s with mask 0x%08x, "
             "lane %d at %s calls %s with mask 0x%08x",
             warp, lane_a, a->site, warp_kind_name(a->op.kind), a->op.mask, lane_b, b->site,
             warp_kind_name(b->op.kind), b->op.mask);
    fail_block(f, message);
}

static void complete(Worker &w, Fiber *self, uint32_t base, uint32_t mask) {
    Fiber *const *lanes = w.fibers + base;
    const int kind = self->op.kind;
    for (uint32_t m = mask; m != 0; m &= m - 1) {
        const int l = __builtin_ctz(m);
        const Fiber *g = lanes[l];
        if (g->op.kind != kind || g->op.mask != mask || g->op.mma_type != self->op.mma_type) {
            fail_mismatch(self, base / kWarpSize, static_cast<int>(self->linear - base), self, l, g);
        }
    }
    if (kind <= KN_EMU_SHFL_XOR) {
        for (uint32_t m = mask; m != 0; m &= m - 1) {
            const int l = __builtin_ctz(m);
            Fiber *g = lanes[l];
            const int j = shuffle_source(kind, l, g->op.param, g->op.width);
            // Reading a lane outside the mask is undefined in CUDA: give poison, not a plausible value.
            g->op.result = ((mask >> j) & 1u) ? lanes[j]->op.value : ~uint64_t(0);
        }
    } else if (kind == KN_EMU_MMA_M16N8K16) {
        compute_mma(w, base);
    } else {
        uint64_t result = 0;
        if (kind >= KN_EMU_BALLOT && kind <= KN_EMU_ALL) {
            uint32_t ballot = 0;
            for (uint32_t m = mask; m != 0; m &= m - 1) {
                const int l = __builtin_ctz(m);
                if (lanes[l]->op.value != 0) ballot |= 1u << l;
            }
            result = kind == KN_EMU_BALLOT ? ballot : kind == KN_EMU_ANY ? ballot != 0 : ballot == mask;
        } else if (kind >= KN_EMU_REDUCE_ADD && kind <= KN_EMU_REDUCE_XOR) {
            const int first = __builtin_ctz(mask);
            uint32_t acc = static_cast<uint32_t>(lanes[first]->op.value);
            for (uint32_t m = mask & (mask - 1); m != 0; m &= m - 1) {
                acc = fold(kind, acc, static_cast<uint32_t>(lanes[__builtin_ctz(m)]->op.value));
            }
            result = acc;
        }
        for (uint32_t m = mask; m != 0; m &= m - 1) lanes[__builtin_ctz(m)]->op.result = result;
    }
    for (uint32_t m = mask; m != 0; m &= m - 1) w.state[base + __builtin_ctz(m)] = FiberState::Ready;
}

[[noreturn]] __attribute__((noinline, cold)) static void fail_own_lane(Fiber *f, uint32_t mask, const char *site) {
    char message[512];
    snprintf(message, sizeof message, "%s at %s: lane %u of warp %u passes mask 0x%08x, which does not include it",
             warp_kind_name(f->op.kind), site, f->linear % kWarpSize, f->linear / kWarpSize, mask);
    fail_block(f, message);
}

[[noreturn]] __attribute__((noinline, cold)) static void fail_width(Fiber *f, int kind, int width, const char *site) {
    char message[512];
    snprintf(message, sizeof message, "%s at %s: width %d is not a power of two in [1, 32]", warp_kind_name(kind), site,
             width);
    fail_block(f, message);
}

[[noreturn]] __attribute__((noinline, cold)) static void fail_partial_warp(Fiber *f, const char *site) {
    char message[512];
    snprintf(message, sizeof message, "%s: warp %u has only %d threads; mma needs all 32 lanes", site,
             f->linear / kWarpSize, __builtin_popcount(f->worker->warps[f->linear / kWarpSize].present));
    fail_block(f, message);
}

// The calling lane joins its group; returns once the group is complete.
static uint64_t arrive(Fiber *f, uint32_t mask, const char *site) {
    Worker &w = *f->worker;
    const uint32_t lane = f->linear % kWarpSize, base = f->linear - lane;
    WarpState &warp = w.warps[f->linear / kWarpSize];
    if (((mask >> lane) & 1u) == 0) fail_own_lane(f, mask, site);
    mask &= warp.present;
    f->op.mask = mask;
    f->site = site;
    warp.arrived |= 1u << lane;
    if ((warp.arrived & mask) != mask) {
        w.state[f->linear] = FiberState::AtWarp;
        suspend(f);
        return f->op.result;
    }
    warp.arrived &= ~mask;
    complete(w, f, base, mask);
    return f->op.result;
}

}  // namespace kn_emu::rt

using namespace kn_emu::rt;

extern "C" uint64_t kn_emu_warp_op(int kind, uint32_t mask, uint64_t value, int32_t param, int32_t width,
                                   const char *site) {
    Fiber *f = current_fiber();
    if (kind <= KN_EMU_SHFL_XOR && (width < 1 || width > 32 || (width & (width - 1)) != 0)) {
        fail_width(f, kind, width, site);
    }
    f->op.kind = kind;
    f->op.value = value;
    f->op.param = param;
    f->op.width = width;
    f->op.mma_type = -1;
    return arrive(f, mask, site);
}

extern "C" void kn_emu_mma_m16n8k16(int type, float *d, const uint32_t *a, const uint32_t *b, const float *c,
                                    const char *site) {
    Fiber *f = current_fiber();
    const WarpState &warp = f->worker->warps[f->linear / kWarpSize];
    if (warp.present != 0xffffffffu) fail_partial_warp(f, site);
    f->op.kind = KN_EMU_MMA_M16N8K16;
    f->op.mma_type = type;
    f->op.mma_d = d;
    f->op.mma_a = a;
    f->op.mma_b = b;
    f->op.mma_c = c;
    arrive(f, 0xffffffffu, site);
}
