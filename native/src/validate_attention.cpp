// validate_attention.cpp - the ABI boundary's checks for temporal_attention (OPS.md), built from
// validate_util.h.
#include "errors.h"
#include "validate.h"
#include "validate_util.h"

using namespace kinema::validate;

namespace {
constexpr int64_t kMaxFrames = int64_t(1) << 20;  // rel_bias length 2*Tmax-1 stays far from overflow
}  // namespace

int32_t kn_validate_temporal_attention(const kn_temporal_attention_params *p) {
    const char *op = "kn_temporal_attention";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "q", p->q, 5) || !check_tensor(op, "k", p->k, 5) || !check_tensor(op, "v", p->v, 5) ||
        !check_optional(op, "rel_bias", p->rel_bias, 2) || !check_tensor(op, "y", p->y, 5))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_same_dtype(op, "k", p->k, p->q, "q") || !check_same_dtype(op, "v", p->v, p->q, "q") ||
        !check_same_dtype(op, "rel_bias", p->rel_bias, p->q, "q") || !check_same_dtype(op, "y", p->y, p->q, "q"))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_shape(op, "k", p->k, p->q.shape, 5) || !check_shape(op, "v", p->v, p->q.shape, 5) ||
        !check_shape(op, "y", p->y, p->q.shape, 5))
        return KN_ERR_INVALID_ARGUMENT;
    const int64_t frames = p->q.shape[1], channels = p->q.shape[4];
    if (p->heads < 1 || channels % p->heads != 0 || channels / p->heads < 1) {
        kn_set_error("%s: attribute 'heads': expected >= 1 dividing the channel count %lld (q.shape[4]) with "
                     "D >= 1, got %d",
                     op, (long long)channels, p->heads);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_finite(op, "scale", p->scale)) return KN_ERR_INVALID_ARGUMENT;
    if (p->window < 0) {
        kn_set_error("%s: attribute 'window': expected >= 0 (0 = all frames), got %d", op, p->window);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_flag(op, "causal", p->causal)) return KN_ERR_INVALID_ARGUMENT;
    if (p->Tmax < frames || p->Tmax < 1 || p->Tmax > kMaxFrames) {
        kn_set_error("%s: attribute 'Tmax': expected T (%lld) <= Tmax <= %lld and Tmax >= 1, got %d", op,
                     (long long)frames, (long long)kMaxFrames, p->Tmax);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->rel_bias.data != nullptr) {
        const int64_t want[2] = {p->heads, 2 * int64_t(p->Tmax) - 1};
        if (!check_shape(op, "rel_bias", p->rel_bias, want, 2)) return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_no_overlap(op, "y", p->y, "q", p->q) || !check_no_overlap(op, "y", p->y, "k", p->k) ||
        !check_no_overlap(op, "y", p->y, "v", p->v) || !check_no_overlap(op, "y", p->y, "rel_bias", p->rel_bias))
        return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}
