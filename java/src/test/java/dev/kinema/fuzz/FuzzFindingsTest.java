package dev.kinema.fuzz;

import dev.kinema.InvalidArgumentException;
import dev.kinema.modelfile.ModelFile;
import dev.kinema.modelfile.ModelFileException;
import dev.kinema.modelfile.fb.Model;
import dev.kinema.models.ConfigReader;
import dev.kinema.models.ModelConfigException;
import dev.kinema.models.Unet3dConfig;
import dev.kinema.sampling.SamplerPlan;
import dev.kinema.sampling.SchedulerConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each input fuzzing found a bug with now ends in the typed error naming the field at fault. */
class FuzzFindingsTest {
    static final Path INPUTS = Path.of("src", "test", "resources", "dev", "kinema", "fuzz");

    static String text(String path) throws IOException {
        return Files.readString(INPUTS.resolve(path));
    }

    @Test
    void unet3dNormNumGroupsZero() throws IOException {
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> Unet3dConfig.read(
                ConfigReader.parse("fuzz", text("ConfigFuzzTestInputs/modelConfigs/unet3d_norm_num_groups_zero.json"))));
        assertEquals("norm_num_groups", e.field());
    }

    @Test
    void spatioTemporalNumLayersHugeIsRefusedBeforeItSizesAnArray() throws IOException {
        // found as a 'slow unit': its 199,999,999 layers sized an 800 MB default array, and the error
        // came seconds later from another field (num_attention_heads)
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> dev.kinema.models.SpatioTemporalBlockConfig
                .read(ConfigReader.parse("fuzz", text("ConfigFuzzTestInputs/modelConfigs/spatiotemporal_num_layers_huge.json"))));
        assertEquals("num_layers", e.field());
    }

    @Test
    void stepsOffsetPastTheSchedule() throws IOException {
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> SchedulerConfig.from(ConfigReader.parse(
                "fuzz", text("ConfigFuzzTestInputs/schedulerConfig/steps_offset_past_the_schedule.json"))));
        assertEquals("steps_offset", e.field());
    }

    @Test
    void leadingSpacingWithAnOffsetCannotStepPastTheTable() {
        // diffusers' own default for SD-style schedulers: leading + steps_offset 1; 1000 steps would start at 1000
        SchedulerConfig cfg = SchedulerConfig.from(ConfigReader.parse("cfg",
                "{\"timestep_spacing\": \"leading\", \"steps_offset\": 1}"));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> SamplerPlan.of(cfg, SamplerPlan.Sampler.DDIM, 1000, 0, 1));
        assertEquals("steps", e.argument());
        assertTrue(e.getMessage().contains("first timestep 1000"), e.getMessage());
        SamplerPlan.of(cfg, SamplerPlan.Sampler.DDIM, 999, 0, 1);  // 998 * 1 + 1 = 999: the last trained step
    }

    @Test
    void hugeNumTrainTimestepsIsRefusedBeforeTheTableIsMade() {
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> SchedulerConfig.from(
                ConfigReader.parse("fuzz", "{\"num_train_timesteps\": 2000000000}")));
        assertEquals("num_train_timesteps", e.field());
    }

    @Test
    void modelFileHeaderShorterThanItsIdentifier() throws IOException {
        byte[] bytes = ModelFileFuzzTest.VALID.clone();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 4);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.open(write("short_header", bytes)));
        assertEquals("header size", e.field());
    }

    @Test
    void modelFileNodeShapeOfTwoBillionEntries() throws IOException {
        byte[] bytes = ModelFileFuzzTest.VALID.clone();
        ByteBuffer header = ByteBuffer.wrap(bytes, 4, bytes.length - 4).slice().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer shape = Model.getRootAsModel(header).graph().nodes(0).shapeAsByteBuffer();
        header.putInt(shape.position() - 4, Integer.MAX_VALUE);  // the vector's length, just before its data
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.open(write("huge_shape", bytes)));
        assertEquals("graph.nodes[0].shape", e.field());
    }

    static Path write(String name, byte[] bytes) throws IOException {
        Path file = ModelFileFuzzTest.DIR.resolve(name + ".kinema");
        Files.write(file, bytes);
        return file;
    }
}
