package dev.kinema.bench.peers;

import dev.kinema.io.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The worker side of the peer comparison's protocol, for the Java workers (Kinema, ONNX Runtime);
 * benchmarks/peers/torch_worker.py speaks it in Python. The orchestrator ({@link PeersBench}) starts one
 * worker process per system and workload, so each has its own peak resident set, and drives them in
 * turn over stdin. Every command gets exactly one JSON line on stdout; logs go to stderr.
 *
 * <pre>
 *   step           one forward on the standard inputs      {"s": seconds}
 *   render         one whole regression render             {"s": seconds, "steps": n, ...}
 *   dump PATH      one forward, output as raw f32 NCTHW    {"ok": true}
 *   allocs N       N forwards, what each allocated         {"java_bytes": [..], "malloc_calls": [..] (-1: not counted),
 *                                                          "thread_malloc_calls": [..] (the stepping thread's),
 *                                                          "kinema_malloc_calls": [..] (of those, from libkinema/libgomp),
 *                                                          "malloc_delta": [..], "minor_faults": [..]}
 *   warm SECONDS   forwards until SECONDS have passed      {"steps": n}
 *   trace_step     one forward, a backtrace of each allocation on stderr (with alloc_count preloaded)
 *   memory         peak and current resident set           {"hwm_mb": x, "rss_mb": y}
 *   reset_peak     peak resident set := current            {"ok": true}
 *   quit
 * </pre>
 */
final class WorkerLoop {
    /** What a worker runs. */
    interface Model {
        /** One forward on the workload's standard inputs; returns when the output is complete. */
        void step();

        /** The last step's output, NCTHW. */
        float[] output();

        /** One whole render of the workload's regression prompt; extra fields for the reply (may be empty). */
        Map<String, Object> render();
    }

    private WorkerLoop() {
    }

    /** Announces readiness, then serves commands until quit or end of input. */
    static void serve(String system, String version, double loadSeconds, Model model) throws IOException {
        PrintStream out = System.out;
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("ready", true);
        ready.put("system", system);
        ready.put("version", version);
        ready.put("load_s", loadSeconds);
        reply(out, ready);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        ProcessMemory memory = new ProcessMemory();
        for (String line; (line = in.readLine()) != null; ) {
            String[] words = line.strip().split("\\s+", 2);
            try {
                switch (words[0]) {
                    case "step" -> {
                        long start = System.nanoTime();
                        model.step();
                        reply(out, Map.of("s", (System.nanoTime() - start) / 1e9));
                    }
                    case "render" -> {
                        long start = System.nanoTime();
                        Map<String, Object> extra = model.render();
                        Map<String, Object> r = new LinkedHashMap<>();
                        r.put("s", (System.nanoTime() - start) / 1e9);
                        r.putAll(extra);
                        reply(out, r);
                    }
                    case "dump" -> {
                        model.step();
                        writeFloats(Path.of(words[1]), model.output());
                        reply(out, Map.of("ok", true));
                    }
                    case "allocs" -> reply(out, allocations(model, memory, Integer.parseInt(words[1])));
                    case "warm" -> {
                        long end = System.nanoTime() + (long) (Double.parseDouble(words[1]) * 1e9);
                        int steps = 0;
                        do {
                            model.step();
                            steps++;
                        } while (System.nanoTime() < end);
                        reply(out, Map.of("steps", steps));
                    }
                    case "trace_step" -> {
                        boolean traced = memory.traceAllocations(true);
                        model.step();
                        memory.traceAllocations(false);
                        reply(out, Map.of("ok", traced));
                    }
                    case "memory" -> reply(out, Map.of("hwm_mb", ProcessMemory.peakRssMib(), "rss_mb", ProcessMemory.rssMib()));
                    case "reset_peak" -> {
                        ProcessMemory.resetPeak();
                        reply(out, Map.of("ok", true));
                    }
                    case "quit" -> {
                        return;
                    }
                    default -> reply(out, Map.of("error", "unknown command '" + words[0] + "'"));
                }
            } catch (RuntimeException | IOException e) {
                e.printStackTrace();
                reply(out, Map.of("error", String.valueOf(e)));
            }
        }
    }

    /**
     * Runs n steps and records, per step, the Java heap bytes this thread allocated during the step
     * itself, the process's malloc-family calls (when counted), the change of malloc bytes in use and
     * the process's minor page faults. The native counters are read through preallocated memory; the
     * process-wide ones also see the JVM's own threads (the JIT compiler, GC).
     */
    private static Map<String, Object> allocations(Model model, ProcessMemory memory, int n) {
        // each counter read once first, so linking their downcalls is not counted in the first step
        memory.allocationCount();
        memory.threadAllocationCount();
        memory.minorFaults();
        memory.mallocBytesInUse();
        memory.threadAllocatedBytes();
        memory.kinemaAllocationCount();
        long[] javaBytes = new long[n], mallocDelta = new long[n], faults = new long[n], mallocs = new long[n],
                threadMallocs = new long[n], kinemaMallocs = new long[n];
        boolean classified = memory.classifyAllocations(true);
        for (int i = 0; i < n; i++) {
            long k0 = memory.kinemaAllocationCount();
            long c0 = memory.allocationCount();
            long t0 = memory.threadAllocationCount();
            long f0 = memory.minorFaults();
            long m0 = memory.mallocBytesInUse();
            long j0 = memory.threadAllocatedBytes();
            model.step();
            long j1 = memory.threadAllocatedBytes();
            long t1 = memory.threadAllocationCount();
            long k1 = memory.kinemaAllocationCount();
            long m1 = memory.mallocBytesInUse();
            long f1 = memory.minorFaults();
            long c1 = memory.allocationCount();
            mallocs[i] = c0 < 0 ? -1 : c1 - c0;
            threadMallocs[i] = t0 < 0 ? -1 : t1 - t0;
            kinemaMallocs[i] = classified ? k1 - k0 : -1;
            javaBytes[i] = j1 - j0;
            mallocDelta[i] = m1 - m0;
            faults[i] = f1 - f0;
        }
        memory.classifyAllocations(false);
        return Map.of("java_bytes", list(javaBytes), "malloc_delta", list(mallocDelta), "minor_faults", list(faults),
                "malloc_calls", list(mallocs), "thread_malloc_calls", list(threadMallocs),
                "kinema_malloc_calls", list(kinemaMallocs));
    }

    static List<Long> list(long[] values) {
        List<Long> l = new ArrayList<>(values.length);
        for (long v : values) {
            l.add(v);
        }
        return l;
    }

    private static void reply(PrintStream out, Map<String, Object> message) {
        out.println(Json.write(message));
        out.flush();
    }

    private static void writeFloats(Path path, float[] values) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        Files.write(path, bytes.array());
    }
}
