// validate_util.h - the argument checks every kn_validate_* is built from (validate_util.cpp).
//
// Each check returns true when the argument is acceptable; otherwise it sets kn_last_error to
// "<op>: argument|attribute '<name>': expected ..., got ..." and returns false, so a validator reads
//     if (!check_tensor(op, "x", p->x, 5) || !check_same_dtype(op, "y", p->y, p->x)) return KN_ERR_INVALID_ARGUMENT;
// A new op's validator (validate_<family>.cpp) uses these rather than its own copies, so that every op
// reports the same problem in the same words.
#pragma once

#include <cstdint>
#include <string>

#include "kinema.h"

namespace kinema::validate {

// Bytes per element of a dtype, or -1 for an unknown dtype.
int64_t dtype_size(int32_t dtype);
// "f32", "f16", "bf16" or "unknown".
const char *dtype_name(int32_t dtype);

// "[2, 3, 4]".
std::string shape_string(const int64_t *shape, int rank);
// The tensor's shape, its rank clamped to 0..KN_MAX_RANK.
std::string shape_string(const kn_tensor &t);

// `p` (the params struct) is not NULL.
bool check_params(const char *op, const void *p);

// A present, dense tensor description: data not NULL, a known dtype, rank in min_rank..max_rank
// (0..KN_MAX_RANK for any rank), non-negative sizes, at most 2^48 elements, dense row-major strides
// (a dimension of size 1 may carry any stride).
bool check_tensor(const char *op, const char *name, const kn_tensor &t, int min_rank, int max_rank);
// The same with exactly `rank` dimensions.
inline bool check_tensor(const char *op, const char *name, const kn_tensor &t, int rank) {
    return check_tensor(op, name, t, rank, rank);
}
// check_tensor unless t.data is NULL (an absent optional input).
bool check_optional(const char *op, const char *name, const kn_tensor &t, int min_rank, int max_rank);
inline bool check_optional(const char *op, const char *name, const kn_tensor &t, int rank) {
    return check_optional(op, name, t, rank, rank);
}

// t has exactly the shape want[0..rank).
bool check_shape(const char *op, const char *name, const kn_tensor &t, const int64_t *want, int rank);

// A present t has the dtype of `ref`; the message calls ref "that of <ref_desc>".
bool check_same_dtype(const char *op, const char *name, const kn_tensor &t, const kn_tensor &ref,
                      const char *ref_desc = "the first input");

// Whether the byte ranges of two present tensors intersect.
bool overlaps(const kn_tensor &a, const kn_tensor &b);
// `out` may not overlap `in`, except that it may be the very same tensor (same data, same bytes) when
// `same_allowed` (an op that may run in place).
bool check_no_overlap(const char *op, const char *out_name, const kn_tensor &out, const char *in_name,
                      const kn_tensor &in, bool same_allowed = false);

// Attribute checks.
bool check_finite(const char *op, const char *name, double v);
// Finite and > 0 (eps and the like).
bool check_finite_positive(const char *op, const char *name, double v);
// 0 or 1.
bool check_flag(const char *op, const char *name, int32_t v);

}  // namespace kinema::validate
