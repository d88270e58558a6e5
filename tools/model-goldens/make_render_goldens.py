#!/usr/bin/python3
"""Golden renders for Kinema's samplers: whole text-to-video renders of the embedded shapes models computed
in float64 by the plain-PyTorch mirrors of the diffusers denoisers and by mirrors of diffusers' scheduler
steps written here (DDIMScheduler, DDPMScheduler, EulerDiscreteScheduler with and without Karras sigmas),
from Kinema's specified noise (kinema_goldens.philox), with classifier-free guidance batched [uncond; cond].

Kinema's DDIM re-derives eps from the clipped x0 (OPS.md ddim_step), which is diffusers' DDIMScheduler with
use_clipped_model_output=True; that is the mirror here. The Java test (RenderGoldensTest) renders the same
settings and compares.

Usage (from the repository root): /usr/bin/python3 tools/model-goldens/make_render_goldens.py
Writes java/src/test/resources/renders/<name>.safetensors: tensor "video" [3, F, H, W] (float32 of the
float64 result) and the settings in the metadata.
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from kinema_goldens import philox, safetensors_io  # noqa: E402
from kinema_goldens.latte import LatteTransformer3DModel  # noqa: E402
from kinema_goldens.unet3d import UNet3DConditionModel  # noqa: E402

ROOT = HERE.parent.parent
OUT = ROOT / "java" / "src" / "test" / "resources" / "renders"

# (name, model folder, prompt, seed, sampler, steps, guidance)
RENDERS = [
    ("unet3d-ddim", "models/shapes-unet3d", "red square moving right", 1, "ddim", 25, 4.0),
    ("unet3d-ddpm", "models/shapes-unet3d", "blue circle moving left", 2, "ddpm", 10, 4.0),
    ("unet3d-euler", "models/shapes-unet3d", "green triangle moving up", 3, "euler", 10, 4.0),
    ("unet3d-euler-karras", "models/shapes-unet3d", "yellow square moving down", 4, "euler_karras", 10, 4.0),
    ("latte-ddim", "models/shapes-latte", "magenta circle moving right", 5, "ddim", 25, 4.0),
]


def load_pipeline(folder):
    index = json.loads((folder / "model_index.json").read_text())
    sub = "unet" if "unet" in index else "transformer"
    config = json.loads((folder / sub / "config.json").read_text())
    kwargs = {k: v for k, v in config.items() if not k.startswith("_")}
    if sub == "unet":
        kwargs.pop("sample_size", None)
        model = UNet3DConditionModel(**kwargs)
    else:
        model = LatteTransformer3DModel(**kwargs)
    weights, _ = safetensors_io.load_file(folder / sub / "diffusion_pytorch_model.safetensors")
    model.load_state_dict({k: v.double() for k, v in weights.items()})
    model.double().eval()
    encoder, _ = safetensors_io.load_file(folder / "text_encoder" / "model.safetensors")
    text = json.loads((folder / "text_encoder" / "config.json").read_text())
    scheduler = json.loads((folder / "scheduler" / "scheduler_config.json").read_text())
    return model, {k: v.double() for k, v in encoder.items()}, text, scheduler


def encode(encoder, text, prompt):
    vocab = text["vocabulary"]
    ids = [vocab.index(w) for w in prompt.split()] + [0] * (text["prompt_length"] - len(prompt.split()))
    return encoder["token_embedding.weight"][ids] + encoder["position_embedding"]


def alphas_cumprod(s):
    """diffusers' betas (float32 tensors) and their float32 cumulative product, as float64 values."""
    n = s["num_train_timesteps"]
    if s["beta_schedule"] == "squaredcos_cap_v2":
        f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = torch.tensor([min(1 - f((i + 1) / n) / f(i / n), 0.999) for i in range(n)], dtype=torch.float32)
    elif s["beta_schedule"] == "linear":
        betas = torch.linspace(s["beta_start"], s["beta_end"], n, dtype=torch.float32)
    else:
        betas = torch.linspace(s["beta_start"] ** 0.5, s["beta_end"] ** 0.5, n, dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0).double()


