// validate_linear.cpp - ABI checks of linear (GEMM with fused epilogue) and conv3d (general odd kernel).
// Shapes follow shared/OPS.md; the checks are validate_util.h's.
#include "errors.h"
#include "validate.h"
#include "validate_util.h"

using namespace kinema::validate;

int32_t kn_validate_linear(const kn_linear_params *p) {
    const char *op = "kn_linear";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "x", p->x, 2, KN_MAX_RANK) || !check_tensor(op, "w", p->w, 2) ||
        !check_optional(op, "b", p->b, 1) || !check_optional(op, "residual", p->residual, 2, KN_MAX_RANK) ||
        !check_optional(op, "gate", p->gate, 2) || !check_tensor(op, "y", p->y, 2, KN_MAX_RANK))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_same_dtype(op, "w", p->w, p->x) || !check_same_dtype(op, "b", p->b, p->x) ||
        !check_same_dtype(op, "residual", p->residual, p->x) || !check_same_dtype(op, "gate", p->gate, p->x) ||
        !check_same_dtype(op, "y", p->y, p->x))
        return KN_ERR_INVALID_ARGUMENT;
    if (p->act < KN_ACT_NONE || p->act > KN_ACT_GEGLU) {
        kn_set_error("%s: attribute 'act': expected 0 (none), 1 (gelu), 2 (gelu_tanh), 3 (silu) or 4 (geglu), got %d",
                     op, p->act);
        return KN_ERR_INVALID_ARGUMENT;
    }
    const int rank = p->x.rank;
    const int64_t k = p->x.shape[rank - 1], n = p->w.shape[0];
    if (p->w.shape[1] != k) {
        kn_set_error("%s: argument 'w': expected w.shape[1] == K == %lld (x.shape[-1]), got shape %s", op,
                     (long long)k, shape_string(p->w).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->act == KN_ACT_GEGLU && n % 2 != 0) {
        kn_set_error("%s: argument 'w': expected an even N (w.shape[0]) for act geglu, got shape %s", op,
                     shape_string(p->w).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->b.data != nullptr) {
        const int64_t want_b[1] = {n};
        if (!check_shape(op, "b", p->b, want_b, 1)) return KN_ERR_INVALID_ARGUMENT;
    }
    const int64_t n_out = p->act == KN_ACT_GEGLU ? n / 2 : n;
    int64_t want_y[KN_MAX_RANK];
    for (int i = 0; i < rank - 1; ++i) want_y[i] = p->x.shape[i];
    want_y[rank - 1] = n_out;
    if (!check_shape(op, "y", p->y, want_y, rank)) return KN_ERR_INVALID_ARGUMENT;
    if (p->residual.data != nullptr && !check_shape(op, "residual", p->residual, want_y, rank))
        return KN_ERR_INVALID_ARGUMENT;
    if (p->gate.data != nullptr) {
        const int64_t want_gate[2] = {p->x.shape[0], n_out};
        if (!check_shape(op, "gate", p->gate, want_gate, 2)) return KN_ERR_INVALID_ARGUMENT;
    }
    const bool disjoint = check_no_overlap(op, "y", p->y, "x", p->x, false) &&
                          check_no_overlap(op, "y", p->y, "w", p->w, false) &&
                          check_no_overlap(op, "y", p->y, "b", p->b, false) &&
                          check_no_overlap(op, "y", p->y, "gate", p->gate, false) &&
                          check_no_overlap(op, "y", p->y, "residual", p->residual, true);
    return disjoint ? KN_OK : KN_ERR_INVALID_ARGUMENT;
}

int32_t kn_validate_conv3d(const kn_conv3d_params *p) {
    const char *op = "kn_conv3d";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "x", p->x, 5) || !check_tensor(op, "w", p->w, 5) || !check_optional(op, "b", p->b, 1) ||
        !check_optional(op, "residual", p->residual, 5) || !check_tensor(op, "y", p->y, 5))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_same_dtype(op, "w", p->w, p->x) || !check_same_dtype(op, "b", p->b, p->x) ||
        !check_same_dtype(op, "residual", p->residual, p->x) || !check_same_dtype(op, "y", p->y, p->x))
        return KN_ERR_INVALID_ARGUMENT;
    if (p->w.shape[1] != p->x.shape[4]) {
        kn_set_error("%s: argument 'w': expected w.shape[1] == Ci == %lld (x.shape[4]), got shape %s", op,
                     (long long)p->x.shape[4], shape_string(p->w).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    for (int i = 2; i < 5; ++i) {
        if (p->w.shape[i] % 2 != 1) {
            kn_set_error("%s: argument 'w': expected odd kernel sizes [Co, Ci, kt, kh, kw], got shape %s", op,
                         shape_string(p->w).c_str());
            return KN_ERR_INVALID_ARGUMENT;
        }
    }
    if (p->b.data != nullptr) {
        const int64_t want_b[1] = {p->w.shape[0]};
        if (!check_shape(op, "b", p->b, want_b, 1)) return KN_ERR_INVALID_ARGUMENT;
    }
    const int64_t want_y[5] = {p->x.shape[0], p->x.shape[1], p->x.shape[2], p->x.shape[3], p->w.shape[0]};
    if (!check_shape(op, "y", p->y, want_y, 5)) return KN_ERR_INVALID_ARGUMENT;
    if (p->residual.data != nullptr && !check_shape(op, "residual", p->residual, want_y, 5))
        return KN_ERR_INVALID_ARGUMENT;
    const bool disjoint = check_no_overlap(op, "y", p->y, "x", p->x, false) &&
                          check_no_overlap(op, "y", p->y, "w", p->w, false) &&
                          check_no_overlap(op, "y", p->y, "b", p->b, false) &&
                          check_no_overlap(op, "y", p->y, "residual", p->residual, true);
    return disjoint ? KN_OK : KN_ERR_INVALID_ARGUMENT;
}
