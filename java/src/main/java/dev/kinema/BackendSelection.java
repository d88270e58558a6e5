package dev.kinema;

import dev.kinema.internal.StatusCodes;
import dev.kinema.raw.kinema_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** Probing backends and resolving AUTO; the library must be loaded. */
final class BackendSelection {
    private BackendSelection() {
    }

    private record Probe(int devices, String unavailableReason) {
    }

    static Map<Backend, String> probe() {
        Map<Backend, String> result = new EnumMap<>(Backend.class);
        for (Backend backend : Backend.values()) {
            if (backend != Backend.AUTO) {
                result.put(backend, probeOne(backend).unavailableReason);
            }
        }
        return Collections.unmodifiableMap(result);
    }

    private static Probe probeOne(Backend backend) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(kinema_h.C_INT);
            int status = kinema_h.kn_backend_probe(backend.nativeKind(), count);
            if (status != kinema_h.KN_OK()) {
                String reason = NativeCalls.lastError();
                return new Probe(0, reason.isEmpty() ? "kn_backend_probe returned " + StatusCodes.name(status) : reason);
            }
            int devices = count.get(kinema_h.C_INT, 0);
            return new Probe(devices, devices > 0 ? null : "no " + backend.id() + " device found");
        }
    }

    /** The number of devices of backend; BackendUnavailableException with the probe's reason if it has none. */
    static int deviceCount(Backend backend) {
        Probe probe = probeOne(backend);
        if (probe.unavailableReason != null) {
            throw new BackendUnavailableException(probe.unavailableReason);
        }
        return probe.devices;
    }

    /** AUTO: -Dkinema.backend if set (and not auto), else cuda when it has a device, else cpu. */
    static Backend resolve(Backend requested) {
        if (requested != Backend.AUTO) {
            return requested;
        }
        String forced = System.getProperty(Kinema.BACKEND_PROPERTY);
        if (forced != null && !forced.isBlank()) {
            Backend backend;
            try {
                backend = Backend.parse(forced.strip());
            } catch (InvalidArgumentException e) {
                throw new InvalidArgumentException("Kinema.open", "-D" + Kinema.BACKEND_PROPERTY,
                        "one of auto, cpu, cuda, cuda-emu", "'" + forced + "'");
            }
            if (backend != Backend.AUTO) {
                return backend;
            }
        }
        return probeOne(Backend.CUDA).unavailableReason == null ? Backend.CUDA : Backend.CPU;
    }
}
