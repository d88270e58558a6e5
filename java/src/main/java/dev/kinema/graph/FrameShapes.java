package dev.kinema.graph;

/** Output shapes of the attention, resample and embedding ops (see {@link ShapeInference}). */
final class FrameShapes {
    private FrameShapes() {
    }

    static long[] attention(NodeCheck c) {
        long[] q = ShapeInference.video(c, "q", "[B,T,Nq,heads,D]");
        String frames = c.text("kv_frames", "same");
        if (!java.util.List.of("same", "first", "sparse_causal", "all", "context").contains(frames)) {
            throw c.fail("kv_frames", "one of same, first, sparse_causal, all, context", "'" + frames + "'");
        }
        boolean context = frames.equals("context");
        c.rank("k", context ? 4 : 5, context ? "[B,L,heads,D]" : "[B,Tk,Nk,heads,D]");
        long[] k = c.shape("k");
        long tk = context ? 1 : k[1];
        long keys = context ? k[1] : k[2];
        boolean sameFrames = frames.equals("same") || frames.equals("sparse_causal");
        boolean framesOk = context || (sameFrames ? tk == q[1] : tk >= 1);
        if (k[0] != q[0] || k[k.length - 2] != q[3] || k[k.length - 1] != q[4] || keys < 1 || !framesOk) {
            String want = context ? "shape [" + q[0] + ", L, " + q[3] + ", " + q[4] + "] with L >= 1"
                    : "shape [" + q[0] + ", " + (sameFrames ? q[1] : "Tk") + ", Nk, " + q[3] + ", " + q[4]
                    + "] with Nk >= 1" + (sameFrames ? "" : " and Tk >= 1");
            throw c.fail("k", want + " (kv_frames " + frames + ")", NodeCheck.dims(k));
        }
        c.shape("v", k, "(the shape of k)");
        c.number("scale", 1);
        return q.clone();
    }

    static long[] temporalAttention(NodeCheck c) {
        long[] q = ShapeInference.video(c, "q", "[B,T,H,W,heads*D]");
        c.shape("k", q, "(the shape of q)");
        c.shape("v", q, "(the shape of q)");
        long heads = c.integer("heads", null);
        if (heads < 1 || q[4] % heads != 0) {
            throw c.fail("heads", ">= 1 dividing the channel count " + q[4] + " (q's last dimension)", Long.toString(heads));
        }
        if (c.integer("window", 0L) < 0) {
            throw c.fail("window", ">= 0 (0 = all frames)", c.text("window", "0"));
        }
        c.flag("causal");
        c.number("scale", 1);
        Long tmaxDefault = c.value("rel_bias") == null ? Math.max(1, q[1]) : null;
        long tmax = c.integer("Tmax", tmaxDefault);
        if (tmax < q[1] || tmax < 1) {
            throw c.fail("Tmax", "an integer >= T (" + q[1] + ") and >= 1", Long.toString(tmax));
        }
        c.shape("rel_bias", new long[] {heads, 2 * tmax - 1}, "[heads, 2*Tmax-1]");
        return q.clone();
    }

    static long[] timestepEmbedding(NodeCheck c) {
        c.rank("t", 1, "[B]");
        long dim = c.integer("dim", null);
        if (dim < 2 || dim % 2 != 0) {
            throw c.fail("dim", "an even number >= 2", Long.toString(dim));
        }
        c.flag("flip_sin_to_cos");
        c.number("downscale_freq_shift", 1);
        c.number("max_period", 10000);
        return new long[] {c.shape("t")[0], dim};
    }

    static long[] resample(NodeCheck c) {
        if (c.op.equals("upsample_nearest")) {
            long[] x = ShapeInference.video(c, "x", "[B,T,H,W,C]");
            return new long[] {x[0], x[1], 2 * x[2], 2 * x[3], x[4]};
        }
        long p = c.integer("p", null);
        if (p < 1) {
            throw c.fail("p", "a patch size >= 1", Long.toString(p));
        }
        if (c.op.equals("patchify")) {
            long[] x = ShapeInference.video(c, "x", "[B,T,H,W,C]");
            checkDivides(c, p, x[2], x[3], "x");
            return new long[] {x[0], x[1], (x[2] / p) * (x[3] / p), p * p * x[4]};
        }
        c.rank("x", 4, "[B,T,N,p*p*C]");
        long[] x = c.shape("x");
        long h = c.integer("H", null);
        long w = c.integer("W", null);
        if (h < 0 || w < 0) {
            throw c.fail(h < 0 ? "H" : "W", "a size >= 0", Long.toString(Math.min(h, w)));
        }
        checkDivides(c, p, h, w, "the image");
        if (x[3] % (p * p) != 0) {
            throw c.fail("x", "a last dim divisible by p*p = " + p * p + " (it is p*p*C)", NodeCheck.dims(x));
        }
        c.shape("x", new long[] {x[0], x[1], (h / p) * (w / p), x[3]},
                "([B,T,(H/p)*(W/p),p*p*C] for H=" + h + ", W=" + w + ", p=" + p + ")");
        return new long[] {x[0], x[1], h, w, x[3] / (p * p)};
    }

    private static void checkDivides(NodeCheck c, long p, long h, long w, String image) {
        if (h % p != 0 || w % p != 0) {
            throw c.fail("p", "a divisor of " + image + "'s H and W (" + h + ", " + w + ")", Long.toString(p));
        }
    }
}
