// validate_norm.cpp - the ABI boundary's checks for the normalization ops (OPS.md group_norm and
// layer_norm). Same rules and messages as validate.cpp: dense tensors, one dtype, exact shapes,
// attributes in range, y either exactly x (in place) or disjoint from every input.
#include <cmath>
#include <string>

#include "errors.h"
#include "validate.h"

namespace {

bool valid_dtype(int32_t dtype) { return dtype == KN_DTYPE_F32 || dtype == KN_DTYPE_F16 || dtype == KN_DTYPE_BF16; }

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

// One tensor description: data, dtype, rank (min_rank..max_rank), sizes, dense row-major strides.
bool check_tensor(const char *op, const char *name, const kn_tensor &t, int min_rank, int max_rank) {
    if (t.data == nullptr) {
        kn_set_error("%s: argument '%s': expected a tensor, got NULL data", op, name);
        return false;
    }
    if (!valid_dtype(t.dtype)) {
        kn_set_error("%s: argument '%s': expected dtype 0 (f32), 1 (f16) or 2 (bf16), got %d", op, name, t.dtype);
        return false;
    }
    if (t.rank < min_rank || t.rank > max_rank) {
        if (min_rank == max_rank)
            kn_set_error("%s: argument '%s': expected rank %d, got %d", op, name, min_rank, t.rank);
        else
            kn_set_error("%s: argument '%s': expected rank %d..%d, got %d", op, name, min_rank, max_rank, t.rank);
        return false;
    }
    constexpr int64_t kMaxElements = int64_t(1) << 48;
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

bool check_shape(const char *op, const char *name, const kn_tensor &t, const int64_t *want, int rank) {
    bool same = t.rank == rank;
    for (int i = 0; same && i < rank; ++i) same = t.shape[i] == want[i];
    if (!same)
        kn_set_error("%s: argument '%s': expected shape %s, got %s", op, name, shape_string(want, rank).c_str(),
                     shape_string(t).c_str());
    return same;
}

bool check_same_dtype(const char *op, const char *name, const kn_tensor &t, const kn_tensor &x) {
    if (t.data != nullptr && t.dtype != x.dtype) {
        kn_set_error("%s: argument '%s': expected dtype %s (that of x), got %s", op, name, dtype_name(x.dtype),
                     dtype_name(t.dtype));
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

bool check_no_overlap(const char *op, const kn_tensor &y, const char *in_name, const kn_tensor &in,
                      bool same_allowed) {
    if (!overlaps(y, in)) return true;
    if (same_allowed && y.data == in.data && kn_tensor_bytes(&y) == kn_tensor_bytes(&in)) return true;
    kn_set_error("%s: argument 'y': expected memory disjoint from '%s'%s, got overlapping ranges", op, in_name,
                 same_allowed ? " (or exactly the same tensor)" : "");
    return false;
}

bool check_flag(const char *op, const char *name, int32_t v) {
    if (v != 0 && v != 1) {
        kn_set_error("%s: attribute '%s': expected 0 or 1, got %d", op, name, v);
        return false;
    }
    return true;
}

bool check_eps(const char *op, double eps) {
    if (!std::isfinite(eps) || eps <= 0) {
        kn_set_error("%s: attribute 'eps': expected a finite number > 0, got %g", op, eps);
        return false;
    }
    return true;
}

bool check_params(const char *op, const void *p) {
    if (p == nullptr) kn_set_error("%s: argument 'params': expected a pointer, got NULL", op);
    return p != nullptr;
}

}  // namespace

int32_t kn_validate_group_norm(const kn_group_norm_params *p) {
    const char *op = "kn_group_norm";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "x", p->x, 5, 5) || !check_tensor(op, "gamma", p->gamma, 1, 1) ||
        !check_tensor(op, "beta", p->beta, 1, 1) || !check_tensor(op, "y", p->y, 5, 5))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_same_dtype(op, "gamma", p->gamma, p->x) || !check_same_dtype(op, "beta", p->beta, p->x) ||
        !check_same_dtype(op, "y", p->y, p->x))
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
    if (!check_eps(op, p->eps) || !check_flag(op, "per_frame", p->per_frame) || !check_flag(op, "silu", p->silu))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_no_overlap(op, p->y, "x", p->x, true) || !check_no_overlap(op, p->y, "gamma", p->gamma, false) ||
        !check_no_overlap(op, p->y, "beta", p->beta, false))
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
        if (!check_tensor(op, o.name, o.t, o.rank, o.rank) || !check_same_dtype(op, o.name, o.t, p->x) ||
            !check_shape(op, o.name, o.t, o.shape, o.rank))
            return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_same_dtype(op, "y", p->y, p->x) || !check_shape(op, "y", p->y, p->x.shape, p->x.rank))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_eps(op, p->eps)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_no_overlap(op, p->y, "x", p->x, true)) return KN_ERR_INVALID_ARGUMENT;
    for (const auto &o : optional)
        if (!check_no_overlap(op, p->y, o.name, o.t, false)) return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}
