package dev.kinema;

import dev.kinema.internal.NativeLibrary;
import dev.kinema.raw.kinema_h;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The raw layer against the header, read here with its own regular expressions (not the
 * generator's parser): every prototype bound with the right carriers, every constant's value,
 * and every symbol present in the loaded library.
 */
class KinemaHeaderBindingTest {
    // A raw binding's holder class resolves its symbol when first touched, so load before any.
    @BeforeAll
    static void load() {
        NativeLibrary.load();
    }

    private static final Pattern PROTOTYPE =
            Pattern.compile("([A-Za-z_][A-Za-z0-9_ ]*?[ *]+)(kn_\\w+)\\s*\\(([^()]*)\\)\\s*;");
    private static final Pattern DEFINE = Pattern.compile("(?m)^\\s*#define\\s+(KN_\\w+)\\s+(-?\\d+)\\s*$");
    private static final Pattern ENUMERATOR = Pattern.compile("\\b(KN_\\w+)\\s*=\\s*(-?\\d+)");

    record Prototype(String name, Class<?> returns, List<Class<?>> parameters) {
    }

    static String header() throws IOException {
        String text = Files.readString(Path.of(System.getProperty("kinema.test.header", "../native/include/kinema.h")));
        return text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
    }

    static Map<String, Prototype> prototypes() throws IOException {
        Map<String, Prototype> result = new LinkedHashMap<>();
        Matcher m = PROTOTYPE.matcher(header().replaceAll("\\s+", " "));
        while (m.find()) {
            String params = m.group(3).trim();
            List<Class<?>> types = new ArrayList<>();
            if (!params.equals("void")) {
                for (String param : params.split(",")) {
                    String type = param.trim().replaceAll("\\w+$", "").trim();
                    types.add(carrier(type));
                }
            }
            result.put(m.group(2), new Prototype(m.group(2), carrier(m.group(1).trim()), types));
        }
        return result;
    }

    /** The Java carrier of a C type of kinema.h on LP64 Linux. */
    static Class<?> carrier(String cType) {
        if (cType.contains("*") || cType.equals("kn_context") || cType.equals("kn_stream")
                || cType.equals("kn_graph")) {
            return MemorySegment.class;
        }
        return switch (cType) {
            case "void" -> void.class;
            case "int32_t" -> int.class;
            case "int64_t" -> long.class;
            case "double" -> double.class;
            default -> throw new AssertionError("the test does not know the C type '" + cType + "'");
        };
    }

    @Test
    void headerDeclaresTheKnownEntryPoints() throws IOException {
        Map<String, Prototype> prototypes = prototypes();
        // A broken regex would find nothing and make the other tests vacuous.
        assertTrue(prototypes.size() >= 17, "prototypes found: " + prototypes.keySet());
        assertEquals(List.of(MemorySegment.class, MemorySegment.class, MemorySegment.class, long.class, int.class,
                MemorySegment.class), prototypes.get("kn_memcpy").parameters());
        assertEquals(MemorySegment.class, prototypes.get("kn_last_error").returns());
    }

    @Test
    void everyPrototypeIsBoundWithMatchingCarriers() throws Exception {
        for (Prototype p : prototypes().values()) {
            Method invoker = kinema_h.class.getMethod(p.name(), p.parameters().toArray(Class<?>[]::new));
            assertTrue(Modifier.isStatic(invoker.getModifiers()), p.name());
            assertEquals(p.returns(), invoker.getReturnType(), p.name() + " return carrier");

            FunctionDescriptor descriptor = (FunctionDescriptor) kinema_h.class.getMethod(p.name() + "$descriptor").invoke(null);
            List<Class<?>> layoutCarriers = descriptor.argumentLayouts().stream().map(KinemaHeaderBindingTest::carrierOf).toList();
            assertEquals(p.parameters(), layoutCarriers, p.name() + " descriptor arguments");
            assertEquals(p.returns(), descriptor.returnLayout().map(KinemaHeaderBindingTest::carrierOf).orElse(void.class),
                    p.name() + " descriptor return");
            assertTrue(kinema_h.class.getMethod(p.name() + "$handle").invoke(null) != null, p.name() + "$handle");
        }
    }

    @Test
    void bindingsHaveNothingBeyondTheHeader() throws IOException {
        assertEquals(new TreeSet<>(prototypes().keySet()), new TreeSet<>(NativeLibrary.boundFunctions()));
    }

    @Test
    void everySymbolResolvesInTheLoadedLibrary() throws Exception {
        Path library = NativeLibrary.load();
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lookup = SymbolLookup.libraryLookup(library, arena);
            for (String name : prototypes().keySet()) {
                assertTrue(lookup.find(name).isPresent(), name + " missing from " + library);
                MemorySegment bound = (MemorySegment) kinema_h.class.getMethod(name + "$address").invoke(null);
                assertEquals(lookup.find(name).get().address(), bound.address(), name + " address");
            }
        }
    }

    @Test
    void constantsEqualTheHeaderValues() throws Exception {
        String header = header();
        Map<String, Integer> expected = new LinkedHashMap<>();
        Matcher define = DEFINE.matcher(header);
        while (define.find()) {
            expected.put(define.group(1), Integer.parseInt(define.group(2)));
        }
        Matcher enumerator = ENUMERATOR.matcher(header);
        while (enumerator.find()) {
            expected.put(enumerator.group(1), Integer.parseInt(enumerator.group(2)));
        }
        assertTrue(expected.containsKey("KN_ABI_VERSION") && expected.containsKey("KN_DTYPE_BF16"), expected.toString());
        for (Map.Entry<String, Integer> entry : expected.entrySet()) {
            Object value = kinema_h.class.getMethod(entry.getKey()).invoke(null);
            assertEquals(entry.getValue(), value, entry.getKey());
        }
    }

    @Test
    void typedEnumsUseTheAbiCodes() {
        assertEquals(kinema_h.KN_DTYPE_F32(), DType.F32.code());
        assertEquals(kinema_h.KN_DTYPE_F16(), DType.F16.code());
        assertEquals(kinema_h.KN_DTYPE_BF16(), DType.BF16.code());
        assertEquals(kinema_h.KN_BACKEND_CUDA_EMU(), Backend.CUDA_EMU.nativeKind());
        assertEquals(kinema_h.KN_PREDICTION_V(), Prediction.V.code());
        assertEquals(Arrays.asList(4, 2, 2), Arrays.stream(DType.values()).map(DType::byteSize).toList());
    }

    @Test
    void abiVersionOfTheLoadedLibraryMatches() {
        NativeLibrary.load();
        assertEquals(kinema_h.KN_ABI_VERSION(), kinema_h.kn_abi_version());
        assertEquals("cpu", dev.kinema.internal.CriticalHandles.backendName(kinema_h.KN_BACKEND_CPU()));
        assertEquals("cuda-emu", dev.kinema.internal.CriticalHandles.backendName(kinema_h.KN_BACKEND_CUDA_EMU()));
        assertEquals(null, dev.kinema.internal.CriticalHandles.backendName(kinema_h.KN_BACKEND_COUNT()));
        assertNotEquals(MemorySegment.NULL, kinema_h.kn_last_error());
        assertFalse(kinema_h.kn_abi_version$descriptor().returnLayout().isEmpty());
    }

    private static Class<?> carrierOf(MemoryLayout layout) {
        return layout instanceof ValueLayout value ? value.carrier() : MemorySegment.class;
    }
}
