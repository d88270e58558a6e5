package dev.kinema;

import dev.kinema.raw.kn_temporal_attention_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** temporal_attention (OPS.md): validation, then one native call. */
final class TemporalAttentionOp {
    static final String TEMPORAL_ATTENTION = "temporal_attention";
    private static final String DIMS = "[B,T,H,W,heads*D]";
    /** Frames beyond this would make rel_bias's length overflow int arithmetic in the kernels. */
    static final int MAX_TMAX = 1 << 20;

    private TemporalAttentionOp() {
    }

    /** y == null: allocate y; else write into y. Scale NaN means D**-0.5. */
    static Tensor run(Kinema runtime, Tensor q, Tensor k, Tensor v, Tensor relBias, int heads, double scale,
                      int window, boolean causal, int tmax, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(TEMPORAL_ATTENTION, runtime);
        check.input("q", q);
        check.rank("q", q, 5, DIMS);
        long[] shape = q.shape();
        String sameAsQ = DIMS + " (the shape of q)";
        check.input("k", k);
        check.dtype("k", k, q.dtype(), "q");
        check.shape("k", k, shape, sameAsQ);
        check.input("v", v);
        check.dtype("v", v, q.dtype(), "q");
        check.shape("v", v, shape, sameAsQ);
        long channels = q.dim(4);
        if (heads < 1 || channels % heads != 0 || channels / heads < 1) {
            throw check.fail("heads", ">= 1 dividing the channel count " + channels + " (q's last dimension)",
                    String.valueOf(heads));
        }
        double s = Double.isNaN(scale) ? 1.0 / Math.sqrt(channels / heads) : scale;
        if (!Double.isFinite(s)) {
            throw check.fail("scale", "a finite number", String.valueOf(scale));
        }
        if (window < 0) {
            throw check.fail("window", ">= 0 (0 = all frames)", String.valueOf(window));
        }
        long frames = q.dim(1);
        if (tmax < frames || tmax < 1 || tmax > MAX_TMAX) {
            throw check.fail("Tmax", "T (" + frames + ") <= Tmax <= " + MAX_TMAX + " and Tmax >= 1",
                    String.valueOf(tmax));
        }
        check.optional("rel_bias", relBias);
        check.dtype("rel_bias", relBias, q.dtype(), "q");
        check.shape("rel_bias", relBias, new long[] {heads, 2L * tmax - 1}, "[heads, 2*Tmax-1]");
        if (y != null) {
            check.input("y", y);
            check.dtype("y", y, q.dtype(), "q");
            check.shape("y", y, shape, sameAsQ);
            check.disjoint("y", y, "q", q);
            check.disjoint("y", y, "k", k);
            check.disjoint("y", y, "v", v);
            check.disjoint("y", y, "rel_bias", relBias);
        }
        Tensor out = y != null ? y : runtime.allocateUninitialized(TEMPORAL_ATTENTION, q.dtype(), shape);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_temporal_attention_params.allocate(arena);
            NativeCalls.describe(kn_temporal_attention_params.q(params), q);
            NativeCalls.describe(kn_temporal_attention_params.k(params), k);
            NativeCalls.describe(kn_temporal_attention_params.v(params), v);
            NativeCalls.describe(kn_temporal_attention_params.rel_bias(params), relBias);
            NativeCalls.describe(kn_temporal_attention_params.y(params), out);
            kn_temporal_attention_params.scale(params, s);
            kn_temporal_attention_params.heads(params, heads);
            kn_temporal_attention_params.window(params, window);
            kn_temporal_attention_params.causal(params, causal ? 1 : 0);
            kn_temporal_attention_params.Tmax(params, tmax);
            NativeCalls.run(runtime, NativeCalls.Entries.TEMPORAL_ATTENTION, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** Kinema.run's attributes: heads required; scale D**-0.5, window 0, causal false, Tmax T by default. */
    record NamedAttrs(int heads, double scale, int window, boolean causal, int tmax) {
        static NamedAttrs parse(java.util.Map<String, String> attributes) {
            String headsText = attributes.get("heads");
            if (headsText == null) {
                throw new InvalidArgumentException(TEMPORAL_ATTENTION, "heads", "an integer (required attribute)",
                        "nothing");
            }
            int heads = integer("heads", headsText);
            String scaleText = attributes.get("scale");
            double scale = Double.NaN;
            if (scaleText != null) {
                try {
                    scale = Double.parseDouble(scaleText.strip());
                } catch (NumberFormatException e) {
                    throw new InvalidArgumentException(TEMPORAL_ATTENTION, "scale", "a number", "'" + scaleText + "'");
                }
                if (!Double.isFinite(scale)) {
                    throw new InvalidArgumentException(TEMPORAL_ATTENTION, "scale", "a finite number", scaleText);
                }
            }
            int window = attributes.containsKey("window") ? integer("window", attributes.get("window")) : 0;
            boolean causal = false;
            String causalText = attributes.get("causal");
            if (causalText != null) {
                switch (causalText.strip().toLowerCase(java.util.Locale.ROOT)) {
                    case "1", "true" -> causal = true;
                    case "0", "false" -> causal = false;
                    default -> throw new InvalidArgumentException(TEMPORAL_ATTENTION, "causal",
                            "0, 1, true or false", "'" + causalText + "'");
                }
            }
            int tmax = attributes.containsKey("Tmax") ? integer("Tmax", attributes.get("Tmax")) : 0;
            return new NamedAttrs(heads, scale, window, causal, tmax);
        }

        private static int integer(String name, String text) {
            try {
                return Integer.parseInt(text.strip());
            } catch (NumberFormatException e) {
                throw new InvalidArgumentException(TEMPORAL_ATTENTION, name, "an integer", "'" + text + "'");
            }
        }
    }

    /** Kinema.run: Tmax defaults to T without rel_bias and is required with it. */
    static Tensor runNamed(Kinema runtime, java.util.Map<String, Tensor> on, NamedAttrs a, Tensor y) {
        Tensor q = on.get("q");
        Tensor relBias = on.get("rel_bias");
        int tmax = a.tmax();
        if (tmax == 0) {
            if (relBias != null) {
                throw new InvalidArgumentException(TEMPORAL_ATTENTION, "Tmax",
                        "an integer >= T (required when rel_bias is given)", "nothing");
            }
            tmax = q != null && q.rank() == 5 ? (int) Math.min(Integer.MAX_VALUE, Math.max(1, q.dim(1))) : 1;
        }
        return run(runtime, q, on.get("k"), on.get("v"), relBias, a.heads(), a.scale(), a.window(), a.causal(),
                tmax, y);
    }
}
