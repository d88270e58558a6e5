package dev.kinema;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much host memory a request may still take: the kernel's MemAvailable (Linux), capped by the
 * system property {@value #LIMIT_PROPERTY} (bytes, with an optional k/m/g suffix) for services that
 * give Kinema a share of the machine. Requests are checked against it before they allocate, so an
 * oversized one fails with its estimate and this limit instead of swapping or being killed.
 */
public final class MemoryBudget {
    public static final String LIMIT_PROPERTY = "kinema.memory.limit";

    private MemoryBudget() {
    }

    /** Bytes available now, or Long.MAX_VALUE when neither /proc/meminfo nor a limit says. */
    public static long availableBytes() {
        return Math.min(memAvailable(), limit());
    }

    /** Where availableBytes comes from, for error messages. */
    public static String describe() {
        long limit = limit(), available = memAvailable();
        if (limit != Long.MAX_VALUE && limit <= available) {
            return LIMIT_PROPERTY + " = " + mib(limit);
        }
        return available == Long.MAX_VALUE ? "no limit known" : "MemAvailable " + mib(available);
    }

    /** Throws MemoryLimitException when what needs more than is available. */
    public static void require(String what, long bytes, String breakdown) {
        long available = availableBytes();
        if (bytes > available) {
            throw new MemoryLimitException(what + ": needs about " + mib(bytes) + " (" + breakdown + "), more than the "
                    + mib(available) + " available (" + describe() + ")", bytes);
        }
    }

    public static String mib(long bytes) {
        return bytes == Long.MAX_VALUE ? "unlimited" : String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static long limit() {
        String v = System.getProperty(LIMIT_PROPERTY);
        if (v == null || v.isBlank()) {
            return Long.MAX_VALUE;
        }
        String s = v.strip().toLowerCase(java.util.Locale.ROOT);
        long scale = switch (s.charAt(s.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        try {
            long n = Long.parseLong(scale == 1 ? s : s.substring(0, s.length() - 1));
            if (n < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyHigh(n, scale) != 0 ? Long.MAX_VALUE : n * scale;
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("MemoryBudget", LIMIT_PROPERTY, "a byte count such as 2147483648 or 2g",
                    "\"" + v + "\"");
        }
    }

    private static long memAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or no /proc: only the property limits
        }
        return Long.MAX_VALUE;
    }
}
