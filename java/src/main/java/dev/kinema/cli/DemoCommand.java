package dev.kinema.cli;

import dev.kinema.Backend;
import dev.kinema.Kinema;
import dev.kinema.KinemaException;
import dev.kinema.Tensor;
import dev.kinema.ref.OpCase;
import dev.kinema.ref.RandomCases;
import dev.kinema.ref.ReferenceOps;
import dev.kinema.ref.Tolerance;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kinema demo}: every op at a few seeded shapes on every available backend, checked against
 * {@link ReferenceOps} and against the first backend. Shapes are small so that cuda-emu, which runs
 * each CUDA thread as a fiber, finishes in seconds.
 */
final class DemoCommand {
    private static final long SEED = 20240611L;

    private final CommandLine line;
    private final PrintStream out;
    private int checks;
    private int failures;

    DemoCommand(List<String> args, PrintStream out) {
        this.line = new CommandLine("demo", args, Set.of("backend"), Set.of());
        this.out = out;
    }

    static List<OpCase> cases() {
        return List.of(
                RandomCases.convSpatial(SEED, new long[] {1, 2, 9, 7, 16}, 24, 3, 1, true, false),
                RandomCases.convSpatial(SEED + 1, new long[] {1, 1, 9, 9, 8}, 16, 3, 2, true, true),
                RandomCases.convSpatial(SEED + 2, new long[] {2, 2, 5, 5, 32}, 16, 1, 1, false, true),
                RandomCases.convTemporal(SEED + 3, new long[] {1, 5, 4, 3, 16}, 16, true, true),
                RandomCases.convTemporal(SEED + 4, new long[] {1, 1, 3, 3, 8}, 5, true, false),
                RandomCases.convSpatial(SEED + 8, new long[] {1, 4, 32, 32, 64}, 64, 3, 1, true, true),
                RandomCases.convTemporal(SEED + 9, new long[] {1, 8, 16, 16, 64}, 64, true, false),
                RandomCases.ddimStep(SEED + 5, new long[] {1, 4, 16, 16, 4}, "eps", 7.5, 0, 0, false, 0.8, 0.6),
                RandomCases.ddimStep(SEED + 6, new long[] {1, 4, 16, 16, 4}, "v", 5.0, 1.0, 0, true, 0.7, 0.4),
                RandomCases.ddimStep(SEED + 7, new long[] {2, 3, 8, 8, 4}, "x0", null, 0.5, 1.0, true, 0.5, 0.3));
    }

    int run() {
        line.noPositional();
        String only = line.option("backend");
        if (only != null) {
            Backend chosen = Main.parseBackend("demo", only);
            if (chosen == Backend.AUTO) {
                throw new UsageException("demo: --backend expects a concrete backend (cpu, cuda, cuda-emu), got 'auto'");
            }
        }
        List<Backend> backends = new ArrayList<>();
        Map<Backend, String> probe = Kinema.probe();
        for (Backend b : Backend.values()) {
            if (b == Backend.AUTO || (only != null && !b.id().equals(only))) {
                continue;
            }
            String reason = probe.get(b);
            if (reason == null) {
                backends.add(b);
            } else {
                out.println("skipped " + b.id() + ": " + Main.oneLine(reason));
            }
        }
        if (backends.isEmpty()) {
            throw new UsageException("demo: no backend available to run");
        }
        out.printf("%-13s %-46s %-9s %-7s %-10s %-9s %-20s %s%n", "op", "case", "backend", "output", "max|err|", "bound", "agreement", "result");
        long start = System.nanoTime();
        for (OpCase c : cases()) {
            try (c) {
                runCase(c, backends);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        List<String> ids = backends.stream().map(Backend::id).toList();
        if (failures == 0) {
            out.printf("demo: all %d checks within tolerance on %s (%.1f s)%n", checks, String.join(", ", ids), seconds);
            return Main.OK;
        }
        out.printf("demo: %d of %d checks FAILED on %s (%.1f s)%n", failures, checks, String.join(", ", ids), seconds);
        return Main.CHECK_FAILED;
    }

    private void runCase(OpCase c, List<Backend> backends) {
        Map<String, float[]> reference = new LinkedHashMap<>();
        Map<String, Tensor> ref = ReferenceOps.run(c.op(), c.inputs(), c.attrs());
        ref.forEach((name, t) -> {
            reference.put(name, t.toFloats());
            t.close();
        });
        Map<String, float[]> first = null;
        Backend firstBackend = null;
        for (Backend b : backends) {
            Map<String, float[]> got;
            try {
                got = runOn(b, c);
            } catch (KinemaException e) {
                checks++;
                failures++;
                out.printf("%-13s %-46s %-9s FAILED: %s%n", c.op(), c.name(), b.id(), Main.oneLine(e.getMessage()));
                continue;
            }
            for (Map.Entry<String, float[]> e : reference.entrySet()) {
                float[] actual = got.get(e.getKey());
                Tolerance.Comparison vsRef = actual == null ? null : Tolerance.compare(actual, e.getValue());
                String vsFirst = "";
                boolean agrees = true;
                if (first != null && actual != null) {
                    Tolerance.Comparison agreement = Tolerance.compare(actual, first.get(e.getKey()));
                    agrees = agreement.passed();
                    vsFirst = String.format("%s %.2e", firstBackend.id(), agreement.maxAbsError());
                }
                boolean passed = vsRef != null && vsRef.passed() && agrees;
                checks++;
                if (!passed) {
                    failures++;
                }
                out.printf("%-13s %-46s %-9s %-7s %-10s %-9s %-20s %s%n", c.op(), c.name(), b.id(), e.getKey(),
                        vsRef == null ? "missing" : String.format("%.2e", vsRef.maxAbsError()),
                        vsRef == null ? "" : String.format("%.1e", vsRef.bound()), vsFirst, passed ? "ok" : "FAILED");
            }
            if (first == null) {
                first = got;
                firstBackend = b;
            }
        }
    }

    private static Map<String, float[]> runOn(Backend b, OpCase c) {
        try (Kinema rt = Kinema.open(b)) {
            Map<String, Tensor> device = new LinkedHashMap<>();
            c.inputs().forEach((name, t) -> device.put(name, rt.upload(t)));
            Map<String, float[]> got = new LinkedHashMap<>();
            rt.run(c.op(), device, c.attrs()).forEach((name, t) -> got.put(name, t.toFloats()));
            return got;
        }
    }
}
