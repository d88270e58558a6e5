#!/usr/bin/python3
"""PyTorch peer for `./kinema bench`: the same ops at the same shapes, same thread count.

Prints one JSON object: {"torch": VERSION, "threads": N, "ops": {NAME: median_seconds, ...}}.
Needs Debian's python3-torch; `./kinema bench` reports the peer as skipped when it is missing.
Usage: torch_ops.py [--threads N] [--repeats R] [--ops NAME,NAME,...]
(--ops: only these ops, as BenchMain passes for a subset run; default all.)
"""
import argparse
import json
import statistics
import sys
import time

# A fair peer needs a real BLAS under torch's matmuls. Debian's python3-torch calls the system
# libblas.so.3: the reference implementation (~3.4 GFLOP/s here) unless libopenblas0-pthread is installed,
# and OpenBLAS takes this CPU for an older core (~130 GFLOP/s) unless told its SkylakeX kernels apply
# (~250 GFLOP/s). The variable must be set before torch loads OpenBLAS. (This script is extracted alone
# from the benchmarks jar, so the setup is written out here rather than imported.)
import os
if "OPENBLAS_CORETYPE" not in os.environ:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            if " avx512f" in cpuinfo.read():
                os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    except OSError:
        pass
import torch


def warn_on_reference_blas():
    """Warns on stderr when a 1024^3 matmul runs below 20 GFLOP/s (a reference BLAS)."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ b
    start = time.perf_counter()
    for _ in range(5):
        a @ b
    gflops = 10 * 1024 ** 3 / (time.perf_counter() - start) / 1e9
    if gflops < 20:
        print(f"peer: torch matmul runs at {gflops:.1f} GFLOP/s: a reference BLAS is in use; install an "
              "optimized one (Debian: apt-get install libopenblas0-pthread) for a fair comparison", file=sys.stderr)
import torch.nn.functional as F

N_BIG = 64 * 1024 * 1024  # 64 Mi elements: 256 MiB per f32 tensor, past the last-level cache


def median_seconds(fn, repeats, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# Each op is a function returning the call to time; its tensors are made only when the op is run.

def conv_spatial():
    # B=1, T=16, 32x32, C=128 -> 128 (NCDHW, as PyTorch runs it).
    x, w, b = torch.randn(1, 128, 16, 32, 32), torch.randn(128, 128, 1, 3, 3) * 0.03, torch.randn(128)
    return lambda: F.conv3d(x, w, b, padding=(0, 1, 1))


def conv_temporal():
    x, w, b = torch.randn(1, 128, 16, 32, 32), torch.randn(128, 128, 3, 1, 1) * 0.05, torch.randn(128)
    return lambda: F.conv3d(x, w, b, padding=(1, 0, 0))


def ddim_step():
    # ddim_step with guidance at 64 Mi elements, eps prediction, eta = 0.
    xt, out_c, out_u = torch.randn(N_BIG), torch.randn(N_BIG), torch.randn(N_BIG)
    a_t, s_t, a_s, s_s, w = 0.8, 0.6, 0.9, (1 - 0.81) ** 0.5, 7.5

    def ddim():
        m = out_u + w * (out_c - out_u)
        x0 = (xt - s_t * m) / a_t
        return a_s * x0 + s_s * m, x0
    return ddim


def copy():
    src, dst = torch.randn(N_BIG), torch.empty(N_BIG)
    return lambda: dst.copy_(src)


def temporal_attention():
    # q, k, v [B=1, T=16, 32x32, 8 heads x D=40] channels-last; PyTorch's path is permute to
    # [B, H*W, heads, T, D], matmul, softmax, matmul, permute back (contiguous).
    shape, heads, dim = (1, 16, 32, 32, 320), 8, 40
    tq, tk, tv = torch.randn(shape), torch.randn(shape), torch.randn(shape)

    def run():
        bsz, frames, height, width, channels = shape

        def split(t):
            return t.reshape(bsz, frames, height * width, heads, dim).permute(0, 2, 3, 1, 4)

        s = torch.matmul(split(tq), split(tk).transpose(-1, -2)) * dim ** -0.5
        out = torch.matmul(torch.softmax(s, -1), split(tv))
        return out.permute(0, 3, 1, 2, 4).reshape(shape).contiguous()
    return run


def group_norm():
    # 32 groups + SiLU, NCDHW as PyTorch runs it, B=1, T=16, 32x32, C=320.
    x, gamma, beta = torch.randn(1, 320, 16, 32, 32), torch.randn(320), torch.randn(320)
    return lambda: F.silu(F.group_norm(x, 32, gamma, beta, 1e-5))


def layer_norm():
    x, gamma, beta = torch.randn(1, 16, 32, 32, 320), torch.randn(320), torch.randn(320)
    return lambda: F.layer_norm(x, (320,), gamma, beta, 1e-5)


def linear():
    x, w, b = torch.randn(16384, 320), torch.randn(320, 320) * 0.05, torch.randn(320)
    return lambda: F.linear(x, w, b)


def conv3d():
    x, w, b = torch.randn(1, 320, 16, 32, 32), torch.randn(320, 320, 3, 3, 3) * 0.01, torch.randn(320)
    return lambda: F.conv3d(x, w, b, padding=1)


# attention: q [B=1, T=16, N=1024, 8 heads, D=40]; PyTorch's path is permute to [B*T*heads, N, D],
# softmax(q @ k^T * scale) @ v, permute back to [B, T, N, heads, D] (contiguous).
A_B, A_T, A_N, A_HEADS, A_D, A_L = 1, 16, 1024, 8, 40, 77


def _heads_first(t):
    # [B, T, N, heads, D] -> [B, T, heads, N, D]
    return t.permute(0, 1, 3, 2, 4)


def attention_same():
    shape = (A_B, A_T, A_N, A_HEADS, A_D)
    q, k, v = torch.randn(shape), torch.randn(shape), torch.randn(shape)

    def run():
        def flat(t):
            return _heads_first(t).reshape(A_B * A_T * A_HEADS, A_N, A_D)
        s = torch.bmm(flat(q), flat(k).transpose(1, 2)) * A_D ** -0.5
        out = torch.bmm(torch.softmax(s, -1), flat(v))
        return out.reshape(A_B, A_T, A_HEADS, A_N, A_D).permute(0, 1, 3, 2, 4).contiguous()
    return run


def attention_all():
    # kv_frames=all: every query frame attends to the keys of all 16 frames concatenated (16384 keys).
    # All frames at once would hold a [B*T*heads, 1024, 16384] f32 score matrix (8.6 GB), so this is
    # computed one query frame at a time ([heads, 1024, 16384], 537 MB of scores per frame).
    shape = (A_B, A_T, A_N, A_HEADS, A_D)
    q, k, v = torch.randn(shape), torch.randn(shape), torch.randn(shape)

    def run():
        # keys/values of all frames: [B, heads, T*N, D]
        kk = k.permute(0, 3, 1, 2, 4).reshape(A_B, A_HEADS, A_T * A_N, A_D)
        vv = v.permute(0, 3, 1, 2, 4).reshape(A_B, A_HEADS, A_T * A_N, A_D)
        out = torch.empty(A_B, A_T, A_N, A_HEADS, A_D)
        for t in range(A_T):
            qt = q[:, t].permute(0, 2, 1, 3)  # [B, heads, N, D]
            s = torch.matmul(qt, kk.transpose(-1, -2)) * A_D ** -0.5
            out[:, t] = torch.matmul(torch.softmax(s, -1), vv).permute(0, 2, 1, 3)
        return out
    return run


def attention_context():
    # kv_frames=context: k, v [B, L=77, heads, D] shared by every frame.
    q = torch.randn(A_B, A_T, A_N, A_HEADS, A_D)
    k, v = torch.randn(A_B, A_L, A_HEADS, A_D), torch.randn(A_B, A_L, A_HEADS, A_D)

    def run():
        qf = _heads_first(q).reshape(A_B, A_T * A_HEADS, A_N, A_D)
        kf = k.permute(0, 2, 1, 3).repeat(1, A_T, 1, 1)  # [B, T*heads, L, D], head fastest as in qf
        vf = v.permute(0, 2, 1, 3).repeat(1, A_T, 1, 1)
        s = torch.matmul(qf, kf.transpose(-1, -2)) * A_D ** -0.5
        out = torch.matmul(torch.softmax(s, -1), vf)
        return out.reshape(A_B, A_T, A_HEADS, A_N, A_D).permute(0, 1, 3, 2, 4).contiguous()
    return run


# add / silu at 64 Mi elements into a preallocated y (out=), as Kinema's benchmark writes y;
# torch._C._nn.silu is the out= form behind F.silu.
def add():
    x, z, y = torch.randn(N_BIG), torch.randn(N_BIG), torch.empty(N_BIG)
    return lambda: torch.add(x, z, out=y)


def silu():
    x, y = torch.randn(N_BIG), torch.empty(N_BIG)
    return lambda: torch._C._nn.silu(x, out=y)


# upsample_nearest and patchify at B=1, T=16, 32x32, C=320; both allocate their output per call.
def upsample_nearest():
    # [B*T, C, H, W] in channels_last memory format: the same bytes as Kinema's [B, T, H, W, C].
    x = torch.randn(16, 320, 32, 32).contiguous(memory_format=torch.channels_last)
    return lambda: F.interpolate(x, scale_factor=2, mode="nearest")


def patchify():
    # x[B, T, H, W, C] -> y[B, T, (H/p)*(W/p), p*p*C], patches row-major, inside one (ph, pw, c); p = 2.
    b, t, h, w, c, p = 1, 16, 32, 32, 320, 2
    x = torch.randn(b, t, h, w, c)
    return lambda: (x.reshape(b, t, h // p, p, w // p, p, c).permute(0, 1, 2, 4, 3, 5, 6).contiguous()
                    .reshape(b, t, (h // p) * (w // p), p * p * c))


OPS = [conv_spatial, conv_temporal, ddim_step, copy, temporal_attention, group_norm, layer_norm, linear, conv3d,
       attention_same, attention_all, attention_context, add, silu, upsample_nearest, patchify]
# attention_all takes many seconds a call: 3 timed calls after one warm-up.
SLOW = {"attention_all": (3, 1)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--ops", default="", help="comma-separated op names (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warn_on_reference_blas()
    torch.manual_seed(0)
    wanted = set(filter(None, args.ops.split(",")))
    unknown = wanted - {op.__name__ for op in OPS}
    if unknown:
        raise SystemExit("torch_ops.py: unknown op(s) " + ", ".join(sorted(unknown)))

    ops = {}
    with torch.no_grad():
        for op in OPS:
            if wanted and op.__name__ not in wanted:
                continue
            repeats, warmup = SLOW.get(op.__name__, (args.repeats, 3))
            ops[op.__name__] = median_seconds(op(), min(repeats, args.repeats), warmup)
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "ops": ops}))


if __name__ == "__main__":
    main()
