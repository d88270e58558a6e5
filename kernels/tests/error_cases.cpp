// error_cases.cpp - the plugin's own refusals: unsupported dtypes, a bad prediction or copy kind, and a
// host of another plugin ABI. Each must return its status with a message naming the argument.
#include <cstdio>

#include "op_cases.h"

namespace {

bool expect_refusal(const std::string &name, int32_t status, int32_t expected_status,
                    const std::vector<std::string> &expected_words) {
    bool ok = status == expected_status;
    for (const std::string &word : expected_words) ok = ok && plugin_last_error().find(word) != std::string::npos;
    std::printf("%s %s: status %d (expected %d), message \"%s\"\n", ok ? "PASS" : "FAIL", name.c_str(), status,
                expected_status, plugin_last_error().c_str());
    return ok;
}

}  // namespace

int run_error_cases(const Plugin &plugin) {
    int failures = 0;
    DeviceBuffer buf(plugin, 64);
    const kn_tensor act = make_tensor(buf.data(), {1, 1, 2, 2, 4});
    const kn_tensor act_f16 = make_tensor(buf.data(), {1, 1, 2, 2, 4}, KN_DTYPE_F16);
    const kn_tensor w = make_tensor(buf.data(), {4, 4, 1, 1, 1});

    clear_plugin_error();
    kn_conv_spatial_params cs{act_f16, w, absent_tensor(), absent_tensor(), act, 1, 0};
    failures += !expect_refusal("conv_spatial f16 x", plugin.ops->conv_spatial(&plugin.exec, &cs),
                                KN_ERR_UNSUPPORTED, {"conv_spatial", "x", "f16"});

    clear_plugin_error();
    kn_conv_temporal_params ct{act, make_tensor(buf.data(), {4, 4, 3, 1, 1}, KN_DTYPE_BF16), absent_tensor(),
                               absent_tensor(), act};
    failures += !expect_refusal("conv_temporal bf16 w", plugin.ops->conv_temporal(&plugin.exec, &ct),
                                KN_ERR_UNSUPPORTED, {"conv_temporal", "w", "bf16"});

    clear_plugin_error();
    kn_ddim_step_params dd{};
    dd.x = dd.out_c = dd.y = make_tensor(buf.data(), {64});
    dd.out_u = make_tensor(buf.data(), {64}, KN_DTYPE_F16);
    dd.alpha_t = dd.sigma_t = dd.alpha_s = dd.sigma_s = 0.7;
    failures += !expect_refusal("ddim_step f16 out_u", plugin.ops->ddim_step(&plugin.exec, &dd), KN_ERR_UNSUPPORTED,
                                {"ddim_step", "out_u", "f16"});

    clear_plugin_error();
    dd.out_u = absent_tensor();
    dd.prediction = 7;
    failures += !expect_refusal("ddim_step prediction 7", plugin.ops->ddim_step(&plugin.exec, &dd),
                                KN_ERR_INVALID_ARGUMENT, {"prediction", "7"});

    clear_plugin_error();
    float host[4];
    failures += !expect_refusal("memcpy kind 9", plugin.ops->memcpy(&plugin.exec, host, buf.data(), 16, 9),
                                KN_ERR_INVALID_ARGUMENT, {"memcpy", "kind", "9"});
    return failures;
}

// A host speaking another plugin ABI is refused at the entry with a message, not a crash.
int run_abi_mismatch_case(const std::string &path) {
    const Plugin other = load_plugin(path, KN_PLUGIN_ABI + 41);
    const bool ok = other.ops == nullptr && plugin_last_error().find("ABI") != std::string::npos;
    std::printf("%s plugin entry with host ABI %d: %s\n", ok ? "PASS" : "FAIL", KN_PLUGIN_ABI + 41,
                plugin_last_error().c_str());
    return ok ? 0 : 1;
}

int run_all_op_cases(const Plugin &plugin) {
    int failures = 0;
    failures += run_conv_spatial_cases(plugin);
    failures += run_conv_temporal_cases(plugin);
    failures += run_ddim_step_cases(plugin);
    failures += run_temporal_attention_cases(plugin);
    failures += run_linear_cases(plugin) + run_conv3d_cases(plugin);
    failures += run_linear_mma_cases(plugin);
    failures += run_conv_mma_cases(plugin);
    failures += run_elementwise_cases(plugin);
    failures += run_resample_cases(plugin);
    failures += run_frame_attention_cases(plugin);
    failures += run_norm_cases(plugin);
    failures += run_half_storage_cases(plugin);
    failures += run_attention_mma_cases(plugin);
    failures += run_error_cases(plugin);
    return failures;
}
