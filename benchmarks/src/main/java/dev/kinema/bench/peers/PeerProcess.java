package dev.kinema.bench.peers;

import dev.kinema.io.Json;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One worker process of the peer comparison (see {@link WorkerLoop} for the protocol): started with its
 * stderr in a log file, it answers each command with one JSON line. A worker that exits or answers with
 * an error becomes an IOException carrying the end of its log.
 */
final class PeerProcess implements AutoCloseable {
    private final String system;
    private final Process process;
    private final BufferedReader replies;
    private final BufferedWriter commands;
    private final Path log;
    private final Map<String, Object> ready;

    PeerProcess(String system, List<String> command, Map<String, String> environment, Path log) throws IOException {
        this.system = system;
        this.log = log;
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        builder.environment().putAll(environment);
        process = builder.start();
        replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        commands = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        ready = read("start");
    }

    String system() {
        return system;
    }

    /** The worker's first line: {"ready": true, "system": .., "version": .., "load_s": ..}. */
    Map<String, Object> ready() {
        return ready;
    }

    /** Sends one command and returns its reply. */
    Map<String, Object> call(String command) throws IOException {
        commands.write(command);
        commands.newLine();
        commands.flush();
        return read(command);
    }

    /** A number field of a reply. */
    static double number(Map<String, Object> reply, String field) {
        return ((Number) reply.get(field)).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> read(String command) throws IOException {
        String line = replies.readLine();
        if (line == null) {
            throw new IOException(system + " worker exited during '" + command + "'" + logTail());
        }
        Object parsed;
        try {
            parsed = Json.parse(line);
        } catch (RuntimeException e) {
            throw new IOException(system + " worker answered '" + command + "' with '" + line + "'" + logTail());
        }
        Map<String, Object> reply = (Map<String, Object>) parsed;
        if (reply.containsKey("error")) {
            throw new IOException(system + " worker failed '" + command + "': " + reply.get("error") + logTail());
        }
        return reply;
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return "; the end of its log (" + log + "):\n  "
                    + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 12), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            commands.write("quit");
            commands.newLine();
            commands.flush();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
