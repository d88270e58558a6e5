package dev.kinema.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kinema.DType;
import dev.kinema.Tensor;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryDTypeAndTheMetadata() {
        float[] values = {0f, 1f, -2.5f, 0.1f, 65504f, -1e-3f};
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("f32", Tensor.hostFromFloats(DType.F32, values, 2, 3));
        tensors.put("f16", Tensor.hostFromFloats(DType.F16, values, 3, 2));
        tensors.put("bf16", Tensor.hostFromFloats(DType.BF16, values, 6));
        tensors.put("empty", Tensor.host(DType.F32, 0, 4));
        Path file = dir.resolve("t.safetensors");
        Safetensors.write(file, tensors, Map.of("op", "conv_spatial", "note", "é ✓"), false);
        try (Safetensors.Contents back = Safetensors.read(file)) {
            assertEquals(Map.of("op", "conv_spatial", "note", "é ✓"), back.metadata());
            assertEquals(tensors.keySet(), back.tensors().keySet());
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor got = back.tensors().get(e.getKey());
                assertEquals(e.getValue().dtype(), got.dtype());
                assertArrayEquals(e.getValue().shape(), got.shape());
                assertArrayEquals(e.getValue().segment().toArray(ValueLayout.JAVA_BYTE),
                        got.segment().toArray(ValueLayout.JAVA_BYTE), e.getKey());
                assertArrayEquals(e.getValue().toFloats(), got.toFloats(), e.getKey());
            }
        } finally {
            tensors.values().forEach(Tensor::close);
        }
    }

    @Test
    void writesTheDocumentedLayout() throws IOException {
        Path file = dir.resolve("layout.safetensors");
        try (Tensor b = Tensor.hostFromFloats(new float[] {1.5f, -2f}, 2);
             Tensor a = Tensor.hostFromFloats(DType.F16, new float[] {1f}, 1)) {
            Safetensors.write(file, Map.of("b", b, "a", a), Map.of(), false);
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = bytes.getLong(0);
        assertEquals(0, headerLength % 8, "data area starts 8-byte aligned");
        String json = new String(bytes.array(), 8, (int) headerLength, StandardCharsets.UTF_8).strip();
        assertEquals("{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[2,10]}}", json);
        int data = 8 + (int) headerLength;
        assertEquals(10, bytes.capacity() - data);
        assertEquals((short) 0x3C00, bytes.getShort(data), "f16 1.0");
        assertEquals(1.5f, bytes.getFloat(data + 2));
        assertEquals(-2f, bytes.getFloat(data + 6));
    }

    @Test
    void opensLazilyAndLoadsOneTensor() {
        Path file = dir.resolve("lazy.safetensors");
        try (Tensor x = Tensor.hostFromFloats(new float[] {1, 2, 3, 4}, 2, 2);
             Tensor y = Tensor.hostFromFloats(new float[] {5}, 1)) {
            Safetensors.write(file, Map.of("x", x, "y", y), null, false);
        }
        Tensor loaded;
        try (SafetensorsFile f = Safetensors.open(file)) {
            assertEquals(List.of("x", "y"), List.copyOf(f.names()));
            assertEquals(new TensorInfo("y", DType.F32, new long[] {1}, 16, 20), f.info("y"));
            assertTrue(f.metadata().isEmpty());
            loaded = f.load("y");
            SafetensorsException missing = assertThrows(SafetensorsException.class, () -> f.load("z"));
            assertEquals("z", missing.tensor());
        }
        try (loaded) {
            assertArrayEquals(new float[] {5}, loaded.toFloats(), "a loaded tensor outlives its file");
        }
    }

    @Test
    void loadAfterCloseIsRefused() {
        Path file = dir.resolve("closed.safetensors");
        try (Tensor x = Tensor.hostFromFloats(new float[] {1}, 1)) {
            Safetensors.write(file, Map.of("x", x), null, false);
        }
        SafetensorsFile f = Safetensors.open(file);
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> f.load("x"));
    }

    @Test
    void neverOverwritesUnlessAsked() throws IOException {
        Path file = dir.resolve("keep.safetensors");
        Files.writeString(file, "precious");
        try (Tensor x = Tensor.hostFromFloats(new float[] {1, 2}, 2)) {
            SafetensorsException e = assertThrows(SafetensorsException.class,
                    () -> Safetensors.write(file, Map.of("x", x), null, false));
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
            assertEquals("precious", Files.readString(file));
            Safetensors.write(file, Map.of("x", x), null, true);
        }
        try (Safetensors.Contents c = Safetensors.read(file)) {
            assertArrayEquals(new float[] {1, 2}, c.tensors().get("x").toFloats());
        }
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(file), listing.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void writeIntoAMissingFolderNamesIt() {
        Path file = dir.resolve("nope").resolve("x.safetensors");
        try (Tensor x = Tensor.hostFromFloats(new float[] {1}, 1)) {
            SafetensorsException e = assertThrows(SafetensorsException.class,
                    () -> Safetensors.write(file, Map.of("x", x), null, false));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        }
    }

    @Test
    void missingFileIsNamed() {
        Path file = dir.resolve("absent.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.read(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }
}
