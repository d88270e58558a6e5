// validate_resample.cpp - the ABI boundary's checks for upsample_nearest, patchify, unpatchify,
// alpha_blend, timestep_embedding and concat (OPS.md), built from validate_util.h's shared checks.
#include <cmath>

#include "errors.h"
#include "validate.h"
#include "validate_util.h"

using namespace kinema::validate;

int32_t kn_validate_upsample_nearest(const kn_upsample_nearest_params *p) {
    const char *op = "kn_upsample_nearest";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "x", p->x, 5) || !check_tensor(op, "y", p->y, 5) ||
        !check_same_dtype(op, "y", p->y, p->x, "x"))
        return KN_ERR_INVALID_ARGUMENT;
    // 2*H cannot overflow: check_tensor caps a tensor at 2^48 elements.
    const int64_t want[5] = {p->x.shape[0], p->x.shape[1], 2 * p->x.shape[2], 2 * p->x.shape[3], p->x.shape[4]};
    if (!check_shape(op, "y", p->y, want, 5) || !check_no_overlap(op, "y", p->y, "x", p->x)) return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}

namespace {

// p >= 1 and p divides H and W of the image side (x for patchify, y for unpatchify).
bool check_patch_size(const char *op, const char *image_name, const kn_tensor &image, int32_t p) {
    if (p < 1) {
        kn_set_error("%s: attribute 'p': expected >= 1, got %d", op, p);
        return false;
    }
    if (image.shape[2] % p != 0 || image.shape[3] % p != 0) {
        kn_set_error("%s: attribute 'p': expected a divisor of %s's H and W (%lld, %lld), got %d", op, image_name,
                     (long long)image.shape[2], (long long)image.shape[3], p);
        return false;
    }
    return true;
}

// The token side's shape [B, T, (H/p)*(W/p), p*p*C] of an image [B, T, H, W, C]. Each factor is at
// most the image's element count (<= 2^48), so the products cannot overflow.
void token_shape(const kn_tensor &image, int32_t p, int64_t out[4]) {
    out[0] = image.shape[0];
    out[1] = image.shape[1];
    out[2] = (image.shape[2] / p) * (image.shape[3] / p);
    out[3] = int64_t(p) * p * image.shape[4];
}

}  // namespace

int32_t kn_validate_patchify(const kn_patch_params *p) {
    const char *op = "kn_patchify";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "x", p->x, 5) || !check_tensor(op, "y", p->y, 4) ||
        !check_same_dtype(op, "y", p->y, p->x, "x") || !check_patch_size(op, "x", p->x, p->p))
        return KN_ERR_INVALID_ARGUMENT;
    int64_t want[4];
    token_shape(p->x, p->p, want);
    if (!check_shape(op, "y", p->y, want, 4) || !check_no_overlap(op, "y", p->y, "x", p->x)) return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}

