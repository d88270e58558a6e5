package dev.kinema;

/**
 * A bad argument, rejected in Java before any native code runs. The message reads
 * {@code "OP: argument 'ARG': expected EXPECTED, got ACTUAL"}.
 */
public class InvalidArgumentException extends KinemaException {
    private static final long serialVersionUID = 1L;

    private final String op;
    private final String argument;

    public InvalidArgumentException(String op, String argument, String expected, String actual) {
        super(op + ": argument '" + argument + "': expected " + expected + ", got " + actual);
        this.op = op;
        this.argument = argument;
    }

    /** The op or method that rejected the argument, e.g. {@code conv_spatial} or {@code Kinema.allocate}. */
    public String op() {
        return op;
    }

    /** The argument's name as the op names it, e.g. {@code x}, {@code residual}, {@code alpha_t}. */
    public String argument() {
        return argument;
    }
}
