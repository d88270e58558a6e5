package dev.kinema.graph;

import dev.kinema.KinemaException;

/**
 * A graph that cannot be built, planned, prepared or run as asked. The message names the node (or
 * the graph input or output), the op, the argument and the expected vs. actual value:
 * {@code "node 'proj' (linear): argument 'w': expected shape [N, 64] with K = x's last dimension, got [32, 48]"}.
 */
public final class GraphException extends KinemaException {
    private static final long serialVersionUID = 1L;

    private final String node;
    private final String op;
    private final String argument;

    /** A failure of node (running op) on one of its inputs or attributes. */
    public GraphException(String node, String op, String argument, String expected, String actual) {
        super(where(node, op) + ": argument '" + argument + "': expected " + expected + ", got " + actual);
        this.node = node;
        this.op = op;
        this.argument = argument;
    }

    /** An op's own rejection of node's call (its message kept whole), raised with the node's name. */
    public GraphException(String node, String op, String argument, RuntimeException cause) {
        super(where(node, op) + ": " + cause.getMessage(), cause);
        this.node = node;
        this.op = op;
        this.argument = argument;
    }

    private static String where(String node, String op) {
        return "node '" + node + "'" + (op == null ? "" : " (" + op + ")");
    }

    /** The node's name; for run() and builder checks of graph inputs and outputs, the input's or output's name. */
    public String node() {
        return node;
    }

    /** The op of the node, an OPS.md name or "view"; "input", "output" or "weight" for the graph's own names. */
    public String op() {
        return op;
    }

    /** The input, attribute or output the failure is about (as the op names it). */
    public String argument() {
        return argument;
    }
}
