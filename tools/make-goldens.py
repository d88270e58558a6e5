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


def group_norm(inputs, attrs):
    x, gamma, beta = d(inputs["x"]), d(inputs["gamma"]), d(inputs["beta"])
    groups, eps = int(attrs["groups"]), float(attrs.get("eps", "1e-5"))
    if attrs.get("per_frame", "false") in ("true", "1"):
        B, T, H, W, C = x.shape
        frames = x.reshape(B * T, H, W, C).permute(0, 3, 1, 2)  # frames folded into the batch, NCHW
        y = F.group_norm(frames, groups, gamma, beta, eps).permute(0, 2, 3, 1).reshape(B, T, H, W, C)
    else:
        y = P_inv(F.group_norm(P(x), groups, gamma, beta, eps))
    if attrs.get("silu", "false") in ("true", "1"):
        y = F.silu(y)
    return {"y": y}


def layer_norm(inputs, attrs):
    x, C = d(inputs["x"]), inputs["x"].shape[-1]
    y = F.layer_norm(x, (C,), d(inputs.get("gamma")), d(inputs.get("beta")), float(attrs.get("eps", "1e-5")))
    shift, scale = d(inputs.get("shift")), d(inputs.get("scale"))
    if shift is not None or scale is not None:
        view = [x.shape[0]] + [1] * (x.dim() - 2) + [C]  # [B,C] broadcast over the middle dims
        scale = torch.zeros(view, dtype=torch.float64) if scale is None else scale.reshape(view)
        shift = torch.zeros(view, dtype=torch.float64) if shift is None else shift.reshape(view)
        y = y * (1 + scale) + shift
    return {"y": y}


OPS.update({"group_norm": group_norm, "layer_norm": layer_norm})


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


def group_norm_case(seed, shape, groups, per_frame=False, silu=False, offset=0.0):
    g = torch.Generator().manual_seed(seed)
    x = uniform(g, *shape, scale=2.0) + offset
    inputs = {"x": x, "gamma": uniform(g, shape[4], scale=1.5), "beta": uniform(g, shape[4], scale=0.5)}
    return inputs, {"groups": str(groups), "eps": "1e-05", "per_frame": "true" if per_frame else "false",
                    "silu": "true" if silu else "false"}


def layer_norm_case(seed, shape, gamma=False, beta=False, shift=False, scale=False, offset=0.0, eps="1e-06"):
    g = torch.Generator().manual_seed(seed)
    C = shape[-1]
    inputs = {"x": uniform(g, *shape, scale=2.0) + offset}
    if gamma:
        inputs["gamma"] = uniform(g, C, scale=1.5)
    if beta:
        inputs["beta"] = uniform(g, C, scale=0.5)
    if shift:
        inputs["shift"] = uniform(g, shape[0], C, scale=0.5)
    if scale:
        inputs["scale"] = uniform(g, shape[0], C, scale=0.5)
    return inputs, {"eps": eps}


CASES.update({
    "group_norm": {
        "c40_g8_odd_channels_per_group": group_norm_case(401, [1, 3, 5, 7, 40], 8),
        "c40_g8_per_frame_silu": group_norm_case(402, [2, 3, 4, 5, 40], 8, per_frame=True, silu=True),
        "c64_g32_silu_b2": group_norm_case(403, [2, 2, 4, 4, 64], 32, silu=True),
        "c24_g1_mean1000": group_norm_case(404, [1, 2, 6, 6, 24], 1, offset=1000.0),
        "c37_g37_per_frame": group_norm_case(405, [1, 2, 3, 3, 37], 37, per_frame=True),
    },
    "layer_norm": {
        "plain_c32": layer_norm_case(501, [2, 5, 32]),
        "affine_c77": layer_norm_case(502, [1, 4, 77], gamma=True, beta=True),
        "adaln_c64_b2": layer_norm_case(503, [2, 3, 4, 64], gamma=True, beta=True, shift=True, scale=True),
        "scale_only_mean1000": layer_norm_case(504, [2, 6, 48], scale=True, offset=1000.0),
        "shift_gamma_rank2": layer_norm_case(505, [3, 130], gamma=True, shift=True, eps="1e-05"),
    },
})


