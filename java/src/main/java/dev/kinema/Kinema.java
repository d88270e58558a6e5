package dev.kinema;

import dev.kinema.internal.NativeLibrary;
import dev.kinema.raw.kinema_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A runtime: one backend bound to one device, owning the device tensors allocated through it.
 * Ops validate their arguments in Java before any native code runs and allocate their outputs
 * on this runtime. Closing the runtime frees every tensor it still owns.
 */
public final class Kinema implements AutoCloseable {
    /** Overrides what {@link Backend#AUTO} resolves to: cpu, cuda or cuda-emu. */
    public static final String BACKEND_PROPERTY = "kinema.backend";

    private final Backend backend;
    private final int device;
    private final MemorySegment context;
    private final Set<Tensor> owned = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private Kinema(Backend backend, int device, MemorySegment context) {
        this.backend = backend;
        this.device = device;
        this.context = context;
    }

    /** Opens device 0 of backend; AUTO picks cuda when a device exists, else cpu. */
    public static Kinema open(Backend backend) {
        return open(backend, 0);
    }

    public static Kinema open(Backend backend, int device) {
        if (backend == null) {
            throw new InvalidArgumentException("Kinema.open", "backend", "one of auto, cpu, cuda, cuda-emu", "null");
        }
        if (device < 0) {
            throw new InvalidArgumentException("Kinema.open", "device", ">= 0", Integer.toString(device));
        }
        NativeLibrary.load();
        Backend resolved = BackendSelection.resolve(backend);
        int devices = BackendSelection.deviceCount(resolved);
        if (device >= devices) {
            throw new InvalidArgumentException("Kinema.open", "device",
                    "< " + devices + " (the devices of " + resolved.id() + ")", Integer.toString(device));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(kinema_h.C_POINTER);
            int status = kinema_h.kn_context_create(resolved.nativeKind(), device, out);
            if (status == kinema_h.KN_ERR_UNAVAILABLE()) {
                String reason = NativeCalls.lastError();
                throw new BackendUnavailableException(reason.isEmpty()
                        ? "kn_context_create: backend " + resolved.id() + " is unavailable" : reason);
            }
            NativeCalls.check("kn_context_create", status);
            MemorySegment context = MemorySegment.ofAddress(out.get(kinema_h.C_POINTER, 0).address());
            return new Kinema(resolved, device, context);
        }
    }

    /** Every concrete backend mapped to null when usable here, else to the reason it is not. */
    public static Map<Backend, String> probe() {
        NativeLibrary.load();
        return BackendSelection.probe();
    }

    /** The resolved backend, never AUTO. */
    public Backend backend() {
        return backend;
    }

    public int device() {
        return device;
    }

    /** Host threads this runtime may use (cpu kernels, emulated blocks); 0 = all cores. */
    public void setNumThreads(int threads) {
        ensureOpen();
        if (threads < 0) {
            throw new InvalidArgumentException("Kinema.setNumThreads", "threads", ">= 0 (0 = all cores)", Integer.toString(threads));
        }
        NativeCalls.check("kn_context_set_num_threads", kinema_h.kn_context_set_num_threads(context, threads));
    }

    /** A zero-filled device tensor. */
    public Tensor allocate(DType dtype, long... shape) {
        Tensor tensor = allocateUninitialized("Kinema.allocate", dtype, shape);
        if (tensor.byteSize() > 0) {
            try {
                NativeCalls.check("kn_memset", kinema_h.kn_memset(context, tensor.address(), 0, tensor.byteSize(), MemorySegment.NULL));
            } catch (RuntimeException e) {
                tensor.close();
                throw e;
            }
        }
        return tensor;
    }

