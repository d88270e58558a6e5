package dev.kinema.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The arguments of one command: {@code --name value} options, repeatable {@code --attr key=value},
 * {@code --flag} switches and positional words. Unknown options are refused.
 */
final class CommandLine {
    private final String command;
    private final Map<String, String> options = new LinkedHashMap<>();
    private final Map<String, String> attrs = new LinkedHashMap<>();
    private final List<String> flags = new ArrayList<>();
    private final List<String> positional = new ArrayList<>();

    /**
     * @param valued options that take a value (without "--"); "attr" is always repeatable
     * @param switches options without a value
     */
    CommandLine(String command, List<String> args, Set<String> valued, Set<String> switches) {
        this.command = command;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                positional.add(arg);
                continue;
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (switches.contains(name) && value == null) {
                flags.add(name);
                continue;
            }
            if (!valued.contains(name)) {
                throw new UsageException(command + ": unknown option --" + name + " (see 'kinema help " + command + "')");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException(command + ": option --" + name + " needs a value");
                }
                value = args.get(++i);
            }
            if (name.equals("attr")) {
                addAttr(value);
            } else if (options.putIfAbsent(name, value) != null) {
                throw new UsageException(command + ": option --" + name + " given twice");
            }
        }
    }

    private void addAttr(String pair) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
            throw new UsageException(command + ": --attr expects key=value, got '" + pair + "'");
        }
        String key = pair.substring(0, eq);
        if (attrs.putIfAbsent(key, pair.substring(eq + 1)) != null) {
            throw new UsageException(command + ": attribute '" + key + "' given twice");
        }
    }

    String option(String name) {
        return options.get(name);
    }

    String required(String name) {
        String v = options.get(name);
        if (v == null) {
            throw new UsageException(command + ": missing --" + name + " (see 'kinema help " + command + "')");
        }
        return v;
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    Map<String, String> attrs() {
        return attrs;
    }

    List<String> positional() {
        return positional;
    }

    /** The single positional word, or a usage error naming what it should have been. */
    String onlyPositional(String what) {
        if (positional.size() != 1) {
            throw new UsageException(command + ": expected one " + what + ", got "
                    + (positional.isEmpty() ? "none" : String.join(" ", positional)));
        }
        return positional.get(0);
    }

    void noPositional() {
        if (!positional.isEmpty()) {
            throw new UsageException(command + ": unexpected argument '" + positional.get(0) + "'");
        }
    }

    /** An optional non-negative integer option. */
    Integer integer(String name) {
        String v = options.get(name);
        if (v == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new UsageException(command + ": --" + name + " expects a non-negative integer, got '" + v + "'");
    }
}
