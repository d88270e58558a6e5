package dev.kinema.cli;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.KinemaException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The {@code ./kinema} command line. Exit codes: 0 success, 1 a check failed (results outside
 * tolerance), 2 the request could not be carried out (usage, input file, argument, backend), 3 an
 * internal error; for 2 and 3 the reason is one line on stderr.
 */
public final class Main {
    static final int OK = 0;
    static final int CHECK_FAILED = 1;
    static final int USAGE = 2;
    static final int INTERNAL = 3;

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command and returns its exit code; never calls System.exit. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(Usage.overview());
            return USAGE;
        }
        String command = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        try {
            return switch (command) {
                case "render" -> new RenderCommand(rest, out, err).run();
                case "op" -> new OpCommand(rest, out).run();
                case "forward" -> new ForwardCommand(rest, out).run();
                case "convert" -> new ConvertCommand(rest, out).run();
                case "demo" -> new DemoCommand(rest, out).run();
                case "backends" -> backends(rest, out);
                case "version", "--version" -> version(rest, out);
                case "help", "--help", "-h" -> help(rest, out);
                default -> {
                    err.println("kinema: unknown command '" + command + "'");
                    err.print(Usage.overview());
                    yield USAGE;
                }
            };
        } catch (UsageException e) {
            err.println("kinema " + oneLine(e.getMessage())); // already starts with the command
            return USAGE;
        } catch (KinemaException e) {
            err.println("kinema " + command + ": " + oneLine(e.getMessage()));
            return USAGE;
        } catch (RuntimeException | LinkageError e) {
            // Unexpected: still one line, with the type to make a bug report useful.
            err.println("kinema " + command + ": internal error: " + e.getClass().getName() + ": " + oneLine(e.getMessage()));
            return INTERNAL;
        }
    }

    static String oneLine(String message) {
        return message == null ? "(no message)" : message.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** Parses a --backend value. */
    static Backend parseBackend(String command, String id) {
        for (Backend b : Backend.values()) {
            if (b.id().equals(id)) {
                return b;
            }
        }
        throw new UsageException(command + ": --backend expects one of auto, cpu, cuda, cuda-emu, got '" + id + "'");
    }

    private static int backends(List<String> args, PrintStream out) {
        new CommandLine("backends", args, Set.of(), Set.of()).noPositional();
        Map<Backend, String> probe = Kinema.probe();
        for (Backend b : Backend.values()) {
            if (b == Backend.AUTO) {
                continue;
            }
            String reason = probe.get(b);
            out.printf("%-9s %s%n", b.id(), reason == null ? "available" : "unavailable: " + oneLine(reason));
        }
        return OK;
    }

    private static int version(List<String> args, PrintStream out) {
        new CommandLine("version", args, Set.of(), Set.of()).noPositional();
        out.println("kinema " + versionString());
        return OK;
    }

    /** The artifact version from the jar's Maven metadata; absent when run from a build folder. */
    static String versionString() {
        try (InputStream in = Main.class.getResourceAsStream("/META-INF/maven/dev.kinema/kinema/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null) {
                    return v;
                }
            }
        } catch (IOException ignored) {
            // fall through to the package version
        }
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "(development build, version unknown)";
    }

    private static int help(List<String> args, PrintStream out) {
        if (args.isEmpty()) {
            out.print(Usage.overview());
            return OK;
        }
        if (args.size() > 1) {
            throw new UsageException("help: expected at most one command, got " + String.join(" ", args));
        }
        String text = Usage.of(args.get(0));
        if (text == null) {
            throw new UsageException("help: unknown command '" + args.get(0) + "' (commands: " + Usage.COMMANDS + ")");
        }
        out.print(text);
        return OK;
    }
}
