// Scratch memory the cpu kernels reuse from call to call.
//
// A denoiser step calls the same kernels at the same shapes every step, so the kernels keep their
// scratch (packed weights, padded rows, per-thread attention tiles, norm statistics) in one grow-only,
// 64-byte aligned buffer per thread and slot instead of allocating and freeing it on every call: after
// the first step a step makes no heap allocation (`./kinema bench` counts them). A buffer grows to the
// largest request its slot has seen on that thread (conv3d 3x3x3 at C=320 packs 11 MB of weights) and
// is freed when the thread exits. Contents are neither kept nor zeroed between calls.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kinema::cpu {

// Two requests may be live at once on one thread only when their slots differ.
enum class ScratchSlot : int {
    gemm = 0,        // Scratch: packed weights, bias, per-thread tiles of linear and the convolutions
    conv_rows,       // conv3d: per-thread tags of its padded-row cache
    conv_taps,       // conv3d: per-thread row and weight pointers of one output row
    attention,       // frame / temporal attention: per-thread tile scratch
    attention_list,  // frame attention: per-thread list of key frames
    norm_sums,       // group_norm: per-task partial sums
    norm_rows,       // group_norm: per-thread row sums
    norm_tables,     // group_norm / layer_norm: per-channel factors
    count
};

// At least `bytes` bytes owned by the calling thread for this slot, valid until the thread's next
// request for the same slot; nullptr when the memory cannot be allocated.
void *thread_scratch(ScratchSlot slot, size_t bytes);

template <class T>
T *thread_scratch_of(ScratchSlot slot, int64_t count) {
    return static_cast<T *>(thread_scratch(slot, size_t(count < 1 ? 1 : count) * sizeof(T)));
}

// Times any thread's scratch grew (each growth is one allocation), for tests.
int64_t thread_scratch_growths();

}  // namespace kinema::cpu
