#!/usr/bin/python3
"""PyTorch peer for the denoiser rows of `./kinema bench`: one forward per step of the same reference
configs (benchmarks/configs/ARCH/config.json) at the same shapes and thread count, built with the
plain-PyTorch mirrors of the diffusers classes in tools/model-goldens/kinema_goldens (diffusers' own
module structure; PyTorch's default random init, weights do not change the speed), float32, eager,
under torch.no_grad(). One warm-up call, then up to --repeats timed calls within --budget seconds per
arch (PyTorch's U-Net steps take tens of seconds here: its attention materializes every score matrix).

Prints one JSON object: {"torch": VERSION, "threads": N, "ops": {"denoiser_ARCH": median_seconds, ...}}.
Usage: torch_denoisers.py --root REPO [--threads N] [--repeats R] [--archs unet3d,animatediff,latte]
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

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

# arch -> (mirror module, class name, sample shape [B, C, F, H, W], context shape [B, L, D]); the same
# shapes as DenoiserBenchmarks.REFERENCES.
ARCHS = {
    "unet3d": ("unet3d", "UNet3DConditionModel", (1, 4, 8, 32, 32), (1, 16, 256)),
    "animatediff": ("animatediff", "UNetMotionModel", (1, 4, 8, 32, 32), (1, 16, 256)),
    "latte": ("latte", "LatteTransformer3DModel", (1, 4, 8, 32, 32), (1, 16, 256)),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True, help="the repository root")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds of timed calls per arch; at least one call is timed")
    parser.add_argument("--archs", default=",".join(ARCHS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warn_on_reference_blas()
    sys.path.insert(0, str(args.root / "tools" / "model-goldens"))
    import importlib

    ops = {}
    with torch.no_grad():
        for arch in filter(None, args.archs.split(",")):
            module, cls, sample_shape, context_shape = ARCHS[arch]
            config = json.loads((args.root / "benchmarks" / "configs" / arch / "config.json").read_text())
            config = {k: v for k, v in config.items() if not k.startswith("_")}
            torch.manual_seed(0)
            model = getattr(importlib.import_module("kinema_goldens." + module), cls)(**config).eval()
            gen = torch.Generator().manual_seed(1)
            sample = torch.randn(sample_shape, generator=gen)
            context = torch.randn(context_shape, generator=gen)
            timestep = torch.tensor([500.0])
            model(sample, timestep, context)  # warm-up
            times = []
            while len(times) < args.repeats and (not times or sum(times) < args.budget):
                start = time.perf_counter()
                model(sample, timestep, context)
                times.append(time.perf_counter() - start)
            ops["denoiser_" + arch] = statistics.median(times)
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "ops": ops}))


if __name__ == "__main__":
    main()
