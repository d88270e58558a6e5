// validate_elementwise.cpp - the ABI boundary's checks for the small elementwise ops (OPS.md
// elementwise: add, mul, silu, gelu, scale_add), built from validate_util.h's shared checks.
#include "broadcast.h"
#include "errors.h"
#include "validate.h"
#include "validate_util.h"

using namespace kinema::validate;

int32_t kn_validate_elementwise(const kn_elementwise_params *p) {
    const char *op = "kn_elementwise";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (p->op < KN_ELEMENTWISE_ADD || p->op > KN_ELEMENTWISE_SCALE_ADD) {
        kn_set_error("%s: attribute 'op': expected 0 (add), 1 (mul), 2 (silu), 3 (gelu) or 4 (scale_add), got %d", op,
                     p->op);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_tensor(op, "x", p->x, 0, KN_MAX_RANK) || !check_tensor(op, "y", p->y, 0, KN_MAX_RANK))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_same_dtype(op, "y", p->y, p->x, "x") || !check_shape(op, "y", p->y, p->x.shape, p->x.rank))
        return KN_ERR_INVALID_ARGUMENT;
    const bool binary = p->op == KN_ELEMENTWISE_ADD || p->op == KN_ELEMENTWISE_MUL || p->op == KN_ELEMENTWISE_SCALE_ADD;
    if (binary) {
        if (!check_tensor(op, "z", p->z, 0, p->x.rank < 0 ? 0 : p->x.rank) ||
            !check_same_dtype(op, "z", p->z, p->x, "x"))
            return KN_ERR_INVALID_ARGUMENT;
        kn_broadcast split;
        if (!kn_broadcast_split(&p->x, &p->z, &split)) {
            kn_set_error("%s: argument 'z': expected a shape that broadcasts to x's shape %s as [leading dims of x, "
                         "1s, trailing dims of x] (leading 1s may be dropped), got %s",
                         op, shape_string(p->x).c_str(), shape_string(p->z).c_str());
            return KN_ERR_INVALID_ARGUMENT;
        }
        if (!check_no_overlap(op, "y", p->y, "z", p->z, false)) return KN_ERR_INVALID_ARGUMENT;
    } else if (p->z.data != nullptr) {
        kn_set_error("%s: argument 'z': expected NULL for op %s (unary), got a tensor", op,
                     p->op == KN_ELEMENTWISE_SILU ? "silu" : "gelu");
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->op == KN_ELEMENTWISE_SCALE_ADD && (!check_finite(op, "a", p->a) || !check_finite(op, "b", p->b)))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_no_overlap(op, "y", p->y, "x", p->x, true)) return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}
