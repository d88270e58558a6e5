#!/usr/bin/python3
"""Writes the PyTorch golden files of the ops to java/src/test/resources/goldens/OP__CASE.safetensors.

Each file holds the op's inputs (f32, named as in shared/OPS.md), its outputs `y` (and `x0`) as the f32
rounding of the float64 result of the OPS.md PyTorch expression on those inputs, and in __metadata__
the key `op` plus one key per attribute. Deterministic: every case has its own seed.

A development tool (Debian's python3-torch, run with /usr/bin/python3); users and CI never run it.
The safetensors package is not needed: the format is written by hand below.
"""
import json
import math
import struct
from pathlib import Path

import torch
import torch.nn.functional as F

OUT_DIR = Path(__file__).resolve().parent.parent / "java" / "src" / "test" / "resources" / "goldens"


def uniform(gen, *shape, scale=1.0):
    """f32 values uniform in [-scale, scale)."""
    return (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1).mul(scale).float()


def P(x):
    """Channels-last [B,T,H,W,C] to PyTorch NCTHW."""
    return x.permute(0, 4, 1, 2, 3)


def P_inv(y):
    return y.permute(0, 2, 3, 4, 1)


def d(t):
    return None if t is None else t.double()


def conv_spatial(inputs, attrs):
    x, w, b, r = inputs["x"], inputs["w"], inputs.get("b"), inputs.get("residual")
    s = int(attrs.get("stride", "1"))
    k = w.shape[3]
    y = P_inv(F.conv3d(P(d(x)), d(w), d(b), stride=(1, s, s), padding=(0, k // 2, k // 2)))
    return {"y": y if r is None else y + d(r)}


def conv_temporal(inputs, attrs):
    x, w, b, r = inputs["x"], inputs["w"], inputs.get("b"), inputs.get("residual")
    y = P_inv(F.conv3d(P(d(x)), d(w), d(b), padding=(1, 0, 0)))
    return {"y": y if r is None else y + d(r)}


def ddim_step(inputs, attrs):
    x, c, u, noise = d(inputs["x"]), d(inputs["out_c"]), d(inputs.get("out_u")), d(inputs.get("noise"))
    at, st = float(attrs["alpha_t"]), float(attrs["sigma_t"])
    as_, ss = float(attrs["alpha_s"]), float(attrs["sigma_s"])
    w = float(attrs.get("guidance", "1"))
    prediction = attrs.get("prediction", "eps")
    eta = float(attrs.get("eta", "0"))
    clip = float(attrs.get("clip_x0", "0"))
    m = u + w * (c - u) if u is not None else c
    if prediction == "eps":
        x0, eps = (x - st * m) / at, m
    elif prediction == "v":
        x0, eps = at * x - st * m, st * x + at * m
    else:
        x0 = m
        eps = (x - at * x0) / st
    if clip > 0:
        x0 = torch.clamp(x0, -clip, clip)
        eps = (x - at * x0) / st
    sigma_eta = 0.0 if eta == 0 else eta * (ss / st) * math.sqrt(st ** 2 - (at * ss / as_) ** 2)
    y = as_ * x0 + math.sqrt(ss ** 2 - sigma_eta ** 2) * eps
    if noise is not None:
        y = y + sigma_eta * noise
    return {"y": y, "x0": x0}


OPS = {"conv_spatial": conv_spatial, "conv_temporal": conv_temporal, "ddim_step": ddim_step}


def conv_spatial_case(seed, x_shape, co, k, stride, bias, residual):
    g = torch.Generator().manual_seed(seed)
    ci = x_shape[4]
    inputs = {"x": uniform(g, *x_shape), "w": uniform(g, co, ci, 1, k, k, scale=1 / math.sqrt(ci * k * k))}
    if bias:
        inputs["b"] = uniform(g, co, scale=0.5)
    if residual:
        ho = (x_shape[2] + 2 * (k // 2) - k) // stride + 1
        wo = (x_shape[3] + 2 * (k // 2) - k) // stride + 1
        inputs["residual"] = uniform(g, x_shape[0], x_shape[1], ho, wo, co)
    return inputs, {"stride": str(stride)}


def conv_temporal_case(seed, x_shape, co, bias, residual):
    g = torch.Generator().manual_seed(seed)
    ci = x_shape[4]
    inputs = {"x": uniform(g, *x_shape), "w": uniform(g, co, ci, 3, 1, 1, scale=1 / math.sqrt(ci * 3))}
    if bias:
        inputs["b"] = uniform(g, co, scale=0.5)
    if residual:
        inputs["residual"] = uniform(g, *x_shape[:4], co)
    return inputs, {}


def ddim_case(seed, shape, t, s, guidance=None, noise=False, **attrs):
    """VP schedule: alpha = cos(pi t / 2), sigma = sin(pi t / 2); attrs left out take their defaults."""
    g = torch.Generator().manual_seed(seed)
    inputs = {"x": uniform(g, *shape), "out_c": uniform(g, *shape)}
    a = {"alpha_t": repr(math.cos(math.pi / 2 * t)), "sigma_t": repr(math.sin(math.pi / 2 * t)),
         "alpha_s": repr(math.cos(math.pi / 2 * s)), "sigma_s": repr(math.sin(math.pi / 2 * s))}
    if guidance is not None:
        inputs["out_u"] = uniform(g, *shape)
        a["guidance"] = repr(guidance)
    if noise:
        inputs["noise"] = uniform(g, *shape)
    a.update({k: v if isinstance(v, str) else repr(v) for k, v in attrs.items()})
    return inputs, a


CASES = {
    "conv_spatial": {
        "t1_k3_s1_ci3_co5_bias": conv_spatial_case(101, [1, 1, 5, 7, 3], 5, 3, 1, True, False),
        "k3_s2_odd_bias_residual": conv_spatial_case(102, [1, 2, 9, 7, 16], 24, 3, 2, True, True),
        "k3_s2_even_b2": conv_spatial_case(103, [2, 1, 8, 6, 8], 8, 3, 2, False, False),
        "k3_s1_c64": conv_spatial_case(104, [1, 1, 6, 5, 64], 64, 3, 1, True, False),
        "k1_s1_c64_residual": conv_spatial_case(105, [1, 2, 4, 4, 64], 32, 1, 1, True, True),
        "k1_s2_c32": conv_spatial_case(106, [1, 1, 7, 5, 32], 16, 1, 2, False, False),
    },
    "conv_temporal": {
        "t1_ci3_co5_bias": conv_temporal_case(201, [1, 1, 4, 5, 3], 5, True, False),
        "t4_c16_co32_bias_residual": conv_temporal_case(202, [1, 4, 3, 5, 16], 32, True, True),
        "t7_c64_b2": conv_temporal_case(203, [2, 7, 2, 3, 64], 64, False, False),
        "t2_c16_residual": conv_temporal_case(204, [1, 2, 3, 3, 16], 16, False, True),
    },
    "ddim_step": {
        "eps_defaults": ddim_case(301, [1, 3, 4, 4, 4], 0.8, 0.6),
        "eps_guidance": ddim_case(302, [1, 2, 5, 3, 8], 0.9, 0.7, guidance=7.5, prediction="eps"),
        "v_guidance": ddim_case(303, [2, 2, 4, 4, 4], 0.6, 0.3, guidance=5.0, prediction="v"),
        "x0_prediction": ddim_case(304, [1, 1, 6, 6, 4], 0.5, 0.2, prediction="x0"),
        "eps_eta1_noise_guidance": ddim_case(305, [1, 3, 4, 4, 4], 0.7, 0.5, guidance=3.0, noise=True,
                                             prediction="eps", eta=1.0),
        "v_eta_half_clip": ddim_case(306, [1, 2, 4, 4, 4], 0.95, 0.8, noise=True, prediction="v", eta=0.5,
                                     clip_x0=1.0),
        "x0_clip_guidance": ddim_case(307, [1, 2, 3, 5, 4], 0.4, 0.1, guidance=2.0, prediction="x0",
                                      clip_x0=0.5),
        "eps_eta0_noise_ignored": ddim_case(308, [1, 1, 4, 4, 4], 0.3, 0.1, noise=True, eta=0.0),
    },
}


def write_safetensors(path, tensors, metadata):
    """Header: 8-byte little-endian length, JSON padded with spaces to 8 bytes; then raw f32 LE data."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        data = tensors[name].contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    total = 0
    for op, cases in CASES.items():
        for case, (inputs, attrs) in cases.items():
            outputs = OPS[op](inputs, attrs)
            tensors = dict(inputs)
            tensors.update({name: value.float() for name, value in outputs.items()})
            path = OUT_DIR / f"{op}__{case}.safetensors"
            write_safetensors(path, tensors, {"op": op, **attrs})
            total += path.stat().st_size
            print(f"{path.name}: {', '.join(f'{n}{list(t.shape)}' for n, t in sorted(tensors.items()))}")
    print(f"{sum(len(c) for c in CASES.values())} files, {total} bytes")


if __name__ == "__main__":
    main()
