// validate_util.cpp - the shared argument checks of validate_util.h, and kn_tensor_bytes (validate.h).
#include "validate_util.h"

#include <cmath>
#include <cstdint>

#include "errors.h"
#include "validate.h"

namespace kinema::validate {

namespace {
constexpr int64_t kMaxElements = int64_t(1) << 48;  // far above any real tensor, far below overflow
}  // namespace

int64_t dtype_size(int32_t dtype) {
    switch (dtype) {
        case KN_DTYPE_F32: return 4;
        case KN_DTYPE_F16: return 2;
        case KN_DTYPE_BF16: return 2;
        default: return -1;
    }
}

const char *dtype_name(int32_t dtype) {
    switch (dtype) {
        case KN_DTYPE_F32: return "f32";
        case KN_DTYPE_F16: return "f16";
        case KN_DTYPE_BF16: return "bf16";
        default: return "unknown";
    }
}

std::string shape_string(const int64_t *shape, int rank) {
    std::string s = "[";
    for (int i = 0; i < rank; ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

std::string shape_string(const kn_tensor &t) {
    const int rank = t.rank < 0 ? 0 : (t.rank > KN_MAX_RANK ? KN_MAX_RANK : t.rank);
    return shape_string(t.shape, rank);
}

bool check_params(const char *op, const void *p) {
    if (p == nullptr) kn_set_error("%s: argument 'params': expected a pointer, got NULL", op);
    return p != nullptr;
}

bool check_tensor(const char *op, const char *name, const kn_tensor &t, int min_rank, int max_rank) {
    if (t.data == nullptr) {
        kn_set_error("%s: argument '%s': expected a tensor, got NULL data", op, name);
        return false;
    }
    if (dtype_size(t.dtype) < 0) {
        kn_set_error("%s: argument '%s': expected dtype 0 (f32), 1 (f16) or 2 (bf16), got %d", op, name, t.dtype);
        return false;
    }
    if (t.rank < 0 || t.rank > KN_MAX_RANK || t.rank < min_rank || t.rank > max_rank) {
        if (min_rank == max_rank)
            kn_set_error("%s: argument '%s': expected rank %d, got %d", op, name, min_rank, t.rank);
        else
            kn_set_error("%s: argument '%s': expected rank %d..%d, got %d", op, name, min_rank, max_rank, t.rank);
        return false;
    }
    int64_t numel = 1;
    for (int i = 0; i < t.rank; ++i) {
        if (t.shape[i] < 0) {
            kn_set_error("%s: argument '%s': expected non-negative sizes, got shape %s", op, name,
                         shape_string(t).c_str());
            return false;
        }
        if (t.shape[i] > 0 && numel > kMaxElements / t.shape[i]) {
            kn_set_error("%s: argument '%s': expected at most 2^48 elements, got shape %s", op, name,
                         shape_string(t).c_str());
            return false;
        }
        numel *= t.shape[i];
    }
    // Dense row-major strides; a dimension of size 1 may carry any stride.
    int64_t expected = 1;
    for (int i = t.rank - 1; i >= 0; --i) {
        if (t.shape[i] != 1 && t.strides[i] != expected) {
            int64_t want[KN_MAX_RANK];
            int64_t s = 1;
            for (int j = t.rank - 1; j >= 0; --j) {
                want[j] = s;
                s *= t.shape[j];
            }
            kn_set_error("%s: argument '%s': expected contiguous strides %s, got %s", op, name,
                         shape_string(want, t.rank).c_str(), shape_string(t.strides, t.rank).c_str());
            return false;
        }
        expected *= t.shape[i];
    }
    return true;
}

bool check_optional(const char *op, const char *name, const kn_tensor &t, int min_rank, int max_rank) {
    return t.data == nullptr || check_tensor(op, name, t, min_rank, max_rank);
}

bool check_shape(const char *op, const char *name, const kn_tensor &t, const int64_t *want, int rank) {
    bool same = t.rank == rank;
    for (int i = 0; same && i < rank; ++i) same = t.shape[i] == want[i];
    if (!same) {
        kn_set_error("%s: argument '%s': expected shape %s, got %s", op, name, shape_string(want, rank).c_str(),
                     shape_string(t).c_str());
    }
    return same;
}

bool check_same_dtype(const char *op, const char *name, const kn_tensor &t, const kn_tensor &ref,
                      const char *ref_desc) {
    if (t.data != nullptr && t.dtype != ref.dtype) {
        kn_set_error("%s: argument '%s': expected dtype %s (that of %s), got %s", op, name, dtype_name(ref.dtype),
                     ref_desc, dtype_name(t.dtype));
        return false;
    }
    return true;
}

bool overlaps(const kn_tensor &a, const kn_tensor &b) {
    if (a.data == nullptr || b.data == nullptr) return false;
    const auto a0 = reinterpret_cast<uintptr_t>(a.data), b0 = reinterpret_cast<uintptr_t>(b.data);
    const auto a1 = a0 + uintptr_t(kn_tensor_bytes(&a)), b1 = b0 + uintptr_t(kn_tensor_bytes(&b));
    return a0 < b1 && b0 < a1;
}

bool check_no_overlap(const char *op, const char *out_name, const kn_tensor &out, const char *in_name,
                      const kn_tensor &in, bool same_allowed) {
    if (!overlaps(out, in)) return true;
    if (same_allowed && out.data == in.data && kn_tensor_bytes(&out) == kn_tensor_bytes(&in)) return true;
    kn_set_error("%s: argument '%s': expected memory disjoint from '%s'%s, got overlapping ranges", op, out_name,
                 in_name, same_allowed ? " (or exactly the same tensor)" : "");
    return false;
}

bool check_finite(const char *op, const char *name, double v) {
    if (!std::isfinite(v)) {
        kn_set_error("%s: attribute '%s': expected a finite number, got %g", op, name, v);
        return false;
    }
    return true;
}

bool check_finite_positive(const char *op, const char *name, double v) {
    if (!std::isfinite(v) || v <= 0) {
        kn_set_error("%s: attribute '%s': expected a finite number > 0, got %g", op, name, v);
        return false;
    }
    return true;
}

bool check_flag(const char *op, const char *name, int32_t v) {
    if (v != 0 && v != 1) {
        kn_set_error("%s: attribute '%s': expected 0 or 1, got %d", op, name, v);
        return false;
    }
    return true;
}

}  // namespace kinema::validate

int64_t kn_tensor_bytes(const kn_tensor *t) {
    const int64_t size = kinema::validate::dtype_size(t->dtype);
    if (size < 0 || t->rank < 0 || t->rank > KN_MAX_RANK) return -1;
    int64_t numel = 1;
    for (int i = 0; i < t->rank; ++i) numel *= t->shape[i];
    return numel * size;
}
