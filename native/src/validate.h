// validate.h - argument checks shared by every backend, run before any kernel.
//
// Each returns KN_OK or KN_ERR_INVALID_ARGUMENT with kn_last_error naming the function, the argument
// and the expected vs. actual value. Backends may then assume dense, in-bounds, correctly shaped
// tensors and attributes in range.
#pragma once

#include "kinema.h"

int32_t kn_validate_conv_spatial(const kn_conv_spatial_params *p);
int32_t kn_validate_conv_temporal(const kn_conv_temporal_params *p);
int32_t kn_validate_ddim_step(const kn_ddim_step_params *p);
int32_t kn_validate_group_norm(const kn_group_norm_params *p);  // validate_norm.cpp
int32_t kn_validate_layer_norm(const kn_layer_norm_params *p);  // validate_norm.cpp
int32_t kn_validate_temporal_attention(const kn_temporal_attention_params *p);  // validate_attention.cpp
int32_t kn_validate_linear(const kn_linear_params *p);  // validate_linear.cpp
int32_t kn_validate_conv3d(const kn_conv3d_params *p);  // validate_linear.cpp
int32_t kn_validate_attention(const kn_attention_params *p);  // validate_frame_attention.cpp
int32_t kn_validate_elementwise(const kn_elementwise_params *p);  // validate_elementwise.cpp
int32_t kn_validate_upsample_nearest(const kn_upsample_nearest_params *p);  // validate_resample.cpp
int32_t kn_validate_patchify(const kn_patch_params *p);  // validate_resample.cpp
int32_t kn_validate_unpatchify(const kn_patch_params *p);  // validate_resample.cpp
int32_t kn_validate_alpha_blend(const kn_alpha_blend_params *p);  // validate_resample.cpp
int32_t kn_validate_timestep_embedding(const kn_timestep_embedding_params *p);  // validate_resample.cpp
int32_t kn_validate_concat(const kn_concat_params *p);  // validate_resample.cpp

// Bytes spanned by a dense tensor (numel * element size), or -1 if its description is invalid.
int64_t kn_tensor_bytes(const kn_tensor *t);
