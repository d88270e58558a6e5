"""PyTorch's CPU speed at cpu_bench's shapes, for side-by-side comparison (a development tool).

    /usr/bin/python3 native/cpu/bench/torch_peer.py [--threads 2] [--kinema build/lib/libkinema.so]

Convolutions run in PyTorch's native NCDHW layout (oneDNN); medians of 15 runs after 2 warm-ups.
With --kinema, each convolution also runs through libkinema's cpu backend (channels-last copies of
the same data), alternating run by run with PyTorch so both see the same machine load, and the
outputs are compared. Shared machines drift by 2-4x within seconds; paired runs stay comparable.
"""
import argparse
import ctypes
import time

import torch
import torch.nn.functional as F

MAX_RANK = 8


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * MAX_RANK), ("strides", ctypes.c_int64 * MAX_RANK)]


class ConvSpatialParams(ctypes.Structure):
    _fields_ = [("x", Tensor), ("w", Tensor), ("b", Tensor), ("residual", Tensor), ("y", Tensor),
                ("stride", ctypes.c_int32), ("reserved0", ctypes.c_int32)]


class ConvTemporalParams(ctypes.Structure):
    _fields_ = [("x", Tensor), ("w", Tensor), ("b", Tensor), ("residual", Tensor), ("y", Tensor)]


def describe(t):
    """A kn_tensor over a contiguous float32 torch tensor."""
    assert t.is_contiguous() and t.dtype == torch.float32
    d = Tensor()
    d.data, d.dtype, d.rank = t.data_ptr(), 0, t.dim()
    for i, (size, stride) in enumerate(zip(t.shape, t.stride())):
        d.shape[i], d.strides[i] = size, stride
    return d


class Kinema:
    def __init__(self, path, threads):
        self.lib = ctypes.CDLL(path)
        self.ctx = ctypes.c_void_p()
        self.check(self.lib.kn_context_create(0, 0, ctypes.byref(self.ctx)))  # KN_BACKEND_CPU, device 0
        self.check(self.lib.kn_context_set_num_threads(self.ctx, threads))
        self.lib.kn_last_error.restype = ctypes.c_char_p

    def check(self, status):
        if status != 0:
            raise RuntimeError(f"libkinema status {status}: {self.lib.kn_last_error().decode()}")

    def conv(self, x_cl, w, b, y_cl, stride, temporal):
        if temporal:
            p = ConvTemporalParams(describe(x_cl), describe(w), describe(b), Tensor(), describe(y_cl))
            return lambda: self.check(self.lib.kn_conv_temporal(self.ctx, None, ctypes.byref(p)))
        p = ConvSpatialParams(describe(x_cl), describe(w), describe(b), Tensor(), describe(y_cl), stride, 0)
        return lambda: self.check(self.lib.kn_conv_spatial(self.ctx, None, ctypes.byref(p)))


def timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def median(values):
    return sorted(values)[len(values) // 2]


def conv(kinema, label, t, hw, ci, co, kernel, padding, stride):
    x = torch.randn(1, ci, t, hw, hw)
    w = torch.randn(co, ci, *kernel)
    b = torch.randn(co)
    with torch.no_grad():
        y = F.conv3d(x, w, b, stride=stride, padding=padding)
    flops = 2.0 * y.numel() * ci * kernel[0] * kernel[1] * kernel[2]
    run_torch = lambda: F.conv3d(x, w, b, stride=stride, padding=padding)
    runs = [run_torch]
    if kinema is not None:
        x_cl = x.permute(0, 2, 3, 4, 1).contiguous()
        y_cl = torch.empty(y.permute(0, 2, 3, 4, 1).shape)
        runs.append(kinema.conv(x_cl, w, b, y_cl, stride[1], kernel[0] == 3))
    with torch.no_grad():
        for run in runs * 2:
            run()
        times = [[] for _ in runs]
        for _ in range(15):
            for i, run in enumerate(runs):
                times[i].append(timed(run))
    line = f"{label:40s} torch {median(times[0]) * 1e3:8.3f} ms {flops / median(times[0]) / 1e9:6.1f} GFLOP/s"
    if kinema is not None:
        ours = median(times[1])
        ratio = median([a / b for a, b in zip(times[0], times[1])])
        err = (y_cl.permute(0, 4, 1, 2, 3) - y).abs().max().item() / max(1.0, y.abs().max().item())
        line += (f" | kinema {ours * 1e3:8.3f} ms {flops / ours / 1e9:6.1f} GFLOP/s"
                 f" | kinema speedup {ratio:4.2f}x (median of pairs), rel. diff {err:.1e}")
    print(line)


def ddim(label, n, full):
    x, c, u, noise = (torch.rand(n) for _ in range(4))
    alpha_t, sigma_t, alpha_s, sigma_s, w = 0.6, 0.8, 0.8, 0.6, 7.5

    def step():
        m = u + w * (c - u) if full else c
        x0 = (x - sigma_t * m) / alpha_t
        if full:
            x0 = x0.clamp(-1, 1)
            eps = (x - alpha_t * x0) / sigma_t
            return alpha_s * x0 + 0.5 * eps + 0.3 * noise, x0
        return alpha_s * x0 + sigma_s * m

    step()
    s = median([timed(step) for _ in range(15)])
    nbytes = 4.0 * n * (6 if full else 3)
    print(f"{label:40s} torch {s * 1e3:8.3f} ms {nbytes / s / 1e9:6.1f} GB/s (eager, unfused)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--kinema", help="libkinema.so to run beside PyTorch, paired run by run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    kinema = Kinema(args.kinema, args.threads) if args.kinema else None
    mkldnn = torch.backends.mkldnn.is_available()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {mkldnn}")
    conv(kinema, "spatial B1 T16 32x32 C128 k3 s1", 16, 32, 128, 128, (1, 3, 3), (0, 1, 1), (1, 1, 1))
    conv(kinema, "spatial B1 T16 32x32 C320 k3 s1", 16, 32, 320, 320, (1, 3, 3), (0, 1, 1), (1, 1, 1))
    conv(kinema, "spatial B1 T16 32x32 Ci128 Co256 k3 s1", 16, 32, 128, 256, (1, 3, 3), (0, 1, 1), (1, 1, 1))
    conv(kinema, "spatial B1 T16 32x32 C128 k3 s2", 16, 32, 128, 128, (1, 3, 3), (0, 1, 1), (1, 2, 2))
    conv(kinema, "spatial B1 T16 32x32 Ci128 Co256 k1 s1", 16, 32, 128, 256, (1, 1, 1), (0, 0, 0), (1, 1, 1))
    conv(kinema, "temporal B1 T16 32x32 C128", 16, 32, 128, 128, (3, 1, 1), (1, 0, 0), (1, 1, 1))
    conv(kinema, "temporal B1 T16 32x32 C320", 16, 32, 320, 320, (3, 1, 1), (1, 0, 0), (1, 1, 1))
    ddim("ddim 16M eps, x + out_c -> y", 1 << 24, False)
    ddim("ddim 16M guided+noise+clip -> y, x0", 1 << 24, True)


if __name__ == "__main__":
    main()
