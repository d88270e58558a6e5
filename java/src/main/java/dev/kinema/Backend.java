package dev.kinema;

import dev.kinema.raw.kinema_h;

/** Where ops run. AUTO picks cuda when a device exists, else cpu. */
public enum Backend {
    AUTO("auto", -1),
    CPU("cpu", kinema_h.KN_BACKEND_CPU()),
    CUDA("cuda", kinema_h.KN_BACKEND_CUDA()),
    /** The CUDA kernels executed on the CPU by the fiber emulator, for testing without a GPU. */
    CUDA_EMU("cuda-emu", kinema_h.KN_BACKEND_CUDA_EMU());

    private final String id;
    private final int kind;

    Backend(String id, int kind) {
        this.id = id;
        this.kind = kind;
    }

    /** "auto", "cpu", "cuda", "cuda-emu". */
    public String id() {
        return id;
    }

    /** The kn_backend_kind of a concrete backend. */
    int nativeKind() {
        if (this == AUTO) {
            throw new IllegalStateException("Backend.AUTO has no native kind; resolve it first");
        }
        return kind;
    }

    /** Parses an id as returned by {@link #id()}; also accepts the enum names (CPU, CUDA_EMU, ...). */
    public static Backend parse(String text) {
        if (text != null) {
            for (Backend backend : values()) {
                if (backend.id.equals(text) || backend.name().equals(text)) {
                    return backend;
                }
            }
        }
        throw new InvalidArgumentException("Backend.parse", "backend", "one of auto, cpu, cuda, cuda-emu",
                text == null ? "null" : "'" + text + "'");
    }
}
