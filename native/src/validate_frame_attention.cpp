// validate_frame_attention.cpp - the ABI boundary's checks for attention (OPS.md), built from
// validate_util.h: q[B,T,Nq,heads,D]; k, v [B,Tk,Nk,heads,D] or [B,L,heads,D] for context; y like q.
#include "errors.h"
#include "validate.h"
#include "validate_util.h"

using namespace kinema::validate;

namespace {
constexpr int64_t kMaxFrames = int64_t(1) << 20;  // frame indices stay ints in every backend
constexpr int64_t kMaxDim = int64_t(1) << 16;

const char *kv_frames_name(int32_t mode) {
    switch (mode) {
        case KN_KV_FRAMES_SAME: return "same";
        case KN_KV_FRAMES_FIRST: return "first";
        case KN_KV_FRAMES_SPARSE_CAUSAL: return "sparse_causal";
        case KN_KV_FRAMES_ALL: return "all";
        default: return "context";
    }
}
}  // namespace

int32_t kn_validate_attention(const kn_attention_params *p) {
    const char *op = "kn_attention";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (p->kv_frames < KN_KV_FRAMES_SAME || p->kv_frames > KN_KV_FRAMES_CONTEXT) {
        kn_set_error("%s: attribute 'kv_frames': expected 0 (same), 1 (first), 2 (sparse_causal), 3 (all) or "
                     "4 (context), got %d",
                     op, p->kv_frames);
        return KN_ERR_INVALID_ARGUMENT;
    }
    const bool context = p->kv_frames == KN_KV_FRAMES_CONTEXT;
    const int kv_rank = context ? 4 : 5;
    if (!check_tensor(op, "q", p->q, 5) || !check_tensor(op, "k", p->k, kv_rank) ||
        !check_tensor(op, "v", p->v, kv_rank) || !check_tensor(op, "y", p->y, 5))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_same_dtype(op, "k", p->k, p->q, "q") || !check_same_dtype(op, "v", p->v, p->q, "q") ||
        !check_same_dtype(op, "y", p->y, p->q, "q"))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_shape(op, "y", p->y, p->q.shape, 5)) return KN_ERR_INVALID_ARGUMENT;
    const int64_t B = p->q.shape[0], T = p->q.shape[1], heads = p->q.shape[3], D = p->q.shape[4];
    if (T > kMaxFrames) {
        kn_set_error("%s: argument 'q': expected T <= %lld frames, got shape %s", op, (long long)kMaxFrames,
                     shape_string(p->q).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (D > kMaxDim) {
        kn_set_error("%s: argument 'q': expected D <= %lld per head, got shape %s", op, (long long)kMaxDim,
                     shape_string(p->q).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    // k: batch, heads and D agree with q; Tk as kv_frames requires; at least one key per frame.
    const int64_t keys = context ? p->k.shape[1] : p->k.shape[2];
    const int64_t Tk = context ? 1 : p->k.shape[1];
    const bool frames_ok = context ? true
                           : (p->kv_frames == KN_KV_FRAMES_SAME || p->kv_frames == KN_KV_FRAMES_SPARSE_CAUSAL)
                               ? Tk == T
                               : (Tk >= 1 && Tk <= kMaxFrames);
    if (p->k.shape[0] != B || p->k.shape[kv_rank - 2] != heads || p->k.shape[kv_rank - 1] != D || keys < 1 ||
        !frames_ok) {
        if (context)
            kn_set_error("%s: argument 'k': expected shape [%lld, L, %lld, %lld] with L >= 1 (kv_frames context), "
                         "got %s",
                         op, (long long)B, (long long)heads, (long long)D, shape_string(p->k).c_str());
        else if (p->kv_frames == KN_KV_FRAMES_SAME || p->kv_frames == KN_KV_FRAMES_SPARSE_CAUSAL)
            kn_set_error("%s: argument 'k': expected shape [%lld, %lld, Nk, %lld, %lld] with Tk = T and Nk >= 1 "
                         "(kv_frames %s), got %s",
                         op, (long long)B, (long long)T, (long long)heads, (long long)D,
                         kv_frames_name(p->kv_frames), shape_string(p->k).c_str());
        else
            kn_set_error("%s: argument 'k': expected shape [%lld, Tk, Nk, %lld, %lld] with 1 <= Tk <= %lld and "
                         "Nk >= 1 (kv_frames %s), got %s",
                         op, (long long)B, (long long)heads, (long long)D, (long long)kMaxFrames,
                         kv_frames_name(p->kv_frames), shape_string(p->k).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_shape(op, "v", p->v, p->k.shape, kv_rank)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_finite(op, "scale", p->scale)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_no_overlap(op, "y", p->y, "q", p->q) || !check_no_overlap(op, "y", p->y, "k", p->k) ||
        !check_no_overlap(op, "y", p->y, "v", p->v))
        return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}
