package dev.kinema.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5, 3e2, 0, -0.0e-1], \"b\": {\"c\": true, \"d\": false, \"e\": null},"
                + " \"s\": \"hi\"}\n");
        Map<?, ?> root = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "s"), List.copyOf(root.keySet()));
        List<?> a = (List<?>) root.get("a");
        assertEquals(0, new BigDecimal("1").compareTo((BigDecimal) a.get(0)));
        assertEquals(0, new BigDecimal("-2.5").compareTo((BigDecimal) a.get(1)));
        assertEquals(300L, ((BigDecimal) a.get(2)).longValueExact());
        assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) a.get(4)));
        Map<?, ?> b = (Map<?, ?>) root.get("b");
        assertEquals(Boolean.TRUE, b.get("c"));
        assertEquals(Boolean.FALSE, b.get("d"));
        assertTrue(b.containsKey("e"));
        assertNull(b.get("e"));
        assertEquals("hi", root.get("s"));
    }

    @Test
    void decodesEscapesAndSurrogatePairs() {
        String parsed = (String) Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 \u00fc\"");
        assertEquals("q\" b\\ s/ \b\f\n\r\t \u00e9 \uD83D\uDE00 \u00fc", parsed);
        assertEquals("\uD83D\uDE00".codePointAt(0), 0x1F600);
    }

    @Test
    void numbersKeepTheirExactValue() {
        BigDecimal big = (BigDecimal) Json.parse("123456789012345678901234567890.125");
        assertEquals(new BigDecimal("123456789012345678901234567890.125"), big);
        assertEquals(Long.MAX_VALUE, ((BigDecimal) Json.parse("9223372036854775807")).longValueExact());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``                       | 0  | unexpected end",
        "`   `                    | 3  | unexpected end",
        "`{`                      | 1  | expected a string key",
        "`[1,]`                   | 3  | expected a value",
        "`{\"a\":1,}`             | 7  | expected a string key",
        "`{\"a\" 1}`              | 5  | expected ':'",
        "`{1:2}`                  | 1  | expected a string key",
        "`[1 2]`                  | 3  | expected ',' or ']'",
        "`{\"a\":1 \"b\":2}`      | 7  | expected ',' or '}'",
        "`1 2`                    | 2  | after the value",
        "`01`                     | 1  | leading zero",
        "`1.`                     | 2  | after the decimal point",
        "`-`                      | 1  | expected a digit",
        "`1e`                     | 2  | in the exponent",
        "`+1`                     | 0  | unexpected '+'",
        "`.5`                     | 0  | unexpected '.'",
        "`NaN`                    | 0  | unexpected 'N'",
        "`tru`                    | 0  | expected true",
        "`nul`                    | 0  | expected null",
        "`\"abc`                  | 4  | unterminated string",
        "`\"a\\x\"`               | 3  | invalid escape",
        "`\"\\u12g4\"`            | 5  | invalid hex digit",
        "`\"\\u12\"`              | 3  | truncated",
        "`\"\\ud800\"`            | 1  | not followed by a low surrogate",
        "`\"\\udc00\"`            | 1  | lone low surrogate",
        "`\"\\ud800\\u0041\"`     | 1  | not a low surrogate",
        "`{\"k\":1,\"k\":2}`      | 7  | duplicate key",
    })
    void rejectsMalformedTextNamingTheOffset(String text, long offset, String problem) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text));
        assertEquals(offset, e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertTrue(e.getMessage().contains("offset " + offset), e.getMessage());
    }

    @Test
    void rejectsRawControlCharactersInStrings() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("\"a\u0001b\""));
        assertEquals(2, e.offset());
        assertTrue(e.getMessage().contains("control character"));
    }

    @Test
    void enforcesTheDepthLimit() {
        String ok = "[".repeat(5) + "]".repeat(5);
        assertEquals(List.of(List.of(List.of(List.of(List.of())))), Json.parse(ok, 5, 100));
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("[".repeat(6) + "]".repeat(6), 5, 100));
        assertEquals(5, e.offset());
        assertTrue(e.getMessage().contains("nesting deeper than 5"));
        // the default limit stops a stack-exhausting document
        assertThrows(JsonException.class, () -> Json.parse("[".repeat(100_000)));
    }

    @Test
    void enforcesTheSizeLimit() {
        assertEquals("abcdefgh", Json.parse("\"abcdefgh\"", 4, 10));
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("\"abcdefghi\"", 4, 10));
        assertTrue(e.getMessage().contains("11 characters exceeds the limit of 10"), e.getMessage());
    }

    @Test
    void writesCompactJsonThatParsesBack() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", "x \"y\" \\ \n\t\u0001 \u00e9 \uD83D\uDE00");
        doc.put("shape", List.of(1L, 2, 3));
        doc.put("ok", true);
        doc.put("none", null);
        doc.put("half", 0.5);
        doc.put("nested", Map.of("k", List.of()));
        String text = Json.write(doc);
        assertEquals("{\"name\":\"x \\\"y\\\" \\\\ \\n\\t\\u0001 \u00e9 \uD83D\uDE00\",\"shape\":[1,2,3],\"ok\":true,"
                + "\"none\":null,\"half\":0.5,\"nested\":{\"k\":[]}}", text);
        Map<?, ?> back = (Map<?, ?>) Json.parse(text);
        assertEquals(doc.get("name"), back.get("name"));
        assertEquals(3, ((List<?>) back.get("shape")).size());
    }

    @Test
    void writesIndentedJsonThatParsesBackToTheSameValues() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("a", List.of(1, 2));
        doc.put("renders", List.of(Map.of("x", "y"), List.of()));
        doc.put("empty", Map.of());
        String text = Json.writeIndented(doc);
        assertEquals("{\n  \"a\": [1, 2],\n  \"renders\": [\n    {\n      \"x\": \"y\"\n    },\n    []\n  ],\n"
                + "  \"empty\": {}\n}\n", text);
        assertEquals(Json.parse(Json.write(doc)), Json.parse(text));
    }

    @Test
    void writerRefusesWhatJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Json.write("\uD800 alone"));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
    }
}
