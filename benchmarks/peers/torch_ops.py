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

    src, dst = torch.randn(n), torch.empty(n)
    with torch.no_grad():
        ops = {
            "conv_spatial": median_seconds(lambda: F.conv3d(x, w_spatial, b, padding=(0, 1, 1)), args.repeats),
            "conv_temporal": median_seconds(lambda: F.conv3d(x, w_temporal, b, padding=(1, 0, 0)), args.repeats),
            "ddim_step": median_seconds(ddim, args.repeats),
            "copy": median_seconds(lambda: dst.copy_(src), args.repeats),
        }
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "ops": ops}))


if __name__ == "__main__":
    main()
