// validate_norm.cpp - the ABI boundary's checks for the normalization ops (OPS.md group_norm and
// layer_norm), built from validate_util.h: dense tensors, one dtype, exact shapes, attributes in
// range, y either exactly x (in place) or disjoint from every input.
#include "errors.h"
#include "validate.h"
#include "validate_util.h"

using namespace kinema::validate;

int32_t kn_validate_group_norm(const kn_group_norm_params *p) {
    const char *op = "kn_group_norm";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "x", p->x, 5, 5) || !check_tensor(op, "gamma", p->gamma, 1, 1) ||
        !check_tensor(op, "beta", p->beta, 1, 1) || !check_tensor(op, "y", p->y, 5, 5))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_same_dtype(op, "gamma", p->gamma, p->x, "x") ||
        !check_same_dtype(op, "beta", p->beta, p->x, "x") || !check_same_dtype(op, "y", p->y, p->x, "x"))
        return KN_ERR_INVALID_ARGUMENT;
    const int64_t channels = p->x.shape[4];
    const int64_t want_c[1] = {channels};
    if (!check_shape(op, "gamma", p->gamma, want_c, 1) || !check_shape(op, "beta", p->beta, want_c, 1) ||
        !check_shape(op, "y", p->y, p->x.shape, 5))
        return KN_ERR_INVALID_ARGUMENT;
    if (p->groups < 1 || channels % p->groups != 0) {
        kn_set_error("%s: attribute 'groups': expected >= 1 and dividing C = %lld, got %d", op, (long long)channels,
                     p->groups);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_finite_positive(op, "eps", p->eps) || !check_flag(op, "per_frame", p->per_frame) ||
        !check_flag(op, "silu", p->silu))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_no_overlap(op, "y", p->y, "x", p->x, true) ||
        !check_no_overlap(op, "y", p->y, "gamma", p->gamma, false) ||
        !check_no_overlap(op, "y", p->y, "beta", p->beta, false))
        return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}

int32_t kn_validate_layer_norm(const kn_layer_norm_params *p) {
    const char *op = "kn_layer_norm";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "x", p->x, 2, KN_MAX_RANK) || !check_tensor(op, "y", p->y, 2, KN_MAX_RANK))
        return KN_ERR_INVALID_ARGUMENT;
    const int64_t channels = p->x.shape[p->x.rank - 1], batch = p->x.shape[0];
    const int64_t want_c[1] = {channels}, want_bc[2] = {batch, channels};
    const struct {
        const char *name;
        const kn_tensor &t;
        const int64_t *shape;
        int rank;
    } optional[] = {{"gamma", p->gamma, want_c, 1},
                    {"beta", p->beta, want_c, 1},
                    {"shift", p->shift, want_bc, 2},
                    {"scale", p->scale, want_bc, 2}};
    for (const auto &o : optional) {
        if (o.t.data == nullptr) continue;
        if (!check_tensor(op, o.name, o.t, o.rank, o.rank) || !check_same_dtype(op, o.name, o.t, p->x, "x") ||
            !check_shape(op, o.name, o.t, o.shape, o.rank))
            return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_same_dtype(op, "y", p->y, p->x, "x") || !check_shape(op, "y", p->y, p->x.shape, p->x.rank))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_finite_positive(op, "eps", p->eps)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_no_overlap(op, "y", p->y, "x", p->x, true)) return KN_ERR_INVALID_ARGUMENT;
    for (const auto &o : optional)
        if (!check_no_overlap(op, "y", p->y, o.name, o.t, false)) return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}