def temporal_attention(inputs, attrs):
    """The permute + matmul + softmax path of OPS.md, in float64, masks as -inf before the softmax."""
    q, k, v = d(inputs["q"]), d(inputs["k"]), d(inputs["v"])
    B, T, H, W, C = q.shape
    heads = int(attrs["heads"])
    D = C // heads
    scale = float(attrs["scale"]) if "scale" in attrs else D ** -0.5
    window, causal, tmax = int(attrs.get("window", "0")), attrs.get("causal", "0") in ("1", "true"), int(attrs["Tmax"])

    def per_position(x):  # [B,T,H,W,heads*D] -> [B*H*W, heads, T, D]
        return x.reshape(B, T, H * W, heads, D).permute(0, 2, 3, 1, 4).reshape(B * H * W, heads, T, D)

    s = torch.matmul(per_position(q), per_position(k).transpose(-1, -2)) * scale
    i = torch.arange(T).view(T, 1)
    j = torch.arange(T).view(1, T)
    if "rel_bias" in inputs:
        s = s + d(inputs["rel_bias"])[:, j - i + tmax - 1]
    masked = torch.zeros(T, T, dtype=torch.bool)
    if causal:
        masked |= j > i
    if window > 0:
        masked |= (i - j).abs() > window
    s = s.masked_fill(masked, float("-inf"))
    y = torch.matmul(torch.softmax(s, dim=-1), per_position(v))
    return {"y": y.reshape(B, H * W, heads, T, D).permute(0, 3, 1, 2, 4).reshape(B, T, H, W, C)}


def temporal_attention_case(seed, shape, heads, window=0, causal=False, bias=False, tmax=None, scale=None):
    g = torch.Generator().manual_seed(seed)
    T = shape[1]
    tmax = T if tmax is None else tmax
    inputs = {"q": uniform(g, *shape, scale=3.0), "k": uniform(g, *shape), "v": uniform(g, *shape)}
    if bias:
        inputs["rel_bias"] = uniform(g, heads, 2 * tmax - 1)
    attrs = {"heads": str(heads), "window": str(window), "causal": "1" if causal else "0", "Tmax": str(tmax)}
    if scale is not None:
        attrs["scale"] = scale
    return inputs, attrs


OPS.update({"temporal_attention": temporal_attention})
CASES.update({
    "temporal_attention": {
        "t16_d40_h2": temporal_attention_case(601, [1, 16, 2, 3, 80], 2),
        "t5_d64_bias": temporal_attention_case(602, [1, 5, 2, 2, 64], 1, bias=True),
        "t3_window1_d24_h3": temporal_attention_case(603, [2, 3, 2, 2, 72], 3, window=1, bias=True),
        "t6_causal_tmax9_d8": temporal_attention_case(604, [1, 6, 3, 1, 16], 2, causal=True, bias=True, tmax=9),
        "t1_d80": temporal_attention_case(605, [1, 1, 2, 2, 80], 1, bias=True),
        "t20_window3_causal_scale": temporal_attention_case(606, [1, 20, 1, 2, 34], 2, window=3, causal=True,
                                                             scale="0.3"),
    },
})


def linear(inputs, attrs):
    """h = x @ w.T + b; geglu chunks h in two and gates with erf gelu; then * gate[b], + residual."""
    x, w, b = d(inputs["x"]), d(inputs["w"]), d(inputs.get("b"))
    act = attrs.get("act", "none")
    h = F.linear(x, w, b)
    if act == "geglu":
        a, g = h.chunk(2, -1)
        h = a * F.gelu(g)
    elif act == "gelu":
        h = F.gelu(h)
    elif act == "gelu_tanh":
        h = F.gelu(h, approximate="tanh")
    elif act == "silu":
        h = F.silu(h)
    if "gate" in inputs:
        gate = d(inputs["gate"])
        h = h * gate.reshape(gate.shape[0], *([1] * (h.dim() - 2)), gate.shape[1])
    if "residual" in inputs:
        h = h + d(inputs["residual"])
    return {"y": h}


