"""Kinema's specified sampler noise (dev.kinema.sampling.NoiseGenerator), in NumPy: element i of noise
tensor `stream` of `seed` is a pure function of (seed, stream, i).

Philox4x32-10 with key (low, high 32 bits of seed) and counter (low, high 32 bits of j = i // 2, low, high
32 bits of stream) gives words r0..r3; u1 = ((r0 << 21 | r1 >> 11) + 1) / 2^53, u2 likewise from r2, r3;
element 2j = sqrt(-2 ln u1) cos(2 pi u2), element 2j + 1 = sqrt(-2 ln u1) sin(2 pi u2), in double, rounded
once to float32.
"""
import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = np.uint64(0xFFFFFFFF)


def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 over arrays of counters (uint64 arrays holding 32-bit values) and scalar keys."""
    for _ in range(10):
        p0 = M0 * c0
        p1 = M1 * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0)) & MASK, p1 & MASK, \
            ((p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1)) & MASK, p0 & MASK
        k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
    return c0, c1, c2, c3


def normal(seed, stream, count):
    """The first `count` elements of noise tensor `stream` of `seed`, float32."""
    seed &= (1 << 64) - 1
    stream &= (1 << 64) - 1
    pairs = (count + 1) // 2
    j = np.arange(pairs, dtype=np.uint64)
    r0, r1, r2, r3 = philox(j & MASK, j >> np.uint64(32), np.full(pairs, stream & 0xFFFFFFFF, np.uint64),
                            np.full(pairs, stream >> 32, np.uint64), seed & 0xFFFFFFFF, seed >> 32)
    u1 = (((r0 << np.uint64(21)) | (r1 >> np.uint64(11))).astype(np.float64) + 1) * 2.0 ** -53
    u2 = (((r2 << np.uint64(21)) | (r3 >> np.uint64(11))).astype(np.float64) + 1) * 2.0 ** -53
    radius, angle = np.sqrt(-2 * np.log(u1)), 2 * np.pi * u2
    out = np.empty(2 * pairs, dtype=np.float64)
    out[0::2] = radius * np.cos(angle)
    out[1::2] = radius * np.sin(angle)
    return out[:count].astype(np.float32)
