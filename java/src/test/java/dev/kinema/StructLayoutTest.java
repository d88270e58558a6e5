package dev.kinema;

import dev.kinema.raw.kn_conv_spatial_params;
import dev.kinema.raw.kn_ddim_step_params;
import dev.kinema.raw.kn_tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generated struct layouts against the C compiler: small C programs include kinema.h and
 * print sizeof and offsetof of every field named in the header, and read back params structs
 * filled through the generated accessors; sizes, offsets and values must agree.
 */
class StructLayoutTest {
    private static final Pattern STRUCT = Pattern.compile("typedef struct (kn_\\w+) \\{(.*?)\\} \\1;");
    private static final Pattern FIELD = Pattern.compile("(\\w+)\\s*(\\[\\w+\\])?$");

    /** struct name -> field names, in declaration order, as the header spells them. */
    static Map<String, List<String>> headerStructs() throws Exception {
        Map<String, List<String>> structs = new LinkedHashMap<>();
        Matcher m = STRUCT.matcher(KinemaHeaderBindingTest.header().replaceAll("\\s+", " "));
        while (m.find()) {
            List<String> fields = new ArrayList<>();
            for (String declaration : m.group(2).split(";")) {
                if (declaration.isBlank()) {
                    continue;
                }
                Matcher field = FIELD.matcher(declaration.trim());
                assertTrue(field.find(), "cannot read field '" + declaration + "'");
                fields.add(field.group(1));
            }
            structs.put(m.group(1), fields);
        }
        return structs;
    }

    @Test
    void javaLayoutsMatchGcc(@TempDir Path dir) throws Exception {
        Map<String, List<String>> structs = headerStructs();
        assertEquals(List.of("kn_tensor", "kn_conv_spatial_params", "kn_conv_temporal_params", "kn_ddim_step_params",
                        "kn_group_norm_params", "kn_layer_norm_params", "kn_temporal_attention_params",
                        "kn_linear_params", "kn_conv3d_params", "kn_attention_params", "kn_elementwise_params",
                        "kn_upsample_nearest_params", "kn_patch_params", "kn_alpha_blend_params", "kn_concat_params",
                        "kn_timestep_embedding_params"),
                List.copyOf(structs.keySet()));

        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"kinema.h\"\nint main(void) {\n");
        for (Map.Entry<String, List<String>> struct : structs.entrySet()) {
            String name = struct.getKey();
            c.append("  printf(\"%s sizeof %zu\\n\", \"").append(name).append("\", sizeof(").append(name).append("));\n");
            for (String field : struct.getValue()) {
                c.append("  printf(\"%s %s %zu\\n\", \"").append(name).append("\", \"").append(field)
                        .append("\", offsetof(").append(name).append(", ").append(field).append("));\n");
            }
        }
        c.append("  return 0;\n}\n");
        Map<String, Long> fromC = compileAndRun(dir, c.toString());

