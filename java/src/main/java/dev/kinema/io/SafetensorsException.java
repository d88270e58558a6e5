package dev.kinema.io;

import dev.kinema.KinemaException;
import java.nio.file.Path;

/**
 * A safetensors file that cannot be read or written: malformed or hostile header, unsupported
 * dtype, I/O failure, or an existing file that was not to be overwritten. The message names the
 * file and, where they apply, the tensor and the header field.
 */
public class SafetensorsException extends KinemaException {
    private final transient Path file; // Path is not serializable
    private final String tensor;
    private final String field;

    /**
     * @param tensor the tensor concerned, or null for the file as a whole
     * @param field  the header field concerned (e.g. "dtype", "data_offsets", "header length"), or null
     */
    public SafetensorsException(Path file, String tensor, String field, String problem) {
        super(describe(file, tensor, field, problem));
        this.file = file;
        this.tensor = tensor;
        this.field = field;
    }

    public SafetensorsException(Path file, String tensor, String field, String problem, Throwable cause) {
        super(describe(file, tensor, field, problem), cause);
        this.file = file;
        this.tensor = tensor;
        this.field = field;
    }

    public Path file() {
        return file;
    }

    /** The tensor concerned, or null when the problem is not about one tensor. */
    public String tensor() {
        return tensor;
    }

    /** The header field concerned, or null. */
    public String field() {
        return field;
    }

    private static String describe(Path file, String tensor, String field, String problem) {
        StringBuilder sb = new StringBuilder().append(file);
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        if (field != null) {
            sb.append(": field '").append(field).append('\'');
        }
        return sb.append(": ").append(problem).toString();
    }
}
