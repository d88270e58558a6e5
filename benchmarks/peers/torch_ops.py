#!/usr/bin/python3
"""PyTorch peer for `./kinema bench`: the same ops at the same shapes, same thread count.

Prints one JSON object: {"torch": VERSION, "threads": N, "ops": {NAME: median_seconds, ...}}.
Needs Debian's python3-torch; `./kinema bench` reports the peer as skipped when it is missing.
Usage: torch_ops.py [--threads N] [--repeats R]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def median_seconds(fn, repeats, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    # conv_spatial / conv_temporal: B=1, T=16, 32x32, C=128 -> 128 (NCDHW, as PyTorch runs it).
    x = torch.randn(1, 128, 16, 32, 32)
    w_spatial = torch.randn(128, 128, 1, 3, 3) * 0.03
    w_temporal = torch.randn(128, 128, 3, 1, 1) * 0.05
    b = torch.randn(128)

    # ddim_step with guidance: 64 Mi elements (256 MiB per tensor, past the last-level cache),
    # eps prediction, eta = 0.
    n = 64 * 1024 * 1024
    xt, out_c, out_u = torch.randn(n), torch.randn(n), torch.randn(n)
    a_t, s_t, a_s, s_s, w = 0.8, 0.6, 0.9, (1 - 0.81) ** 0.5, 7.5

    def ddim():
        m = out_u + w * (out_c - out_u)
        x0 = (xt - s_t * m) / a_t
        return a_s * x0 + s_s * m, x0

    # temporal_attention: q, k, v [B=1, T=16, 32x32, 8 heads x D=40] channels-last; PyTorch's path is
    # permute to [B, H*W, heads, T, D], matmul, softmax, matmul, permute back (contiguous).
    ta_shape, heads, dim = (1, 16, 32, 32, 320), 8, 40
    tq, tk, tv = torch.randn(ta_shape), torch.randn(ta_shape), torch.randn(ta_shape)

    def temporal_attention():
        bsz, frames, height, width, channels = ta_shape

        def split(t):
            return t.reshape(bsz, frames, height * width, heads, dim).permute(0, 2, 3, 1, 4)

        s = torch.matmul(split(tq), split(tk).transpose(-1, -2)) * dim ** -0.5
        out = torch.matmul(torch.softmax(s, -1), split(tv))
        return out.permute(0, 3, 1, 2, 4).reshape(ta_shape).contiguous()

    # group_norm (32 groups + SiLU, NCDHW as PyTorch runs it) and layer_norm (channels-last, gamma,
    # beta) at B=1, T=16, 32x32, C=320; linear M=16384, K=N=320; conv3d 3x3x3 C=320 at the same video.
    xn = torch.randn(1, 320, 16, 32, 32)
    xl = torch.randn(1, 16, 32, 32, 320)
    gamma, beta = torch.randn(320), torch.randn(320)
    xm, wl, bl = torch.randn(16384, 320), torch.randn(320, 320) * 0.05, torch.randn(320)
    w3 = torch.randn(320, 320, 3, 3, 3) * 0.01

    src, dst = torch.randn(n), torch.empty(n)
    with torch.no_grad():
        ops = {
            "conv_spatial": median_seconds(lambda: F.conv3d(x, w_spatial, b, padding=(0, 1, 1)), args.repeats),
            "conv_temporal": median_seconds(lambda: F.conv3d(x, w_temporal, b, padding=(1, 0, 0)), args.repeats),
            "ddim_step": median_seconds(ddim, args.repeats),
            "copy": median_seconds(lambda: dst.copy_(src), args.repeats),
            "temporal_attention": median_seconds(temporal_attention, args.repeats),
            "group_norm": median_seconds(lambda: F.silu(F.group_norm(xn, 32, gamma, beta, 1e-5)), args.repeats),
            "layer_norm": median_seconds(lambda: F.layer_norm(xl, (320,), gamma, beta, 1e-5), args.repeats),
            "linear": median_seconds(lambda: F.linear(xm, wl, bl), args.repeats),
            "conv3d": median_seconds(lambda: F.conv3d(xn, w3, bl, padding=1), args.repeats),
        }
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "ops": ops}))


if __name__ == "__main__":
    main()