def conv3d(inputs, attrs):
    x, w, b, r = inputs["x"], inputs["w"], inputs.get("b"), inputs.get("residual")
    kt, kh, kw = w.shape[2:]
    y = P_inv(F.conv3d(P(d(x)), d(w), d(b), padding=(kt // 2, kh // 2, kw // 2)))
    return {"y": y if r is None else y + d(r)}


def linear_case(seed, x_shape, n, act, bias=False, gate=False, residual=False):
    g = torch.Generator().manual_seed(seed)
    k = x_shape[-1]
    n_out = n // 2 if act == "geglu" else n
    inputs = {"x": uniform(g, *x_shape, scale=2.0), "w": uniform(g, n, k, scale=2 / math.sqrt(k))}
    if bias:
        inputs["b"] = uniform(g, n, scale=0.5)
    if gate:
        inputs["gate"] = uniform(g, x_shape[0], n_out)
    if residual:
        inputs["residual"] = uniform(g, *x_shape[:-1], n_out)
    return inputs, {"act": act}


def conv3d_case(seed, x_shape, co, kernel, bias, residual):
    g = torch.Generator().manual_seed(seed)
    ci = x_shape[4]
    kt, kh, kw = kernel
    inputs = {"x": uniform(g, *x_shape), "w": uniform(g, co, ci, kt, kh, kw, scale=1 / math.sqrt(ci * kt * kh * kw))}
    if bias:
        inputs["b"] = uniform(g, co, scale=0.5)
    if residual:
        inputs["residual"] = uniform(g, *x_shape[:4], co)
    return inputs, {}


OPS.update({"linear": linear, "conv3d": conv3d})
CASES.update({
    "linear": {
        "none_bias_rank2": linear_case(701, [5, 12], 7, "none", bias=True),
        "gelu_gate_residual": linear_case(702, [2, 6, 16], 24, "gelu", bias=True, gate=True, residual=True),
        "gelu_tanh_rank4": linear_case(703, [2, 3, 2, 8], 10, "gelu_tanh", bias=True),
        "silu_gate": linear_case(704, [3, 4, 20], 12, "silu", gate=True),
        "geglu_bias_residual": linear_case(705, [2, 5, 16], 40, "geglu", bias=True, residual=True),
        "geglu_gate_k70": linear_case(706, [1, 9, 70], 66, "geglu", bias=True, gate=True),
    },
    "conv3d": {
        "k333_ci3_co5_bias": conv3d_case(801, [1, 3, 4, 5, 3], 5, (3, 3, 3), True, False),
        "k333_c16_residual_b2": conv3d_case(802, [2, 2, 3, 4, 16], 16, (3, 3, 3), True, True),
        "k531_ci4_co6": conv3d_case(803, [1, 4, 5, 3, 4], 6, (5, 3, 1), False, True),
        "k155_t1": conv3d_case(804, [1, 1, 4, 6, 5], 7, (1, 5, 5), True, False),
    },
})


def elementwise(op):
    """add, mul, silu, gelu (erf), scale_add in float64; z broadcasts to x by PyTorch's (NumPy's) rules."""
    def run(inputs, attrs):
        x, z = d(inputs["x"]), d(inputs.get("z"))
        if op == "add":
            return {"y": x + z}
        if op == "mul":
            return {"y": x * z}
        if op == "silu":
            return {"y": F.silu(x)}
        if op == "gelu":
            return {"y": F.gelu(x)}
        return {"y": float(attrs.get("a", "1")) * x + float(attrs.get("b", "1")) * z}
    return run


def elementwise_case(seed, op, shape, z_rank=0, scale=3.0, z_shape=None, **attrs):
    """z has x's last z_rank dims, or z_shape when given (e.g. [B,1,1,1,C], broadcast over T, H, W)."""
    g = torch.Generator().manual_seed(seed)
    inputs = {"x": uniform(g, *shape, scale=scale)}
    if op in ("add", "mul", "scale_add"):
        inputs["z"] = uniform(g, *(z_shape or shape[len(shape) - z_rank:]), scale=2.0)
    return inputs, {k: str(v) for k, v in attrs.items()}


OPS.update({op: elementwise(op) for op in ("add", "mul", "silu", "gelu", "scale_add")})
CASES.update({
    "add": {
        "full_shape": elementwise_case(901, "add", [2, 3, 4, 5, 6], 5),
        "channel_vector": elementwise_case(902, "add", [1, 2, 3, 3, 10], 1),
        "frame_plane": elementwise_case(903, "add", [2, 3, 2, 2, 4], 3),
        "last_dim": elementwise_case(904, "add", [3, 7], 1),
        "per_batch_channel": elementwise_case(905, "add", [2, 3, 4, 5, 6], z_shape=[2, 1, 1, 1, 6]),
        "per_channel_b1": elementwise_case(906, "add", [1, 2, 3, 3, 5], z_shape=[1, 1, 1, 1, 5]),
        "shared_channel": elementwise_case(907, "add", [3, 2, 2, 3, 4], z_shape=[1, 1, 1, 1, 4]),
    },
    "mul": {
        "full_shape": elementwise_case(911, "mul", [2, 5, 9], 3),
        "channel_vector": elementwise_case(912, "mul", [1, 2, 4, 4, 12], 1),
        "last_two_dims": elementwise_case(913, "mul", [2, 3, 4, 6], 2),
        "rank1": elementwise_case(914, "mul", [17], 1),
        "per_batch_channel": elementwise_case(915, "mul", [3, 2, 3, 2, 7], z_shape=[3, 1, 1, 1, 7]),
        "per_frame": elementwise_case(916, "mul", [2, 3, 2, 2, 4], z_shape=[2, 3, 1, 1, 4]),
    },
    "silu": {
        "rank5": elementwise_case(921, "silu", [1, 2, 3, 4, 5], scale=6.0),
        "wide_range": elementwise_case(922, "silu", [4, 33], scale=40.0),
        "rank1": elementwise_case(923, "silu", [37], scale=3.0),
        "rank3": elementwise_case(924, "silu", [2, 3, 8], scale=1.0),
    },
    "gelu": {
        "rank5": elementwise_case(931, "gelu", [1, 2, 3, 4, 5], scale=6.0),
        "wide_range": elementwise_case(932, "gelu", [4, 33], scale=12.0),
        "rank1": elementwise_case(933, "gelu", [37], scale=3.0),
        "rank3": elementwise_case(934, "gelu", [2, 3, 8], scale=1.0),
    },
    "scale_add": {
        "full_shape": elementwise_case(941, "scale_add", [2, 3, 4, 5], 4, a=0.75, b=-1.5),
        "channel_vector": elementwise_case(942, "scale_add", [1, 2, 3, 3, 8], 1, a=2.0, b=0.5),
        "last_dim": elementwise_case(943, "scale_add", [5, 6], 1, a=-1.0, b=3.0),
        "default_ab": elementwise_case(944, "scale_add", [2, 9], 2),
    },
})

def frame_attention(inputs, attrs):
    """OPS.md attention: per (b, t, head), softmax(q @ KV_k(t).T * scale) @ KV_v(t), K/V concatenated
    explicitly along N (the reference may; the kernels may not), float64."""
    q, k, v = d(inputs["q"]), d(inputs["k"]), d(inputs["v"])
    B, T, Nq, heads, D = q.shape
    scale = float(attrs["scale"]) if "scale" in attrs else D ** -0.5
    mode = attrs.get("kv_frames", "same")
    if mode == "context":
        k, v = k.unsqueeze(1), v.unsqueeze(1)  # [B,1,L,heads,D]
    frames = {
        "same": lambda t: [t],
        "first": lambda t: [0],
        "sparse_causal": lambda t: [0, max(t - 1, 0)],
        "all": lambda t: list(range(k.shape[1])),
        "context": lambda t: [0],
    }[mode]
    ys = []
    for t in range(T):
        kt = torch.cat([k[:, f] for f in frames(t)], dim=1).permute(0, 2, 1, 3)  # [B,heads,N,D]
        vt = torch.cat([v[:, f] for f in frames(t)], dim=1).permute(0, 2, 1, 3)
        qt = q[:, t].permute(0, 2, 1, 3)  # [B,heads,Nq,D]
        ys.append(torch.matmul(torch.softmax(torch.matmul(qt, kt.transpose(-1, -2)) * scale, -1), vt).permute(0, 2, 1, 3))
    return {"y": torch.stack(ys, dim=1)}


def frame_attention_case(seed, q_shape, kv_shape, kv_frames, scale=None, logits=3.0):
    g = torch.Generator().manual_seed(seed)
    inputs = {"q": uniform(g, *q_shape, scale=logits), "k": uniform(g, *kv_shape), "v": uniform(g, *kv_shape)}
    attrs = {"kv_frames": kv_frames}
    if scale is not None:
        attrs["scale"] = scale
    return inputs, attrs


OPS.update({"attention": frame_attention})
CASES.update({
    "attention": {
        "same_n77_d40_h2": frame_attention_case(1001, [1, 2, 77, 2, 40], [1, 2, 77, 2, 40], "same"),
        "first_t3_tk2_d64": frame_attention_case(1002, [1, 3, 20, 1, 64], [1, 2, 33, 1, 64], "first"),
        "sparse_causal_t4_d80": frame_attention_case(1003, [1, 4, 9, 2, 80], [1, 4, 9, 2, 80], "sparse_causal"),
        "all_t3_tk2_d128": frame_attention_case(1004, [1, 3, 10, 1, 128], [1, 2, 70, 1, 128], "all"),
        "context_l77_d40": frame_attention_case(1005, [2, 2, 16, 2, 40], [2, 77, 2, 40], "context"),
        "context_l1_d8_scale": frame_attention_case(1006, [1, 3, 5, 2, 8], [1, 1, 2, 8], "context", scale="0.3"),
        "sparse_causal_t1_odd_d": frame_attention_case(1007, [2, 1, 66, 1, 33], [2, 1, 65, 1, 33], "sparse_causal",
                                                       scale="0.5"),
    },
})



def upsample_nearest(inputs, attrs):
    """F.interpolate(mode="nearest", scale_factor=(1, 2, 2)) on NCTHW."""
    return {"y": P_inv(F.interpolate(P(d(inputs["x"])), scale_factor=(1, 2, 2), mode="nearest"))}


def patchify(inputs, attrs):
    """[B,T,H,W,C] -> [B,T,(H/p)*(W/p),p*p*C]: patches row-major, inside a patch (ph, pw, c)."""
    x, p = d(inputs["x"]), int(attrs["p"])
    B, T, H, W, C = x.shape
    y = x.reshape(B, T, H // p, p, W // p, p, C).permute(0, 1, 2, 4, 3, 5, 6)
    return {"y": y.reshape(B, T, (H // p) * (W // p), p * p * C)}


def unpatchify(inputs, attrs):
    x, p, H, W = d(inputs["x"]), int(attrs["p"]), int(attrs["H"]), int(attrs["W"])
    B, T, N, K = x.shape
    C = K // (p * p)
    y = x.reshape(B, T, H // p, W // p, p, p, C).permute(0, 1, 2, 4, 3, 5, 6)
    return {"y": y.reshape(B, T, H, W, C)}


def alpha_blend(inputs, attrs):
    mix = d(inputs["mix"])
    alpha = torch.sigmoid(mix) if attrs.get("mode", "learned") == "learned" else mix
    return {"y": alpha * d(inputs["x_spatial"]) + (1 - alpha) * d(inputs["x_temporal"])}


def timestep_embedding(inputs, attrs):
    """diffusers' get_timestep_embedding(t, dim, flip_sin_to_cos, downscale_freq_shift, 1, max_period) in float64."""
    t, dim = d(inputs["t"]), int(attrs["dim"])
    flip = attrs.get("flip_sin_to_cos", "false") in ("true", "1")
    shift = float(attrs.get("downscale_freq_shift", "1"))
    max_period = float(attrs.get("max_period", "10000"))
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float64) / (half - shift)
    emb = t[:, None] * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    if flip:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    return {"y": emb}


def resample_case(seed, shape, **attrs):
    g = torch.Generator().manual_seed(seed)
    return {"x": uniform(g, *shape)}, {k: str(v) for k, v in attrs.items()}


def alpha_blend_case(seed, shape, mode, mix):
    g = torch.Generator().manual_seed(seed)
    inputs = {"x_spatial": uniform(g, *shape), "x_temporal": uniform(g, *shape, scale=3.0),
              "mix": torch.tensor([mix], dtype=torch.float32)}
    return inputs, {"mode": mode}


def timestep_case(seed, batch, dim, flip, shift, max_period="10000.0"):
    g = torch.Generator().manual_seed(seed)
    t = torch.floor(torch.rand(batch, generator=g, dtype=torch.float64) * 1000).float()
    return {"t": t}, {"dim": str(dim), "flip_sin_to_cos": "true" if flip else "false",
                      "downscale_freq_shift": str(shift), "max_period": max_period}


def concat(inputs, attrs):
    """Channels-last concatenation along the last axis (U-Net skip connections)."""
    return {"y": torch.cat([d(inputs["x"]), d(inputs["z"])], dim=-1)}


def concat_case(seed, lead, c1, c2):
    g = torch.Generator().manual_seed(seed)
    return {"x": uniform(g, *lead, c1), "z": uniform(g, *lead, c2, scale=3.0)}, {}


OPS.update({"upsample_nearest": upsample_nearest, "patchify": patchify, "unpatchify": unpatchify,
            "alpha_blend": alpha_blend, "timestep_embedding": timestep_embedding, "concat": concat})
CASES.update({
    "upsample_nearest": {
        "odd_c3": resample_case(1001, [2, 3, 5, 7, 3]),
        "t1_c16": resample_case(1002, [1, 1, 4, 3, 16]),
        "one_pixel": resample_case(1003, [1, 2, 1, 1, 5]),
        "c1_b2": resample_case(1004, [2, 2, 3, 4, 1]),
    },
    "patchify": {
        "p2": resample_case(1011, [1, 2, 4, 6, 3], p=2),
        "p3_b2": resample_case(1012, [2, 1, 6, 9, 4], p=3),
        "p1": resample_case(1013, [1, 1, 3, 5, 2], p=1),
        "p4_one_token": resample_case(1014, [1, 2, 4, 4, 3], p=4),
    },
    "unpatchify": {
        "p2": resample_case(1021, [1, 2, 6, 12], p=2, H=4, W=6),
        "p4_one_token": resample_case(1022, [2, 1, 1, 32], p=4, H=4, W=4),
        "p3_wide": resample_case(1023, [1, 1, 6, 45], p=3, H=6, W=9),
        "p1": resample_case(1024, [1, 3, 6, 7], p=1, H=2, W=3),
    },
    "alpha_blend": {
        "learned": alpha_blend_case(1031, [1, 2, 3, 4, 8], "learned", -0.7),
        "fixed": alpha_blend_case(1032, [2, 3, 5], "fixed", 0.3),
        "learned_large_mix": alpha_blend_case(1033, [1, 3, 2, 2, 16], "learned", 4.5),
        "fixed_outside_01": alpha_blend_case(1034, [4, 7], "fixed", -1.25),
    },
    "timestep_embedding": {
        "sd_320": timestep_case(1041, 4, 320, True, 0.0),
        "ddpm_128_shift1": timestep_case(1042, 3, 128, False, 1.0),
        "period100_dim6": timestep_case(1043, 2, 6, False, -2.0, "100.0"),
        "dim2_flip": timestep_case(1044, 5, 2, True, 0.0),
    },
    "concat": {
        "rank5_c3_c5": concat_case(1051, [2, 3, 2, 2], 3, 5),
        "rank2": concat_case(1052, [7], 4, 9),
        "skip_16_8": concat_case(1053, [1, 2, 3, 3], 16, 8),
        "rank1": concat_case(1054, [], 5, 1),
    },
})

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
