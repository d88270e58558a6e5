package dev.kinema.cli;

import dev.kinema.sampling.VideoSampler;

import java.io.PrintStream;

/**
 * A sampler progress bar on stderr: redrawn in place on a terminal ("label [#####-----] 12/25
 * 1.3 s, ETA 1.4 s"); elsewhere (CI logs) one line at each quarter, so logs stay short.
 */
final class ProgressBar implements VideoSampler.Progress {
    private static final int WIDTH = 24;
    private final PrintStream err;
    private final String label;
    private final boolean terminal;
    private int lastQuarter = -1;

    ProgressBar(PrintStream err, String label, boolean terminal) {
        this.err = err;
        this.label = label;
        this.terminal = terminal;
    }

    /** Whether stderr is an interactive terminal (where redrawing a line in place works). */
    static boolean stderrIsTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    @Override
    public void step(int done, int total, double seconds) {
        String line = line(done, total, seconds);
        if (terminal) {
            err.print("\r" + line + (done == total ? "\n" : ""));
            err.flush();
            return;
        }
        int quarter = done * 4 / total;
        if (quarter != lastQuarter) {
            lastQuarter = quarter;
            err.println(line);
        }
    }

    String line(int done, int total, double seconds) {
        int filled = done * WIDTH / total;
        double eta = done > 0 ? seconds / done * (total - done) : 0;
        return String.format("%s [%s%s] %d/%d %.1f s, ETA %.1f s", label, "#".repeat(filled), "-".repeat(WIDTH - filled),
                done, total, seconds, eta);
    }
}