        for (Map.Entry<String, List<String>> struct : structs.entrySet()) {
            String name = struct.getKey();
            Class<?> raw = Class.forName("dev.kinema.raw." + name);
            GroupLayout layout = (GroupLayout) raw.getMethod("layout").invoke(null);
            assertEquals(fromC.get(name + " sizeof"), layout.byteSize(), name + " size");
            assertEquals(struct.getValue(), layout.memberLayouts().stream()
                    .map(member -> member.name().orElseThrow()).toList(), name + " field names");
            for (String field : struct.getValue()) {
                long offset = (long) raw.getMethod(field + "$offset").invoke(null);
                assertEquals(fromC.get(name + " " + field), offset, name + "." + field + " offset");
                assertEquals(offset, layout.byteOffset(MemoryLayout.PathElement.groupElement(field)),
                        name + "." + field + " layout offset");
            }
        }
    }

    /** Fills one kn_tensor through the generated accessors with values derived from seed. */
    private static void fillTensor(MemorySegment tensor, int seed) {
        kn_tensor.data(tensor, MemorySegment.ofAddress(0x1000L * seed));
        kn_tensor.dtype(tensor, seed % 3);
        kn_tensor.rank(tensor, 8);
        for (int i = 0; i < 8; i++) {
            kn_tensor.shape(tensor, i, 100L * seed + i);
            kn_tensor.strides(tensor, i, 1000L * seed + i);
        }
    }

    private static String expectedTensor(String name, int seed) {
        StringBuilder text = new StringBuilder(name + ".data " + 0x1000L * seed + "\n" + name + ".dtype " + seed % 3
                + "\n" + name + ".rank 8\n");
        for (int i = 0; i < 8; i++) {
            text.append(name).append(".shape ").append(100L * seed + i).append('\n');
        }
        for (int i = 0; i < 8; i++) {
            text.append(name).append(".strides ").append(1000L * seed + i).append('\n');
        }
        return text.toString();
    }

    @Test
    void valuesWrittenThroughTheAccessorsAreWhatCReads(@TempDir Path dir) throws Exception {
        String[] convTensors = {"x", "w", "b", "residual", "y"};
        String[] ddimTensors = {"x", "out_c", "out_u", "noise", "y", "x0"};
        String[] ddimScalars = {"alpha_t", "sigma_t", "alpha_s", "sigma_s", "guidance", "eta", "clip_x0"};
        StringBuilder c = new StringBuilder("""
                #include <stdio.h>
                #include <stdint.h>
                #include "kinema.h"
                static void tensor(const char *name, const kn_tensor *t) {
                  printf("%s.data %llu\\n%s.dtype %d\\n%s.rank %d\\n", name, (unsigned long long)(uintptr_t)t->data,
                         name, t->dtype, name, t->rank);
                  for (int i = 0; i < KN_MAX_RANK; i++) printf("%s.shape %lld\\n", name, (long long)t->shape[i]);
                  for (int i = 0; i < KN_MAX_RANK; i++) printf("%s.strides %lld\\n", name, (long long)t->strides[i]);
                }
                int main(int argc, char **argv) {
                  kn_conv_spatial_params conv;
                  kn_ddim_step_params ddim;
                  FILE *f = fopen(argv[1], "rb");
                  if (argc < 2 || !f || fread(&conv, sizeof conv, 1, f) != 1 || fread(&ddim, sizeof ddim, 1, f) != 1) return 2;
                """);
        for (String t : convTensors) {
            c.append("  tensor(\"conv.").append(t).append("\", &conv.").append(t).append(");\n");
        }
        c.append("  printf(\"conv.stride %d\\n\", conv.stride);\n");
        for (String t : ddimTensors) {
            c.append("  tensor(\"ddim.").append(t).append("\", &ddim.").append(t).append(");\n");
        }
        for (String d : ddimScalars) {
            c.append("  printf(\"ddim.").append(d).append(" %.17g\\n\", ddim.").append(d).append(");\n");
        }
        c.append("  printf(\"ddim.prediction %d\\n\", ddim.prediction);\n  return 0;\n}\n");

        StringBuilder expected = new StringBuilder();
        Path blob = dir.resolve("params.bin");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment conv = kn_conv_spatial_params.allocate(arena);
            MemorySegment ddim = kn_ddim_step_params.allocate(arena);
            int seed = 1;
            for (String t : convTensors) {
                fillTensor((MemorySegment) kn_conv_spatial_params.class.getMethod(t, MemorySegment.class).invoke(null, conv), seed);
                expected.append(expectedTensor("conv." + t, seed++));
            }
            kn_conv_spatial_params.stride(conv, 2);
            expected.append("conv.stride 2\n");
            for (String t : ddimTensors) {
                fillTensor((MemorySegment) kn_ddim_step_params.class.getMethod(t, MemorySegment.class).invoke(null, ddim), seed);
                expected.append(expectedTensor("ddim." + t, seed++));
            }
            double value = 0.125;
            for (String d : ddimScalars) {
                kn_ddim_step_params.class.getMethod(d, MemorySegment.class, double.class).invoke(null, ddim, value);
                expected.append("ddim.").append(d).append(' ').append(value).append('\n');
                value += 1.25;
            }
            kn_ddim_step_params.prediction(ddim, 2);
            expected.append("ddim.prediction 2\n");
            byte[] bytes = new byte[(int) (conv.byteSize() + ddim.byteSize())];
            MemorySegment.copy(conv, ValueLayout.JAVA_BYTE, 0, bytes, 0, (int) conv.byteSize());
            MemorySegment.copy(ddim, ValueLayout.JAVA_BYTE, 0, bytes, (int) conv.byteSize(), (int) ddim.byteSize());
            Files.write(blob, bytes);
        }
        Path exe = compile(dir, c.toString());
        assertEquals(expected.toString().strip(), run(List.of(exe.toString(), blob.toString())));
    }

    private static Path compile(Path dir, String source) throws Exception {
        Path c = dir.resolve("layout.c");
        Path exe = dir.resolve("layout");
        Files.writeString(c, source);
        Path include = Path.of(System.getProperty("kinema.test.header", "../native/include/kinema.h")).getParent();
        run(List.of("gcc", "-std=c11", "-Wall", "-Werror", "-I", include.toString(), c.toString(), "-o", exe.toString()));
        return exe;
    }

    private static Map<String, Long> compileAndRun(Path dir, String source) throws Exception {
        Path exe = compile(dir, source);
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : run(List.of(exe.toString())).split("\n")) {
            int cut = line.lastIndexOf(' ');
            values.put(line.substring(0, cut), Long.parseLong(line.substring(cut + 1)));
        }
        return values;
    }

    private static String run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), command + " timed out");
        assertEquals(0, process.exitValue(), command + " failed:\n" + output);
        return output.strip();
    }
}
