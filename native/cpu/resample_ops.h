// resample_ops.h - the cpu backend's upsample_nearest, patchify, unpatchify, alpha_blend,
// timestep_embedding and concat (resample.cpp). Arguments are already validated by libkinema; f32 only
// (other dtypes: KN_ERR_UNSUPPORTED).
#pragma once

#include "cpu_ops.h"

namespace kinema::cpu {

int32_t upsample_nearest(const kn_exec &e, const kn_upsample_nearest_params &p);
int32_t patchify(const kn_exec &e, const kn_patch_params &p);
int32_t unpatchify(const kn_exec &e, const kn_patch_params &p);
int32_t alpha_blend(const kn_exec &e, const kn_alpha_blend_params &p);
int32_t timestep_embedding(const kn_exec &e, const kn_timestep_embedding_params &p);
int32_t concat(const kn_exec &e, const kn_concat_params &p);

}  // namespace kinema::cpu
