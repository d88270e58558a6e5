// validate_linear.cpp - ABI checks of linear (GEMM with fused epilogue) and conv3d (general odd kernel).
// Shapes follow shared/OPS.md. The tensor helpers are a copy of validate.cpp's private ones, so that
// file stays as it is.
#include <string>

#include "errors.h"
#include "validate.h"

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 48;

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
    return shape_string(t.shape, t.rank < 0 ? 0 : (t.rank > KN_MAX_RANK ? KN_MAX_RANK : t.rank));
}

// `min_rank` > 0 with `exact` false accepts any rank >= min_rank.
bool check_tensor(const char *op, const char *name, const kn_tensor &t, int rank, bool exact = true) {
    if (t.data == nullptr) {
        kn_set_error("%s: argument '%s': expected a tensor, got NULL data", op, name);
        return false;
    }
    if (dtype_size(t.dtype) < 0) {
        kn_set_error("%s: argument '%s': expected dtype 0 (f32), 1 (f16) or 2 (bf16), got %d", op, name, t.dtype);
        return false;
    }
    if (t.rank < 0 || t.rank > KN_MAX_RANK || (exact ? t.rank != rank : t.rank < rank)) {
        if (exact)
            kn_set_error("%s: argument '%s': expected rank %d, got %d", op, name, rank, t.rank);
        else
            kn_set_error("%s: argument '%s': expected rank %d..%d, got %d", op, name, rank, KN_MAX_RANK, t.rank);
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

bool check_optional(const char *op, const char *name, const kn_tensor &t, int rank, bool exact = true) {
    return t.data == nullptr || check_tensor(op, name, t, rank, exact);
}

bool check_shape(const char *op, const char *name, const kn_tensor &t, const int64_t *want, int rank) {
    bool same = t.rank == rank;
    for (int i = 0; same && i < rank; ++i) same = t.shape[i] == want[i];
    if (!same)
        kn_set_error("%s: argument '%s': expected shape %s, got %s", op, name, shape_string(want, rank).c_str(),
                     shape_string(t).c_str());
    return same;
}

bool check_same_dtype(const char *op, const char *name, const kn_tensor &t, const kn_tensor &ref) {
    if (t.data != nullptr && t.dtype != ref.dtype) {
        kn_set_error("%s: argument '%s': expected dtype %s (that of the first input), got %s", op, name,
                     dtype_name(ref.dtype), dtype_name(t.dtype));
        return false;
    }
    return true;
}

bool overlaps(const kn_tensor &a, const kn_tensor &b) {
    if (a.data == nullptr || b.data == nullptr) return false;
    auto a0 = reinterpret_cast<uintptr_t>(a.data), b0 = reinterpret_cast<uintptr_t>(b.data);
    auto a1 = a0 + uintptr_t(kn_tensor_bytes(&a)), b1 = b0 + uintptr_t(kn_tensor_bytes(&b));
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

bool null_params(const char *op, const void *p) {
    if (p != nullptr) return false;
    kn_set_error("%s: argument 'params': expected a pointer, got NULL", op);
    return true;
}

}  // namespace

int32_t kn_validate_linear(const kn_linear_params *p) {
    const char *op = "kn_linear";
    if (null_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "x", p->x, 2, false) || !check_tensor(op, "w", p->w, 2) ||
        !check_optional(op, "b", p->b, 1) || !check_optional(op, "residual", p->residual, 2, false) ||
        !check_optional(op, "gate", p->gate, 2) || !check_tensor(op, "y", p->y, 2, false))
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
    if (null_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
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
