package dev.kinema.io;

import dev.kinema.DType;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated JSON header of a safetensors file: every entry checked (dtype, shape, offsets inside
 * the data area, sizes, no two tensors sharing bytes) before any tensor data is touched.
 */
record SafetensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    static final String METADATA_KEY = "__metadata__";
    /** Highest rank accepted; matches KN_MAX_RANK of the C ABI. */
    static final int MAX_RANK = 8;

    private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");
    private static final Set<String> OTHER_SAFETENSORS_DTYPES = Set.of("F64", "I64", "I32", "I16", "I8", "U64",
            "U32", "U16", "U8", "BOOL", "F8_E4M3", "F8_E5M2", "F6_E2M3", "F6_E3M2", "F4", "E8M0", "C64");

    /**
     * @param json     the header bytes (UTF-8)
     * @param dataSize bytes in the data area that follows the header
     */
    static SafetensorsHeader parse(Path file, byte[] json, long dataSize) {
        Object root;
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(json)).toString();
            root = Json.parse(text, Json.DEFAULT_MAX_DEPTH, Safetensors.MAX_HEADER_BYTES);
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, null, "header", "not valid UTF-8", e);
        } catch (JsonException e) {
            throw new SafetensorsException(file, null, "header", "not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> entries)) {
            throw new SafetensorsException(file, null, "header", "expected a JSON object, got " + kind(root));
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = parseMetadata(file, e.getValue());
            } else {
                tensors.put(name, parseEntry(file, name, e.getValue(), dataSize));
            }
        }
        checkLayout(file, tensors.values(), dataSize);
        return new SafetensorsHeader(Collections.unmodifiableMap(tensors), metadata);
    }

    private static Map<String, String> parseMetadata(Path file, Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsException(file, null, METADATA_KEY, "expected an object, got " + kind(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsException(file, null, METADATA_KEY,
                        "value of \"" + e.getKey() + "\": expected a string, got " + kind(e.getValue()));
            }
            metadata.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo parseEntry(Path file, String name, Object value, long dataSize) {
        if (name.isEmpty()) {
            throw new SafetensorsException(file, name, null, "empty tensor name");
        }
        if (!(value instanceof Map<?, ?> entry)) {
            throw new SafetensorsException(file, name, null, "expected an object, got " + kind(value));
        }
        for (String field : ENTRY_FIELDS) {
            if (!entry.containsKey(field)) {
                throw new SafetensorsException(file, name, field, "missing");
            }
        }
        for (Object field : entry.keySet()) {
            if (!ENTRY_FIELDS.contains(field)) {
                throw new SafetensorsException(file, name, (String) field,
                        "unknown field (expected only dtype, shape, data_offsets)");
            }
        }
        DType dtype = parseDType(file, name, entry.get("dtype"));
        long[] shape = parseShape(file, name, entry.get("shape"));
        long bytes = dtype.byteSize();
        for (long d : shape) {
            try {
                bytes = Math.multiplyExact(bytes, d);
            } catch (ArithmeticException ex) {
                throw new SafetensorsException(file, name, "shape", "byte size overflows a 64-bit integer");
            }
        }
        List<Long> offsets = parseLongs(file, name, "data_offsets", entry.get("data_offsets"));
        if (offsets.size() != 2) {
            throw new SafetensorsException(file, name, "data_offsets",
                    "expected [begin, end], got " + offsets.size() + " values");
        }
        long begin = offsets.get(0);
        long end = offsets.get(1);
        if (begin > end) {
            throw new SafetensorsException(file, name, "data_offsets", "begin " + begin + " > end " + end);
        }
        if (end > dataSize) {
            throw new SafetensorsException(file, name, "data_offsets",
                    "end " + end + " lies outside the data area of " + dataSize + " bytes");
        }
        if (end - begin != bytes) {
            throw new SafetensorsException(file, name, "data_offsets", "holds " + (end - begin)
                    + " bytes, but dtype " + dtype + " and shape " + Arrays.toString(shape)
                    + " need " + bytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static DType parseDType(Path file, String name, Object value) {
        if (!(value instanceof String s)) {
            throw new SafetensorsException(file, name, "dtype", "expected a string, got " + kind(value));
        }
        return switch (s) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw new SafetensorsException(file, name, "dtype",
                    (OTHER_SAFETENSORS_DTYPES.contains(s) ? "unsupported dtype " : "unknown dtype ") + s
                            + " (expected F32, F16 or BF16)");
        };
    }

    private static long[] parseShape(Path file, String name, Object value) {
        List<Long> dims = parseLongs(file, name, "shape", value);
        if (dims.size() > MAX_RANK) {
            throw new SafetensorsException(file, name, "shape", "rank " + dims.size() + " exceeds " + MAX_RANK);
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    /** A JSON array of non-negative integers that fit a long. */
    private static List<Long> parseLongs(Path file, String name, String field, Object value) {
        if (!(value instanceof List<?> list)) {
            throw new SafetensorsException(file, name, field, "expected an array, got " + kind(value));
        }
        List<Long> out = new ArrayList<>(list.size());
        for (Object item : list) {
            long v;
            try {
                if (!(item instanceof BigDecimal d)) {
                    throw new ArithmeticException();
                }
                v = d.longValueExact();
            } catch (ArithmeticException e) {
                throw new SafetensorsException(file, name, field,
                        "expected non-negative 64-bit integers, got " + Json.write(item));
            }
            if (v < 0) {
                throw new SafetensorsException(file, name, field, "expected non-negative integers, got " + v);
            }
            out.add(v);
        }
        return out;
    }

    /**
     * The data area is tiled by the tensors, as the safetensors format requires: sorted by offset, no
     * two share a byte and no byte lies between them or after the last (bytes no tensor claims would be
     * data the file carries unseen).
     */
    private static void checkLayout(Path file, Iterable<TensorInfo> tensors, long dataSize) {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo t : tensors) {
            if (t.byteSize() > 0) { // empty tensors occupy no bytes and cannot collide
                sorted.add(t);
            }
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        long end = 0;
        TensorInfo prev = null;
        for (TensorInfo cur : sorted) {
            if (cur.begin() < end) {
                throw new SafetensorsException(file, cur.name(), "data_offsets", "[" + cur.begin() + ", "
                        + cur.end() + ") overlaps tensor '" + prev.name() + "' [" + prev.begin() + ", "
                        + prev.end() + ")");
            }
            if (cur.begin() > end) {
                throw new SafetensorsException(file, cur.name(), "data_offsets", "[" + cur.begin() + ", " + cur.end()
                        + ") leaves bytes [" + end + ", " + cur.begin() + ") of the data area to no tensor");
            }
            end = cur.end();
            prev = cur;
        }
        if (end != dataSize) {
            throw new SafetensorsException(file, null, "data area", "bytes [" + end + ", " + dataSize
                    + ") after the last tensor belong to no tensor");
        }
    }

    private static String kind(Object v) {
        return switch (v) {
            case null -> "null";
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            case String s -> "a string";
            case BigDecimal d -> "a number";
            case Boolean b -> "a boolean";
            default -> v.getClass().getSimpleName();
        };
    }
}
