// validate.cpp - the ABI boundary's own checks (Java checks the same things first; C callers get
// the same protection). Shapes follow shared/OPS.md.
#include "validate.h"

#include <cmath>

#include "errors.h"
#include "validate_util.h"

using namespace kinema::validate;

namespace {

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

int32_t kn_validate_conv_spatial(const kn_conv_spatial_params *p) {
    const char *op = "kn_conv_spatial";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
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
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
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
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    constexpr int kAny = KN_MAX_RANK;  // any rank 0..KN_MAX_RANK
    if (!check_tensor(op, "x", p->x, 0, kAny) || !check_tensor(op, "out_c", p->out_c, 0, kAny) ||
        !check_optional(op, "out_u", p->out_u, 0, kAny) || !check_optional(op, "noise", p->noise, 0, kAny) ||
        !check_tensor(op, "y", p->y, 0, kAny) || !check_optional(op, "x0", p->x0, 0, kAny))
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
