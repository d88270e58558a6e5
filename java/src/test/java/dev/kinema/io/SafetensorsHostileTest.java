package dev.kinema.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Headers crafted to mislead a reader: each must be refused, naming the tensor and field at fault. */
class SafetensorsHostileTest {
    @TempDir
    Path dir;

    /** A file whose 8-byte prefix claims {@code claimedLength}, followed by the header and data bytes. */
    private Path file(long claimedLength, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(claimedLength).put(header);
        Path p = dir.resolve("hostile.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private Path file(String json, int dataBytes) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        return file(header.length, header, dataBytes);
    }

    private static SafetensorsException refused(Path file, String tensor, String field, String problem) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.read(file));
        assertEquals(tensor, e.tensor(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        return e;
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 0, 0});
        refused(p, null, "header length", "too short");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        refused(file(1000, "{}".getBytes(StandardCharsets.UTF_8), 0), null, "header length", "1000 bytes exceeds the 2");
    }

    @Test
    void headerLengthBeyondTheCap() throws IOException {
        refused(file(Safetensors.MAX_HEADER_BYTES + 1, "{}".getBytes(StandardCharsets.UTF_8), 0), null,
                "header length", "exceeds the cap");
        refused(file(-1, "{}".getBytes(StandardCharsets.UTF_8), 0), null, "header length", "18446744073709551615");
    }

    @Test
    void headerThatIsNotJson() throws IOException {
        refused(file("{\"x\": nope}", 0), null, "header", "not valid JSON");
        refused(file("[1, 2]", 0), null, "header", "expected a JSON object, got an array");
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        refused(file(header.length, header, 0), null, "header", "not valid UTF-8");
    }

    @Test
    void missingDType() throws IOException {
        refused(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "a", "dtype", "missing");
    }

    @Test
    void unknownAndUnsupportedDTypes() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "a", "dtype", "unknown dtype Q7");
        refused(file("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "a", "dtype",
                "unsupported dtype I64");
        refused(file("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "a", "dtype", "expected a string");
    }

    @Test
    void negativeOrFractionalShape() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[0,0]}}", 0), "a", "shape",
                "non-negative");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "a", "shape", "1.5");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8), "a", "shape",
                "expected an array");
    }

    @Test
    void shapeWhoseByteSizeOverflows() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4),
                "a", "shape", "overflows");
    }

    @Test
    void offsetsOutsideTheDataArea() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4), "a", "data_offsets",
                "outside the data area of 4 bytes");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[9,9]}}", 4), "a", "data_offsets",
                "outside the data area");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8), "a", "data_offsets",
                "begin 8 > end 4");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "a", "data_offsets",
                "expected [begin, end]");
    }

    @Test
    void overlappingTensors() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "b", "data_offsets",
                "overlaps tensor 'a'");
        refused(file("{\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[2,6]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "b", "data_offsets",
                "overlaps tensor 'a'");
    }

    @Test
    void bytesClaimedByNoTensor() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "b", "data_offsets",
                "leaves bytes [4, 8) of the data area to no tensor");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "a", "data_offsets",
                "leaves bytes [0, 4)");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12), null, "data area",
                "bytes [4, 12) after the last tensor belong to no tensor");
    }

    @Test
    void sizeMismatchBetweenShapeAndOffsets() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "a", "data_offsets",
                "holds 8 bytes, but dtype F32 and shape [3] need 12");
        refused(file("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16), "a", "data_offsets",
                "need 8");
    }

    @Test
    void truncatedFile() throws IOException {
        Path full = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16);
        byte[] bytes = Files.readAllBytes(full);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        refused(cut, "a", "data_offsets", "outside the data area of 11 bytes");
        Path cutInHeader = dir.resolve("cut-header.safetensors");
        Files.write(cutInHeader, java.util.Arrays.copyOf(bytes, 20));
        refused(cutInHeader, null, "header length", "exceeds the 12 bytes after it");
    }

    @Test
    void unknownFieldsAndBadMetadata() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4), "a", "extra",
                "unknown field");
        refused(file("{\"__metadata__\":{\"k\":1}}", 0), null, "__metadata__", "value of \"k\": expected a string");
        refused(file("{\"__metadata__\":[]}", 0), null, "__metadata__", "expected an object");
        refused(file("{\"a\":[]}", 0), "a", null, "expected an object");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), null, "header", "duplicate key");
    }
}