def integer_timesteps(s, steps):
    """DDIMScheduler / DDPMScheduler.set_timesteps."""
    n = s["num_train_timesteps"]
    spacing = s.get("timestep_spacing", "leading")
    if spacing == "trailing":
        return (np.round(np.arange(n, 0, -n / steps)).astype(np.int64) - 1).tolist()
    if spacing == "leading":
        return ((np.arange(0, steps) * (n // steps)).round()[::-1].astype(np.int64) + s.get("steps_offset", 0)).tolist()
    return np.linspace(0, n - 1, steps).round()[::-1].astype(np.int64).tolist()


def guided(model, x, t, ctx, w):
    """One batched forward over [uncond; cond], then u + w (c - u)."""
    out = model(torch.cat([x, x]), torch.full((2 * x.shape[0],), float(t), dtype=torch.float64), ctx)
    u, c = out.chunk(2)
    return u + w * (c - u)


def x0_and_eps(s, x, out, a):
    """pred_original_sample and pred_epsilon of DDIMScheduler.step for prediction type s."""
    if s["prediction_type"] == "v_prediction":
        return a.sqrt() * x - (1 - a).sqrt() * out, a.sqrt() * out + (1 - a).sqrt() * x
    if s["prediction_type"] == "sample":
        return out, (x - a.sqrt() * out) / (1 - a).sqrt()
    return (x - (1 - a).sqrt() * out) / a.sqrt(), out


def noise(seed, stream, shape):
    return torch.from_numpy(philox.normal(seed, stream, int(np.prod(shape))).astype(np.float64)).reshape(shape)


def ddim_or_ddpm(model, ctx, s, shape, seed, steps, w, ddpm):
    ab = alphas_cumprod(s)
    n = s["num_train_timesteps"]
    x = noise(seed, 0, shape)
    clip = s.get("clip_sample", True)
    final = torch.tensor(1.0, dtype=torch.float64) if s.get("set_alpha_to_one", True) else ab[0]
    for i, t in enumerate(integer_timesteps(s, steps)):
        out = guided(model, x, t, ctx, w)
        prev = t - n // steps
        a, a_prev = ab[t], (ab[prev] if prev >= 0 else (final if not ddpm else torch.tensor(1.0, dtype=torch.float64)))
        x0, eps = x0_and_eps(s, x, out, a)
        if clip:
            r = s.get("clip_sample_range", 1.0)
            x0 = x0.clamp(-r, r)
        if ddpm:  # DDPMScheduler.step, variance_type fixed_small
            alpha_t, beta_t = a / a_prev, 1 - a / a_prev
            mean = (a_prev.sqrt() * beta_t / (1 - a)) * x0 + (alpha_t.sqrt() * (1 - a_prev) / (1 - a)) * x
            variance = ((1 - a_prev) / (1 - a) * beta_t).clamp(min=1e-20) if t > 0 else torch.tensor(0.0)
            x = mean + variance.sqrt() * noise(seed, i + 1, shape)
        else:  # DDIMScheduler.step, eta 0, use_clipped_model_output=True
            eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x


def euler(model, ctx, s, shape, seed, steps, w, karras):
    """EulerDiscreteScheduler (interpolation_type linear, no churn), optionally with Karras sigmas (rho 7)."""
    ab = alphas_cumprod(s).float()
    n = s["num_train_timesteps"]
    spacing = s.get("timestep_spacing", "linspace")
    if spacing == "linspace":
        timesteps = np.linspace(0, n - 1, steps, dtype=np.float32)[::-1].copy()
    elif spacing == "leading":
        timesteps = (np.arange(0, steps) * (n // steps)).round()[::-1].copy().astype(np.float32) + s.get("steps_offset", 0)
    else:
        timesteps = np.arange(n, 0, -n / steps).round().copy().astype(np.float32) - 1
    sigmas = np.array(((1 - ab) / ab) ** 0.5)
    log_sigmas = np.log(sigmas)
    sigmas = np.interp(timesteps, np.arange(0, len(sigmas)), sigmas)
    if karras:
        rho = 7.0
        ramp = np.linspace(0, 1, steps)
        lo, hi = sigmas[-1] ** (1 / rho), sigmas[0] ** (1 / rho)
        sigmas = (hi + ramp * (lo - hi)) ** rho
        timesteps = np.array([sigma_to_t(x, log_sigmas) for x in sigmas])
    sigmas = np.concatenate([sigmas, [0.0]]).astype(np.float32).astype(np.float64)
    init = sigmas.max() if spacing in ("linspace", "trailing") else (sigmas.max() ** 2 + 1) ** 0.5
    x = noise(seed, 0, shape) * init
    for i, t in enumerate(timesteps):
        sigma, nxt = sigmas[i], sigmas[i + 1]
        out = guided(model, x / (sigma ** 2 + 1) ** 0.5, float(t), ctx, w)
        if s["prediction_type"] == "v_prediction":
            x0 = out * (-sigma / (sigma ** 2 + 1) ** 0.5) + x / (sigma ** 2 + 1)
        elif s["prediction_type"] == "sample":
            x0 = out
        else:
            x0 = x - sigma * out
        x = x + (x - x0) / sigma * (nxt - sigma)
    return x


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low_idx = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high_idx = low_idx + 1
    low, high = log_sigmas[low_idx], log_sigmas[high_idx]
    wgt = np.clip((low - log_sigma) / (low - high), 0, 1)
    return ((1 - wgt) * low_idx + wgt * high_idx).reshape(sigma.shape)


def main():
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, folder, prompt, seed, sampler, steps, w in RENDERS:
        model, encoder, text, s = load_pipeline(ROOT / folder)
        ctx = torch.stack([encode(encoder, text, ""), encode(encoder, text, prompt)])
        shape = (1, 3, text["frames"], text["size"], text["size"])
        with torch.no_grad():
            if sampler in ("ddim", "ddpm"):
                x = ddim_or_ddpm(model, ctx, s, shape, seed, steps, w, sampler == "ddpm")
            else:
                x = euler(model, ctx, s, shape, seed, steps, w, sampler == "euler_karras")
        meta = {"model": folder, "prompt": prompt, "seed": str(seed), "sampler": sampler, "steps": str(steps),
                "guidance": str(w)}
        safetensors_io.save_file({"video": x[0].float().contiguous()}, OUT / f"{name}.safetensors", metadata=meta)
        print(f"{name}: {prompt!r} {sampler} {steps} steps, range [{float(x.min()):.3f}, {float(x.max()):.3f}]")


if __name__ == "__main__":
    main()
