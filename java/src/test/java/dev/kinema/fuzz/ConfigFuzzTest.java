package dev.kinema.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kinema.models.ConfigReader;
import dev.kinema.models.LatteConfig;
import dev.kinema.models.MotionUnetConfig;
import dev.kinema.models.SpatioTemporalBlockConfig;
import dev.kinema.models.Unet3dConfig;
import dev.kinema.sampling.SamplerPlan;
import dev.kinema.sampling.SchedulerConfig;

/**
 * diffusers config.json files: every model config class reads the same text, and a scheduler config
 * read from it is turned into its noise schedule and a 25-step plan of every sampler (the arrays
 * sized by num_train_timesteps are made there).
 */
class ConfigFuzzTest {
    @FuzzTest(maxDuration = Outcomes.FUZZ_DURATION)
    void modelConfigs(byte[] bytes) {
        String json = Outcomes.utf8(bytes);
        Outcomes.typedOrSuccess(() -> Unet3dConfig.read(ConfigReader.parse("fuzz", json)));
        Outcomes.typedOrSuccess(() -> LatteConfig.read(ConfigReader.parse("fuzz", json)));
        Outcomes.typedOrSuccess(() -> MotionUnetConfig.read(ConfigReader.parse("fuzz", json)));
        Outcomes.typedOrSuccess(() -> SpatioTemporalBlockConfig.read(ConfigReader.parse("fuzz", json)));
    }

    @FuzzTest(maxDuration = Outcomes.FUZZ_DURATION)
    void schedulerConfig(byte[] bytes) {
        String json = Outcomes.utf8(bytes);
        Outcomes.typedOrSuccess(() -> {
            SchedulerConfig config = SchedulerConfig.from(ConfigReader.parse("fuzz", json));
            config.schedule();
            for (SamplerPlan.Sampler sampler : SamplerPlan.Sampler.values()) {
                SamplerPlan.of(config, sampler, 25, 0.0, 1.0);
            }
        });
    }
}
