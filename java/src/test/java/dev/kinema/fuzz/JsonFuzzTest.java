package dev.kinema.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kinema.io.Json;

/** Json.parse, under every config, index and manifest Kinema reads. */
class JsonFuzzTest {
    @FuzzTest(maxDuration = Outcomes.FUZZ_DURATION)
    void parse(byte[] bytes) {
        String text = Outcomes.utf8(bytes);
        Outcomes.typedOrSuccess(() -> Json.parse(text));
    }
}