int32_t kn_validate_unpatchify(const kn_patch_params *p) {
    const char *op = "kn_unpatchify";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    // y's shape is the output image's: it gives H, W and C; x must be its token form.
    if (!check_tensor(op, "x", p->x, 4) || !check_tensor(op, "y", p->y, 5) ||
        !check_same_dtype(op, "y", p->y, p->x, "x") || !check_patch_size(op, "y", p->y, p->p))
        return KN_ERR_INVALID_ARGUMENT;
    int64_t want[4];
    token_shape(p->y, p->p, want);
    if (!check_shape(op, "x", p->x, want, 4)) {
        kn_set_error("%s: argument 'x': expected shape %s ([B, T, (H/p)*(W/p), p*p*C] of y %s, p = %d), got %s", op,
                     shape_string(want, 4).c_str(), shape_string(p->y).c_str(), p->p, shape_string(p->x).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_no_overlap(op, "y", p->y, "x", p->x)) return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}

int32_t kn_validate_alpha_blend(const kn_alpha_blend_params *p) {
    const char *op = "kn_alpha_blend";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (p->mode != KN_BLEND_FIXED && p->mode != KN_BLEND_LEARNED) {
        kn_set_error("%s: attribute 'mode': expected 0 (fixed) or 1 (learned), got %d", op, p->mode);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_tensor(op, "x_spatial", p->x_spatial, 0, KN_MAX_RANK) ||
        !check_tensor(op, "x_temporal", p->x_temporal, 0, KN_MAX_RANK) || !check_tensor(op, "mix", p->mix, 1) ||
        !check_tensor(op, "y", p->y, 0, KN_MAX_RANK))
        return KN_ERR_INVALID_ARGUMENT;
    const int64_t one[1] = {1};
    if (!check_same_dtype(op, "x_temporal", p->x_temporal, p->x_spatial, "x_spatial") ||
        !check_same_dtype(op, "mix", p->mix, p->x_spatial, "x_spatial") ||
        !check_same_dtype(op, "y", p->y, p->x_spatial, "x_spatial") ||
        !check_shape(op, "x_temporal", p->x_temporal, p->x_spatial.shape, p->x_spatial.rank) ||
        !check_shape(op, "mix", p->mix, one, 1) || !check_shape(op, "y", p->y, p->x_spatial.shape, p->x_spatial.rank))
        return KN_ERR_INVALID_ARGUMENT;
    // In place on either path is fine (each element is read before it is written, by the same thread);
    // mix is read by every element, so y must never cover it.
    if (!check_no_overlap(op, "y", p->y, "x_spatial", p->x_spatial, true) ||
        !check_no_overlap(op, "y", p->y, "x_temporal", p->x_temporal, true) ||
        !check_no_overlap(op, "y", p->y, "mix", p->mix, false))
        return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}

int32_t kn_validate_timestep_embedding(const kn_timestep_embedding_params *p) {
    const char *op = "kn_timestep_embedding";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (p->dim < 2 || p->dim % 2 != 0) {
        kn_set_error("%s: attribute 'dim': expected an even number >= 2, got %d", op, p->dim);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_flag(op, "flip_sin_to_cos", p->flip_sin_to_cos) ||
        !check_finite(op, "downscale_freq_shift", p->downscale_freq_shift) ||
        !check_finite_positive(op, "max_period", p->max_period))
        return KN_ERR_INVALID_ARGUMENT;
    // diffusers divides by (half - shift): zero would make every frequency but the first inf or NaN.
    if (double(p->dim / 2) - p->downscale_freq_shift == 0.0) {
        kn_set_error("%s: attribute 'downscale_freq_shift': expected a value other than dim/2 = %d (it divides by "
                     "dim/2 - shift), got %g",
                     op, p->dim / 2, p->downscale_freq_shift);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_tensor(op, "t", p->t, 1) || !check_tensor(op, "y", p->y, 2) ||
        !check_same_dtype(op, "y", p->y, p->t, "t"))
        return KN_ERR_INVALID_ARGUMENT;
    const int64_t want[2] = {p->t.shape[0], p->dim};
    if (!check_shape(op, "y", p->y, want, 2) || !check_no_overlap(op, "y", p->y, "t", p->t)) return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}

int32_t kn_validate_concat(const kn_concat_params *p) {
    const char *op = "kn_concat";
    if (!check_params(op, p)) return KN_ERR_INVALID_ARGUMENT;
    if (!check_tensor(op, "x", p->x, 1, KN_MAX_RANK) || !check_tensor(op, "z", p->z, 1, KN_MAX_RANK) ||
        !check_tensor(op, "y", p->y, 1, KN_MAX_RANK) || !check_same_dtype(op, "z", p->z, p->x, "x") ||
        !check_same_dtype(op, "y", p->y, p->x, "x"))
        return KN_ERR_INVALID_ARGUMENT;
    const int rank = p->x.rank;
    int64_t want[KN_MAX_RANK];
    for (int i = 0; i < rank; ++i) want[i] = p->x.shape[i];
    want[rank - 1] = p->z.shape[p->z.rank - 1];
    if (!check_shape(op, "z", p->z, want, rank)) {
        kn_set_error("%s: argument 'z': expected shape %s (x's leading dims, any last dim), got %s", op,
                     shape_string(want, rank).c_str(), shape_string(p->z).c_str());
        return KN_ERR_INVALID_ARGUMENT;
    }
    // C1 + C2 cannot overflow: check_tensor caps each tensor at 2^48 elements.
    want[rank - 1] = p->x.shape[rank - 1] + p->z.shape[rank - 1];
    if (!check_shape(op, "y", p->y, want, rank) || !check_no_overlap(op, "y", p->y, "x", p->x) ||
        !check_no_overlap(op, "y", p->y, "z", p->z))
        return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}