    Tensor allocateUninitialized(String op, DType dtype, long[] shape) {
        ensureOpen();
        long[] checked = Shapes.checked(op, shape, dtype);
        long bytes = Shapes.numel(checked) * dtype.byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(kinema_h.C_POINTER);
            NativeCalls.check("kn_malloc", kinema_h.kn_malloc(context, bytes, out));
            Tensor tensor = Tensor.device(this, dtype, checked, out.get(kinema_h.C_POINTER, 0));
            owned.add(tensor);
            return tensor;
        }
    }

    /** A new device tensor of this runtime with the values of tensor (host or any runtime). */
    public Tensor upload(Tensor tensor) {
        ensureOpen();
        if (tensor == null) {
            throw new InvalidArgumentException("Kinema.upload", "tensor", "a tensor", "null");
        }
        if (tensor.isClosed()) {
            throw new InvalidArgumentException("Kinema.upload", "tensor", "an open tensor", "closed " + tensor);
        }
        Tensor copy = allocateUninitialized("Kinema.upload", tensor.dtype(), tensor.shape());
        try {
            copy.copyFrom(tensor);
            return copy;
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
    }

    /** A new f32 device tensor holding data (row-major). */
    public Tensor fromFloats(float[] data, long... shape) {
        return fromFloats(DType.F32, data, shape);
    }

    /** A new device tensor of dtype holding data rounded to it. */
    public Tensor fromFloats(DType dtype, float[] data, long... shape) {
        ensureOpen();
        Tensor.checkData("Kinema.fromFloats", data, Shapes.checked("Kinema.fromFloats", shape, dtype));
        try (Tensor host = Tensor.hostFromFloats(dtype, data, shape)) {
            return upload(host);
        }
    }

    /** A new stream of this runtime (see {@link DeviceStream}); the caller closes it. */
    public DeviceStream createStream() {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(kinema_h.C_POINTER);
            NativeCalls.check("kn_stream_create", kinema_h.kn_stream_create(context, out));
            return new DeviceStream(this, out.get(kinema_h.C_POINTER, 0));
        }
    }

    /**
     * Whether streams of this runtime can capture work into a {@link CapturedGraph}: cuda and cuda-emu
     * can; cpu cannot (its calls run synchronously on the host, so replaying prepared calls is already
     * all a graph would do).
     */
    public boolean supportsGraphCapture() {
        return backend != Backend.CPU;
    }

    /** Waits until all work queued on this runtime has finished. */
    public void synchronize() {
        ensureOpen();
        NativeCalls.check("kn_stream_synchronize", kinema_h.kn_stream_synchronize(context, MemorySegment.NULL));
    }

    // ---- typed ops ---------------------------------------------------------------------------

    /** conv_spatial (OPS.md): the 1xkxk convolution; y newly allocated. */
    public Tensor convSpatial(Tensor x, Tensor w, Tensor bOrNull, Tensor residualOrNull, int stride) {
        return ConvOps.convSpatial(this, x, w, bOrNull, residualOrNull, stride, null);
    }

    /** conv_spatial into y; residual may be y itself (accumulate in place). */
    public void convSpatialInto(Tensor x, Tensor w, Tensor bOrNull, Tensor residualOrNull, int stride, Tensor y) {
        ConvOps.convSpatial(this, x, w, bOrNull, residualOrNull, stride, ConvOps.output(ConvOps.CONV_SPATIAL, y));
    }

    /** conv_temporal (OPS.md): the 3x1x1 convolution with zero padding in time; y newly allocated. */
    public Tensor convTemporal(Tensor x, Tensor w, Tensor bOrNull, Tensor residualOrNull) {
        return ConvOps.convTemporal(this, x, w, bOrNull, residualOrNull, null);
    }

    /** conv_temporal into y; residual may be y itself. */
    public void convTemporalInto(Tensor x, Tensor w, Tensor bOrNull, Tensor residualOrNull, Tensor y) {
        ConvOps.convTemporal(this, x, w, bOrNull, residualOrNull, ConvOps.output(ConvOps.CONV_TEMPORAL, y));
    }

    /** ddim_step (OPS.md): guidance + DDIM / v-prediction update; y and x0 newly allocated. */
    public DdimResult ddimStep(Tensor x, Tensor outC, Tensor outUOrNull, Tensor noiseOrNull, DdimParams p) {
        return DdimOp.run(this, x, outC, outUOrNull, noiseOrNull, p, null, null);
    }

    /** ddim_step into y (which may be x itself, for an in-place update) and optionally x0. */
    public void ddimStepInto(Tensor x, Tensor outC, Tensor outUOrNull, Tensor noiseOrNull, DdimParams p,
                             Tensor y, Tensor x0OrNull) {
        DdimOp.run(this, x, outC, outUOrNull, noiseOrNull, p, ConvOps.output(DdimOp.DDIM_STEP, y), x0OrNull);
    }

    /**
     * ddim_step on these tensors, checked now, with the scalars given per call: {@link PreparedDdimStep#run}
     * allocates nothing, for a sampler's every step. y may be x (the in-place update).
     */
    public PreparedDdimStep prepareDdimStep(Tensor x, Tensor outC, Tensor outUOrNull, Tensor noiseOrNull, Tensor y) {
        return DdimOp.prepare(this, x, outC, outUOrNull, noiseOrNull, y);
    }

    /** group_norm (OPS.md): GroupNorm of x[B,T,H,W,C] (per frame when perFrame), then SiLU if silu; y newly allocated. */
    public Tensor groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, double eps, boolean perFrame,
                            boolean silu) {
        return NormOps.groupNorm(this, x, gamma, beta, groups, eps, perFrame, silu, null);
    }

    /** group_norm into y, which may be x itself (in place). */
    public void groupNormInto(Tensor x, Tensor gamma, Tensor beta, int groups, double eps, boolean perFrame,
                              boolean silu, Tensor y) {
        NormOps.groupNorm(this, x, gamma, beta, groups, eps, perFrame, silu, ConvOps.output(NormOps.GROUP_NORM, y));
    }

    /** layer_norm (OPS.md): LayerNorm over the last dim, then adaLN y*(1+scale[b])+shift[b]; y newly allocated. */
    public Tensor layerNorm(Tensor x, Tensor gammaOrNull, Tensor betaOrNull, Tensor shiftOrNull, Tensor scaleOrNull,
                            double eps) {
        return NormOps.layerNorm(this, x, gammaOrNull, betaOrNull, shiftOrNull, scaleOrNull, eps, null);
    }

    /** layer_norm into y, which may be x itself (in place). */
    public void layerNormInto(Tensor x, Tensor gammaOrNull, Tensor betaOrNull, Tensor shiftOrNull,
                              Tensor scaleOrNull, double eps, Tensor y) {
        NormOps.layerNorm(this, x, gammaOrNull, betaOrNull, shiftOrNull, scaleOrNull, eps,
                ConvOps.output(NormOps.LAYER_NORM, y));
    }

    /**
     * linear (OPS.md): h = x @ w.T + b, then act (geglu halves N), * gate[b], + residual; y newly
     * allocated. x[..., K] (rank >= 2, b = index along dim 0), w[N,K], b[N], gate[B,N'], residual[..., N'].
     */
    public Tensor linear(Tensor x, Tensor w, Tensor bOrNull, Tensor residualOrNull, Tensor gateOrNull,
                         Activation act) {
        return LinearOps.linear(this, x, w, bOrNull, residualOrNull, gateOrNull, act, null);
    }

    /** linear into y; residual may be y itself (accumulate in place). */
    public void linearInto(Tensor x, Tensor w, Tensor bOrNull, Tensor residualOrNull, Tensor gateOrNull,
                           Activation act, Tensor y) {
        LinearOps.linear(this, x, w, bOrNull, residualOrNull, gateOrNull, act, ConvOps.output(LinearOps.LINEAR, y));
    }

    /** conv3d (OPS.md): odd kt x kh x kw kernel, stride 1, "same" zero padding; y newly allocated. */
    public Tensor conv3d(Tensor x, Tensor w, Tensor bOrNull, Tensor residualOrNull) {
        return LinearOps.conv3d(this, x, w, bOrNull, residualOrNull, null);
    }

    /**
     * add (OPS.md): y = x + z; y newly allocated. z broadcasts to x as {@link Broadcast} defines: a suffix
     * of x's shape, or x's leading dims, then 1s, then x's trailing dims (z[B,1,1,1,C] for x[B,T,H,W,C]).
     */
    public Tensor add(Tensor x, Tensor z) {
        return ElementwiseOps.run(this, ElementwiseOps.ADD, x, z, 1, 1, null);
    }

    /** mul (OPS.md): y = x * z, z broadcast to x as in {@link #add}; y newly allocated. */
    public Tensor mul(Tensor x, Tensor z) {
        return ElementwiseOps.run(this, ElementwiseOps.MUL, x, z, 1, 1, null);
    }

    /** silu (OPS.md): y = x * sigmoid(x); y newly allocated. */
    public Tensor silu(Tensor x) {
        return ElementwiseOps.run(this, ElementwiseOps.SILU, x, null, 1, 1, null);
    }

    /** gelu (OPS.md, erf form): y = x/2 * (1 + erf(x/sqrt(2))); y newly allocated. */
    public Tensor gelu(Tensor x) {
        return ElementwiseOps.run(this, ElementwiseOps.GELU, x, null, 1, 1, null);
    }

    /** scale_add (OPS.md): y = a*x + b*z, z broadcast to x as in {@link #add}; y newly allocated. */
    public Tensor scaleAdd(double a, Tensor x, double b, Tensor z) {
        return ElementwiseOps.run(this, ElementwiseOps.SCALE_ADD, x, z, a, b, null);
    }

    /**
     * One of add, mul, silu, gelu, scale_add (OPS.md names) into y, which may be x itself (in place);
     * zOrNull must be null for silu and gelu; a and b are used by scale_add only.
     */
    public void elementwiseInto(String op, Tensor x, Tensor zOrNull, double a, double b, Tensor y) {
        if (op == null || !java.util.Set.of(ElementwiseOps.ADD, ElementwiseOps.MUL, ElementwiseOps.SILU,
                ElementwiseOps.GELU, ElementwiseOps.SCALE_ADD).contains(op)) {
            throw new InvalidArgumentException("elementwiseInto", "op", "one of add, mul, silu, gelu, scale_add",
                    op == null ? "null" : "'" + op + "'");
        }
        ElementwiseOps.run(this, op, x, zOrNull, a, b, ConvOps.output(op, y));
    }

    /**
     * concat: x[..., C1] and z[..., C2] (equal leading dims) to y[..., C1+C2], x's channels first
     * (channels-last concatenation along the last axis, torch.cat(dim=-1)); y newly allocated.
     */
    public Tensor concat(Tensor x, Tensor z) {
        return ResampleOps.concat(this, x, z, null);
    }

    /** concat into y [..., C1+C2], which may not overlap x or z. */
    public void concatInto(Tensor x, Tensor z, Tensor y) {
        ResampleOps.concat(this, x, z, ConvOps.output(ResampleOps.CONCAT, y));
    }

    /** upsample_nearest (OPS.md): x[B,T,H,W,C] to y[B,T,2H,2W,C], spatial nearest; y newly allocated. */
    public Tensor upsampleNearest(Tensor x) {
        return ResampleOps.upsampleNearest(this, x, null);
    }

    /** upsample_nearest into y [B,T,2H,2W,C], which may not overlap x. */
    public void upsampleNearestInto(Tensor x, Tensor y) {
        ResampleOps.upsampleNearest(this, x, ConvOps.output(ResampleOps.UPSAMPLE_NEAREST, y));
    }

    /** patchify (OPS.md): x[B,T,H,W,C] to y[B,T,(H/p)*(W/p),p*p*C], patches row-major, inside one (ph, pw, c). */
    public Tensor patchify(Tensor x, int p) {
        return ResampleOps.patchify(this, x, p, null);
    }

    /** patchify into y [B,T,(H/p)*(W/p),p*p*C], which may not overlap x. */
    public void patchifyInto(Tensor x, int p, Tensor y) {
        ResampleOps.patchify(this, x, p, ConvOps.output(ResampleOps.PATCHIFY, y));
    }

    /** unpatchify (OPS.md): the inverse of patchify; the image's H and W are given, C follows from x. */
    public Tensor unpatchify(Tensor x, int p, long h, long w) {
        return ResampleOps.unpatchify(this, x, p, h, w, null);
    }

    /** unpatchify into y [B,T,H,W,C], which may not overlap x. */
    public void unpatchifyInto(Tensor x, int p, long h, long w, Tensor y) {
        ResampleOps.unpatchify(this, x, p, h, w, ConvOps.output(ResampleOps.UNPATCHIFY, y));
    }

    /**
     * alpha_blend (OPS.md): y = alpha*xSpatial + (1-alpha)*xTemporal with alpha = mix[0] (fixed) or
     * sigmoid(mix[0]) (learned); mix is a one-element tensor of this runtime. y newly allocated.
     */
    public Tensor alphaBlend(Tensor xSpatial, Tensor xTemporal, Tensor mix, boolean learned) {
        return ResampleOps.alphaBlend(this, xSpatial, xTemporal, mix, learned, null);
    }

    /** alpha_blend into y, which may be xSpatial or xTemporal itself (in place). */
    public void alphaBlendInto(Tensor xSpatial, Tensor xTemporal, Tensor mix, boolean learned, Tensor y) {
        ResampleOps.alphaBlend(this, xSpatial, xTemporal, mix, learned, ConvOps.output(ResampleOps.ALPHA_BLEND, y));
    }

    /**
     * timestep_embedding (OPS.md): diffusers' get_timestep_embedding(t, dim, flipSinToCos,
     * downscaleFreqShift, 1, maxPeriod) of t[B], as y[B, dim] (dim even).
     */
    public Tensor timestepEmbedding(Tensor t, int dim, boolean flipSinToCos, double downscaleFreqShift, double maxPeriod) {
        return ResampleOps.timestepEmbedding(this, t, dim, flipSinToCos, downscaleFreqShift, maxPeriod, null);
    }

    /** timestep_embedding into y [B, dim], which may not overlap t. */
    public void timestepEmbeddingInto(Tensor t, int dim, boolean flipSinToCos, double downscaleFreqShift,
                                      double maxPeriod, Tensor y) {
        ResampleOps.timestepEmbedding(this, t, dim, flipSinToCos, downscaleFreqShift, maxPeriod,
                ConvOps.output(ResampleOps.TIMESTEP_EMBEDDING, y));
    }

    /** conv3d into y; residual may be y itself. */
    public void conv3dInto(Tensor x, Tensor w, Tensor bOrNull, Tensor residualOrNull, Tensor y) {
        LinearOps.conv3d(this, x, w, bOrNull, residualOrNull, ConvOps.output(LinearOps.CONV3D, y));
    }

    /**
     * temporal_attention (OPS.md): attention along time at every position of q, k, v [B,T,H,W,heads*D]
     * with scale D**-0.5; relBias [heads, 2*Tmax-1] optional; window 0 = all frames; y newly allocated.
     */
    public Tensor temporalAttention(Tensor q, Tensor k, Tensor v, Tensor relBiasOrNull, int heads, int window,
                                    boolean causal, int tmax) {
        return TemporalAttentionOp.run(this, q, k, v, relBiasOrNull, heads, Double.NaN, window, causal, tmax, null);
    }

    /**
     * attention (OPS.md): per (b, t, head), y = softmax(q K(t).T * D**-0.5) V(t) with q [B,T,Nq,heads,D] and
     * k, v [B,Tk,Nk,heads,D] (or [B,L,heads,D] for {@link KvFrames#CONTEXT}); y newly allocated.
     */
    public Tensor attention(Tensor q, Tensor k, Tensor v, KvFrames kvFrames) {
        return FrameAttentionOp.run(this, q, k, v, kvFrames, Double.NaN, null);
    }

    /** attention with an explicit scale; y newly allocated. */
    public Tensor attention(Tensor q, Tensor k, Tensor v, KvFrames kvFrames, double scale) {
        return FrameAttentionOp.run(this, q, k, v, kvFrames, scale, null);
    }

    /** attention into y, which may not overlap q, k or v. */
    public void attentionInto(Tensor q, Tensor k, Tensor v, KvFrames kvFrames, double scale, Tensor y) {
        FrameAttentionOp.run(this, q, k, v, kvFrames, scale, ConvOps.output(FrameAttentionOp.ATTENTION, y));
    }

    /** temporal_attention with an explicit scale; y newly allocated. */
    public Tensor temporalAttention(Tensor q, Tensor k, Tensor v, Tensor relBiasOrNull, int heads, double scale,
                                    int window, boolean causal, int tmax) {
        return TemporalAttentionOp.run(this, q, k, v, relBiasOrNull, heads, scale, window, causal, tmax, null);
    }

    /** temporal_attention into y, which may not overlap q, k, v or relBias. */
    public void temporalAttentionInto(Tensor q, Tensor k, Tensor v, Tensor relBiasOrNull, int heads, double scale,
                                      int window, boolean causal, int tmax, Tensor y) {
        TemporalAttentionOp.run(this, q, k, v, relBiasOrNull, heads, scale, window, causal, tmax,
                ConvOps.output(TemporalAttentionOp.TEMPORAL_ATTENTION, y));
    }

    /** The op names {@link #run} accepts (OPS.md names), sorted. */
    public static List<String> opNames() {
        return NamedOps.names();
    }

    /**
     * The input, attribute and output names of op (an OPS.md name).
     *
     * @throws InvalidArgumentException for a name that is not one of {@link #opNames()}
     */
    public static OpSignature signature(String op) {
        OpSignature signature = NamedOps.signature(op);
        if (signature == null) {
            throw new InvalidArgumentException("Kinema.signature", "op", "one of " + String.join(", ", NamedOps.names()),
                    op == null ? "null" : "'" + op + "'");
        }
        return signature;
    }

    /**
     * Runs an op by its OPS.md name with named inputs and string attributes (the CLI's and the
     * test harness's entry). Inputs may be host tensors (uploaded for the call) or tensors of this
     * runtime; outputs ("y", and "x0" for ddim_step) are new tensors of this runtime.
     */
    public Map<String, Tensor> run(String op, Map<String, Tensor> inputs, Map<String, String> attrs) {
        ensureOpen();
        return NamedOps.run(this, op, inputs, attrs);
    }

    /**
     * Checks one op call exactly as {@link #run} does and sets it up for replay: inputs and outputs
     * ("y", and optionally "x0" for ddim_step) are tensors of this runtime, which the returned op
     * writes on every {@link PreparedOp#run}. Nothing runs now. The graph executor prepares each of
     * its nodes this way.
     */
    public PreparedOp prepare(String op, Map<String, Tensor> inputs, Map<String, String> attrs,
                              Map<String, Tensor> outputs) {
        ensureOpen();
        return NamedOps.prepare(this, op, inputs, attrs, outputs);
    }

    /** Frees every tensor this runtime still owns and releases the backend context; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<RuntimeException> failures = new ArrayList<>();
        for (Tensor tensor : List.copyOf(owned)) {
            try {
                tensor.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        int status = kinema_h.kn_context_destroy(context);
        NativeCalls.check("kn_context_destroy", status);
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "Kinema " + backend.id() + ":" + device + (closed ? " (closed)" : "");
    }

    // ---- for Tensor and the op layer -----------------------------------------------------------

    MemorySegment context() {
        return context;
    }

    /** Frees a device tensor of this runtime; called once, by Tensor.close. */
    synchronized void release(Tensor tensor) {
        if (owned.remove(tensor)) {
            NativeCalls.check("kn_free", kinema_h.kn_free(context, tensor.address()));
        }
    }

    void copyHostToDevice(MemorySegment deviceDst, MemorySegment hostSrc, long bytes) {
        copy(deviceDst, hostSrc, bytes, kinema_h.KN_COPY_HOST_TO_DEVICE());
    }

    void copyDeviceToHost(MemorySegment hostDst, MemorySegment deviceSrc, long bytes) {
        copy(hostDst, deviceSrc, bytes, kinema_h.KN_COPY_DEVICE_TO_HOST());
    }

    void copyDeviceToDevice(MemorySegment deviceDst, MemorySegment deviceSrc, long bytes) {
        copy(deviceDst, deviceSrc, bytes, kinema_h.KN_COPY_DEVICE_TO_DEVICE());
    }

    private void copy(MemorySegment dst, MemorySegment src, long bytes, int kind) {
        ensureOpen();
        NativeCalls.check("kn_memcpy", kinema_h.kn_memcpy(context, dst, src, bytes, kind, MemorySegment.NULL));
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }
}
