package dev.kinema;

import dev.kinema.raw.kn_attention_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/** attention (OPS.md): frame-aware softmax attention; validation, then one native call. */
final class FrameAttentionOp {
    static final String ATTENTION = "attention";
    private static final String Q_DIMS = "[B,T,Nq,heads,D]";
    /** Frame indices stay ints in every backend. */
    static final long MAX_FRAMES = 1L << 20;
    static final long MAX_DIM = 1L << 16;

    private FrameAttentionOp() {
    }

    /** y == null: allocate y; else write into y. Scale NaN means D**-0.5. */
    static Tensor run(Kinema runtime, Tensor q, Tensor k, Tensor v, KvFrames kvFrames, double scale, Tensor y) {
        runtime.ensureOpen();
        OpChecks check = new OpChecks(ATTENTION, runtime);
        if (kvFrames == null) {
            throw check.fail("kv_frames", "one of same, first, sparse_causal, all, context", "null");
        }
        check.input("q", q);
        check.rank("q", q, 5, Q_DIMS);
        long[] shape = q.shape();
        long batch = shape[0], frames = shape[1], heads = shape[3], dim = shape[4];
        if (frames > MAX_FRAMES) {
            throw check.fail("q", "T <= " + MAX_FRAMES + " frames", Shapes.format(shape));
        }
        if (dim > MAX_DIM) {
            throw check.fail("q", "D <= " + MAX_DIM + " per head", Shapes.format(shape));
        }
        boolean context = kvFrames == KvFrames.CONTEXT;
        check.input("k", k);
        check.dtype("k", k, q.dtype(), "q");
        check.rank("k", k, context ? 4 : 5, context ? "[B,L,heads,D]" : "[B,Tk,Nk,heads,D]");
        long[] ks = k.shape();
        long tk = context ? 1 : ks[1], keys = context ? ks[1] : ks[2];
        boolean sameFrames = kvFrames == KvFrames.SAME || kvFrames == KvFrames.SPARSE_CAUSAL;
        boolean framesOk = context || (sameFrames ? tk == frames : tk >= 1 && tk <= MAX_FRAMES);
        if (ks[0] != batch || ks[ks.length - 2] != heads || ks[ks.length - 1] != dim || keys < 1 || !framesOk) {
            String want = context ? "shape [" + batch + ", L, " + heads + ", " + dim + "] with L >= 1"
                    : sameFrames ? "shape [" + batch + ", " + frames + ", Nk, " + heads + ", " + dim
                            + "] with Tk = T and Nk >= 1"
                            : "shape [" + batch + ", Tk, Nk, " + heads + ", " + dim + "] with 1 <= Tk <= "
                            + MAX_FRAMES + " and Nk >= 1";
            throw check.fail("k", want + " (kv_frames " + kvFrames.id() + ")", Shapes.format(ks));
        }
        check.input("v", v);
        check.dtype("v", v, q.dtype(), "q");
        check.shape("v", v, ks, "(the shape of k)");
        double s = Double.isNaN(scale) ? 1.0 / Math.sqrt(dim) : scale;
        if (!Double.isFinite(s)) {
            throw check.fail("scale", "a finite number", String.valueOf(scale));
        }
        if (y != null) {
            check.input("y", y);
            check.dtype("y", y, q.dtype(), "q");
            check.shape("y", y, shape, Q_DIMS + " (the shape of q)");
            check.disjoint("y", y, "q", q);
            check.disjoint("y", y, "k", k);
            check.disjoint("y", y, "v", v);
        }
        Tensor out = y != null ? y : runtime.allocateUninitialized(ATTENTION, q.dtype(), shape);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = kn_attention_params.allocate(arena);
            NativeCalls.describe(kn_attention_params.q(params), q);
            NativeCalls.describe(kn_attention_params.k(params), k);
            NativeCalls.describe(kn_attention_params.v(params), v);
            NativeCalls.describe(kn_attention_params.y(params), out);
            kn_attention_params.scale(params, s);
            kn_attention_params.kv_frames(params, kvFrames.code());
            NativeCalls.run(runtime, NativeCalls.Entries.ATTENTION, params);
        } catch (RuntimeException e) {
            ConvOps.closeIfAllocated(out, y);
            throw e;
        }
        return out;
    }

    /** Kinema.run's attributes: scale (default D**-0.5), kv_frames (default same). */
    record NamedAttrs(double scale, KvFrames kvFrames) {
        static NamedAttrs parse(Map<String, String> attributes) {
            String scaleText = attributes.get("scale");
            double scale = Double.NaN;
            if (scaleText != null) {
                try {
                    scale = Double.parseDouble(scaleText.strip());
                } catch (NumberFormatException e) {
                    throw new InvalidArgumentException(ATTENTION, "scale", "a number", "'" + scaleText + "'");
                }
                if (!Double.isFinite(scale)) {
                    throw new InvalidArgumentException(ATTENTION, "scale", "a finite number", scaleText);
                }
            }
            String frames = attributes.get("kv_frames");
            return new NamedAttrs(scale, frames == null ? KvFrames.SAME : KvFrames.parse(frames));
        }
    }

    /** Kinema.run's call on tensors of the runtime; y null: allocate it. */
    static Tensor runNamed(Kinema runtime, Map<String, Tensor> on, NamedAttrs a, Tensor y) {
        return run(runtime, on.get("q"), on.get("k"), on.get("v"), a.kvFrames(), a.scale(), y);
    }
}
