#!/usr/bin/python3
"""End-to-end check of `./kinema op` against PyTorch in float64, at shapes no test uses.

For each case: writes the inputs to a safetensors file, runs `./kinema op NAME --in ... --out ...
--backend B` for every backend given, reads `y` (and `x0`) back and compares with the OPS.md PyTorch
expression in float64 (tolerance max|y - ref| <= 1e-4 * max(1, max|ref|)). Exit 0 when every case is
within tolerance. A development tool (Debian's python3-torch); users and CI never need it.

Usage: tools/check-op-cli.py [--backends cpu,cuda-emu] [--seed N]
"""
import argparse
import importlib.util
import json
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("goldens", ROOT / "tools" / "make-goldens.py")
goldens = importlib.util.module_from_spec(spec)
spec.loader.exec_module(goldens)


def read_safetensors(path):
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    base = 8 + length
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        assert entry["dtype"] == "F32", entry
        t = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=torch.float32)
        out[name] = t.reshape(entry["shape"])
    return out


def cases(gen):
    u = goldens.uniform
    yield "conv_spatial", {"x": u(gen, 2, 3, 11, 13, 20), "w": u(gen, 12, 20, 1, 3, 3, scale=0.3),
                           "b": u(gen, 12)}, {"stride": "2"}
    yield "conv_spatial", {"x": u(gen, 1, 1, 6, 1, 7), "w": u(gen, 9, 7, 1, 3, 3, scale=0.3),
                           "residual": u(gen, 1, 1, 6, 1, 9)}, {}
    yield "conv_spatial", {"x": u(gen, 1, 2, 5, 5, 3), "w": u(gen, 130, 3, 1, 1, 1, scale=0.5),
                           "b": u(gen, 130)}, {"stride": "1"}
    yield "conv_temporal", {"x": u(gen, 1, 6, 5, 7, 24), "w": u(gen, 40, 24, 3, 1, 1, scale=0.2),
                            "b": u(gen, 40), "residual": u(gen, 1, 6, 5, 7, 40)}, {}
    yield "conv_temporal", {"x": u(gen, 3, 1, 2, 3, 5), "w": u(gen, 4, 5, 3, 1, 1, scale=0.4)}, {}
    yield "ddim_step", {"x": u(gen, 3, 5, 7, 9), "out_c": u(gen, 3, 5, 7, 9), "out_u": u(gen, 3, 5, 7, 9),
                        "noise": u(gen, 3, 5, 7, 9)}, {
        "alpha_t": "0.6", "sigma_t": "0.8", "alpha_s": "0.75", "sigma_s": str((1 - 0.75 ** 2) ** 0.5),
        "guidance": "4.5", "prediction": "v", "eta": "0.3"}
    yield "ddim_step", {"x": u(gen, 17), "out_c": u(gen, 17)}, {
        "alpha_t": "0.3", "sigma_t": str((1 - 0.09) ** 0.5), "alpha_s": "1", "sigma_s": "0",
        "prediction": "x0", "clip_x0": "0.5"}
    yield "ddim_step", {"x": u(gen, 2, 1, 3, 3, 4), "out_c": u(gen, 2, 1, 3, 3, 4)}, {
        "alpha_t": "0.9", "sigma_t": str((1 - 0.81) ** 0.5), "alpha_s": "0.95", "sigma_s": str((1 - 0.9025) ** 0.5)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="cpu,cuda-emu")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for index, (op, inputs, attrs) in enumerate(cases(gen)):
            ref = getattr(goldens, op)(inputs, attrs)
            in_path = tmp / f"case{index}_in.safetensors"
            goldens.write_safetensors(in_path, inputs, {})
            for backend in args.backends.split(","):
                out_path = tmp / f"case{index}_{backend}.safetensors"
                command = [str(ROOT / "kinema"), "op", op, "--in", str(in_path), "--out", str(out_path),
                           "--backend", backend]
                for key, value in attrs.items():
                    command += ["--attr", f"{key}={value}"]
                run = subprocess.run(command, capture_output=True, text=True)
                if run.returncode != 0:
                    print(f"FAIL {op} case {index} on {backend}: exit {run.returncode}: {run.stderr.strip()}")
                    failures += 1
                    continue
                got = read_safetensors(out_path)
                for name, expected in ref.items():
                    err = (got[name].double() - expected).abs().max().item()
                    bound = 1e-4 * max(1.0, expected.abs().max().item())
                    ok = err <= bound  # NaN compares false
                    failures += 0 if ok else 1
                    shape = "x".join(str(s) for s in inputs["x"].shape)
                    print(f"{'ok  ' if ok else 'FAIL'} {op:13s} x[{shape}] {backend:8s} {name:2s} "
                          f"max|err| {err:.2e} bound {bound:.1e}")
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
