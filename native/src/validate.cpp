// validate.cpp - the ABI boundary's own checks (Java checks the same things first; C callers get
// the same protection). Shapes follow shared/OPS.md.
#include "validate.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "errors.h"

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 48;  // far above any real tensor, far below overflow

int64_t dtype_size(int32_t dtype) {
    switch (dtype) {
        case KN_DTYPE_F32: return 4;
        case KN_DTYPE_F16: return 2;
        case KN_DTYPE_BF16: return 2;
        default: return -1;
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
    int rank = t.rank < 0 ? 0 : (t.rank > KN_MAX_RANK ? KN_MAX_RANK : t.rank);
    return shape_string(t.shape, rank);
}

// Checks one tensor description; `expected_rank` < 0 accepts any rank.
bool check_tensor(const char *op, const char *name, const kn_tensor &t, int expected_rank) {
    if (t.data == nullptr) {
        kn_set_error("%s: argument '%s': expected a tensor, got NULL data", op, name);
        return false;
    }
    if (dtype_size(t.dtype) < 0) {
        kn_set_error("%s: argument '%s': expected dtype 0 (f32), 1 (f16) or 2 (bf16), got %d", op, name, t.dtype);
        return false;
    }
    if (t.rank < 0 || t.rank > KN_MAX_RANK || (expected_rank >= 0 && t.rank != expected_rank)) {
        if (expected_rank >= 0)
            kn_set_error("%s: argument '%s': expected rank %d, got %d", op, name, expected_rank, t.rank);
        else
            kn_set_error("%s: argument '%s': expected rank 0..%d, got %d", op, name, KN_MAX_RANK, t.rank);
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

bool check_optional(const char *op, const char *name, const kn_tensor &t, int expected_rank) {
    return t.data == nullptr || check_tensor(op, name, t, expected_rank);
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

const char *dtype_name(int32_t dtype) {
    switch (dtype) {
        case KN_DTYPE_F32: return "f32";
        case KN_DTYPE_F16: return "f16";
        case KN_DTYPE_BF16: return "bf16";
        default: return "unknown";
    }
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

// `out` may not overlap `in`, except that it may be the very same tensor when `same_allowed`.
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

// Shared by both convolutions: x, w, b, residual, y ranks, dtypes and bias / channel agreement.
bool check_conv_common(const char *op, const kn_tensor &x, const kn_tensor &w, const kn_tensor &b,
                       const kn_tensor &residual, const kn_tensor &y) {
    if (!check_tensor(op, "x", x, 5) || !check_tensor(op, "w", w, 5) || !check_optional(op, "b", b, 1) ||
        !check_optional(op, "residual", residual, 5) || !check_tensor(op, "y", y, 5))
        return false;
    if (!check_same_dtype(op, "w", w, x) || !check_same_dtype(op, "b", b, x) ||
        !check_same_dtype(op, "residual", residual, x) || !check_same_dtype(op, "y", y, x))
        return false;
    if (w.shape[1] != x.shape[4]) {
        kn_set_error("%s: argument 'w': expected w.shape[1] == Ci == %lld (x.shape[4]), got shape %s", op,
                     (long long)x.shape[4], shape_string(w).c_str());
        return false;
    }
    if (b.data != nullptr) {
        const int64_t want[1] = {w.shape[0]};
        if (!check_shape(op, "b", b, want, 1)) return false;
    }
    return true;
}

bool check_conv_aliasing(const char *op, const kn_tensor &x, const kn_tensor &w, const kn_tensor &b,
                         const kn_tensor &residual, const kn_tensor &y) {
    return check_no_overlap(op, "y", y, "x", x, false) && check_no_overlap(op, "y", y, "w", w, false) &&
           check_no_overlap(op, "y", y, "b", b, false) && check_no_overlap(op, "y", y, "residual", residual, true);
}

}  // namespace

int64_t kn_tensor_bytes(const kn_tensor *t) {
    int64_t size = dtype_size(t->dtype);
    if (size < 0 || t->rank < 0 || t->rank > KN_MAX_RANK) return -1;
    int64_t numel = 1;
    for (int i = 0; i < t->rank; ++i) numel *= t->shape[i];
    return numel * size;
}

int32_t kn_validate_conv_spatial(const kn_conv_spatial_params *p) {
    const char *op = "kn_conv_spatial";
    if (p == nullptr) {
        kn_set_error("%s: argument 'params': expected a pointer, got NULL", op);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_conv_common(op, p->x, p->w, p->b, p->residual, p->y)) return KN_ERR_INVALID_ARGUMENT;
    const int64_t k = p->w.shape[3];
    if (p->w.shape[2] != 1 || (k != 1 && k != 3) || p->w.shape[4] != k) {
        kn_set_error("%s: argument 'w': expected shape [Co, Ci, 1, k, k] with k in {1, 3}, got %s", op,
                     shape_string(p->w).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->stride != 1 && p->stride != 2) {
        kn_set_error("%s: attribute 'stride': expected 1 or 2, got %d", op, p->stride);
        return KN_ERR_INVALID_ARGUMENT;
    }
    const int64_t pad = k / 2, s = p->stride;
    const int64_t out_h = (p->x.shape[2] + 2 * pad - k) / s + 1, out_w = (p->x.shape[3] + 2 * pad - k) / s + 1;
    if (p->x.shape[2] < 1 || p->x.shape[3] < 1) {
        kn_set_error("%s: argument 'x': expected H >= 1 and W >= 1, got shape %s", op, shape_string(p->x).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    const int64_t want_y[5] = {p->x.shape[0], p->x.shape[1], out_h, out_w, p->w.shape[0]};
    if (!check_shape(op, "y", p->y, want_y, 5)) return KN_ERR_INVALID_ARGUMENT;
    if (p->residual.data != nullptr && !check_shape(op, "residual", p->residual, want_y, 5))
        return KN_ERR_INVALID_ARGUMENT;
    return check_conv_aliasing(op, p->x, p->w, p->b, p->residual, p->y) ? KN_OK : KN_ERR_INVALID_ARGUMENT;
}

int32_t kn_validate_conv_temporal(const kn_conv_temporal_params *p) {
    const char *op = "kn_conv_temporal";
    if (p == nullptr) {
        kn_set_error("%s: argument 'params': expected a pointer, got NULL", op);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_conv_common(op, p->x, p->w, p->b, p->residual, p->y)) return KN_ERR_INVALID_ARGUMENT;
    if (p->w.shape[2] != 3 || p->w.shape[3] != 1 || p->w.shape[4] != 1) {
        kn_set_error("%s: argument 'w': expected shape [Co, Ci, 3, 1, 1], got %s", op, shape_string(p->w).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    const int64_t want_y[5] = {p->x.shape[0], p->x.shape[1], p->x.shape[2], p->x.shape[3], p->w.shape[0]};
    if (!check_shape(op, "y", p->y, want_y, 5)) return KN_ERR_INVALID_ARGUMENT;
    if (p->residual.data != nullptr && !check_shape(op, "residual", p->residual, want_y, 5))
        return KN_ERR_INVALID_ARGUMENT;
    return check_conv_aliasing(op, p->x, p->w, p->b, p->residual, p->y) ? KN_OK : KN_ERR_INVALID_ARGUMENT;
}

int32_t kn_validate_ddim_step(const kn_ddim_step_params *p) {
    const char *op = "kn_ddim_step";
    if (p == nullptr) {
        kn_set_error("%s: argument 'params': expected a pointer, got NULL", op);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_tensor(op, "x", p->x, -1) || !check_tensor(op, "out_c", p->out_c, -1) ||
        !check_optional(op, "out_u", p->out_u, -1) || !check_optional(op, "noise", p->noise, -1) ||
        !check_tensor(op, "y", p->y, -1) || !check_optional(op, "x0", p->x0, -1))
        return KN_ERR_INVALID_ARGUMENT;
    const struct {
        const char *name;
        const kn_tensor &t;
    } others[] = {{"out_c", p->out_c}, {"out_u", p->out_u}, {"noise", p->noise}, {"y", p->y}, {"x0", p->x0}};
    for (const auto &o : others) {
        if (o.t.data == nullptr) continue;
        if (!check_same_dtype(op, o.name, o.t, p->x) || !check_shape(op, o.name, o.t, p->x.shape, p->x.rank))
            return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->prediction < KN_PREDICTION_EPS || p->prediction > KN_PREDICTION_X0) {
        kn_set_error("%s: attribute 'prediction': expected 0 (eps), 1 (v) or 2 (x0), got %d", op, p->prediction);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_finite(op, "alpha_t", p->alpha_t) || !check_finite(op, "sigma_t", p->sigma_t) ||
        !check_finite(op, "alpha_s", p->alpha_s) || !check_finite(op, "sigma_s", p->sigma_s) ||
        !check_finite(op, "guidance", p->guidance) || !check_finite(op, "eta", p->eta) ||
        !check_finite(op, "clip_x0", p->clip_x0))
        return KN_ERR_INVALID_ARGUMENT;
    if (p->eta < 0 || p->clip_x0 < 0 || p->alpha_s < 0 || p->sigma_s < 0 || p->alpha_t < 0 || p->sigma_t < 0) {
        kn_set_error("%s: attributes: expected alpha_t, sigma_t, alpha_s, sigma_s, eta, clip_x0 >= 0, got %g, %g, %g, "
                     "%g, %g, %g",
                     op, p->alpha_t, p->sigma_t, p->alpha_s, p->sigma_s, p->eta, p->clip_x0);
        return KN_ERR_INVALID_ARGUMENT;
    }
    // Every formula that divides: eps divides by alpha_t; x0 (and clipping) re-derive eps through sigma_t.
    if (p->prediction == KN_PREDICTION_EPS && p->alpha_t <= 0) {
        kn_set_error("%s: attribute 'alpha_t': expected > 0 for prediction eps, got %g", op, p->alpha_t);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if ((p->prediction == KN_PREDICTION_X0 || p->clip_x0 > 0 || p->eta > 0) && p->sigma_t <= 0) {
        kn_set_error("%s: attribute 'sigma_t': expected > 0 for prediction x0, clip_x0 or eta > 0, got %g", op,
                     p->sigma_t);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->eta > 0) {
        if (p->alpha_s <= 0) {
            kn_set_error("%s: attribute 'alpha_s': expected > 0 when eta > 0, got %g", op, p->alpha_s);
            return KN_ERR_INVALID_ARGUMENT;
        }
        if (p->noise.data == nullptr) {
            kn_set_error("%s: argument 'noise': expected a tensor when eta > 0 (eta = %g), got NULL", op, p->eta);
            return KN_ERR_INVALID_ARGUMENT;
        }
        const double r = p->alpha_t * p->sigma_s / p->alpha_s;
        const double var = p->sigma_t * p->sigma_t - r * r;
        const double sigma_eta = var > 0 ? p->eta * (p->sigma_s / p->sigma_t) * std::sqrt(var) : 0.0;
        if (p->sigma_s * p->sigma_s - sigma_eta * sigma_eta < -1e-12) {
            kn_set_error("%s: attribute 'eta': expected sigma_eta <= sigma_s (sigma_s = %g), got sigma_eta = %g "
                         "(eta = %g)",
                         op, p->sigma_s, sigma_eta, p->eta);
            return KN_ERR_INVALID_ARGUMENT;
        }
    }
    if (!check_no_overlap(op, "y", p->y, "x", p->x, true) || !check_no_overlap(op, "y", p->y, "out_c", p->out_c, false) ||
        !check_no_overlap(op, "y", p->y, "out_u", p->out_u, false) ||
        !check_no_overlap(op, "y", p->y, "noise", p->noise, false) ||
        !check_no_overlap(op, "x0", p->x0, "x", p->x, false) || !check_no_overlap(op, "x0", p->x0, "out_c", p->out_c, false) ||
        !check_no_overlap(op, "x0", p->x0, "out_u", p->out_u, false) ||
        !check_no_overlap(op, "x0", p->x0, "noise", p->noise, false) ||
        !check_no_overlap(op, "x0", p->x0, "y", p->y, false))
        return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}
