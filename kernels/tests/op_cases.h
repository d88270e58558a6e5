// op_cases.h - the op suites; each returns its number of failed cases (TestFailure on a harness error).
#pragma once

#include "plugin_harness.h"

int run_conv_spatial_cases(const Plugin &plugin);
int run_conv_temporal_cases(const Plugin &plugin);
int run_ddim_step_cases(const Plugin &plugin);
int run_temporal_attention_cases(const Plugin &plugin);
int run_linear_cases(const Plugin &plugin);  // linear_cases.cpp
int run_conv3d_cases(const Plugin &plugin);  // linear_cases.cpp
int run_linear_mma_cases(const Plugin &plugin);  // linear_mma_cases.cpp
int run_conv_mma_cases(const Plugin &plugin);  // conv_mma_cases.cpp
int run_elementwise_cases(const Plugin &plugin);  // elementwise_cases.cpp
int run_resample_cases(const Plugin &plugin);  // resample_cases.cpp
int run_frame_attention_cases(const Plugin &plugin);  // frame_attention_cases.cpp
int run_norm_cases(const Plugin &plugin);  // norm_cases.cpp
int run_half_storage_cases(const Plugin &plugin);  // half_storage_cases.cpp
int run_attention_mma_cases(const Plugin &plugin);  // attention_mma_cases.cpp
int run_error_cases(const Plugin &plugin);
int run_abi_mismatch_case(const std::string &plugin_path);

// Every suite above, with a summary line.
int run_all_op_cases(const Plugin &plugin);
