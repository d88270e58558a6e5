#!/usr/bin/python3
"""Trains Kinema's embedded default model: a pixel-space text-to-video denoiser on the procedural clips of
shapes_data.py ("red square moving left"), in two variants sharing the data and the prompt encoder:
  unet3d  diffusers UNet3DConditionModel (cross/spatial/temporal attention at 8x8; 32x32 and 16x16 are
          convolutions with temporal convolutions, plus the full-resolution transformer_in)
  latte   diffusers LatteTransformer3DModel (patch 4: 64 tokens a frame)
Both are the plain-PyTorch mirrors of tools/model-goldens (diffusers' module tree and key names), so the
saved checkpoints load through Kinema's diffusers loaders unchanged.

Prompt encoder: a learned token embedding [vocabulary, 64] plus a learned position embedding [4, 64];
encoder_hidden_states = embed[tokens] + position. Classifier-free guidance dropout: 10% of prompts are
replaced by the all-<pad> prompt, which is also the unconditional prompt at sampling time.
Objective: v-prediction (v = sqrt(abar) eps - sqrt(1 - abar) x0, Salimans & Ho 2022), squaredcos_cap_v2 betas
over 1000 steps, uniform timesteps, MSE; AdamW with an EMA of the weights (decay 0.999), which is what gets
saved. Why v and not epsilon: near t = 999 this schedule's alpha_bar is ~1e-8, so an epsilon model's x0
estimate divides its error by ~1e-4 there and the first sampling steps invent noise; epsilon-MSE also gives
the high-noise steps, where the layout of the clip is decided, almost no weight (measured: an epsilon run
with a good loss rendered scattered blocks). Weights are stored as f16 safetensors
(Kinema converts them on load) to keep the embedded model small.

The prompt's direction of motion matters only where the noisy input hides the clip (t >= ~975): there the
best prediction is the mean clip of the prompt, whose object sits at the direction's start in frame 0 and
at its end in the last frame. That is a small part of the loss, and the clip-to-clip spread of the targets
buries it: uniform timesteps never taught it. --high-noise-share / --high-noise-from put a share of each
batch there, and --mean-target-from trains those rows against the prompt's mean clip (shapes_data.
prompt_means), which has the same expected gradient without the spread. Run first with the whole batch
there (--high-noise-share 1), until the loss falls from ~0.03 to ~0.003, then with a share (0.3) so that
the other noise levels recover.

Output: one pipeline folder per variant, in diffusers' pipeline layout (each variant trains its own
prompt encoder):
  model_index.json, scheduler/scheduler_config.json,
  unet/ (or transformer/) config.json + diffusion_pytorch_model.safetensors,
  text_encoder/config.json (vocabulary, prompt length, width) + model.safetensors

Usage: /usr/bin/python3 tools/train-default-model/train.py --arch unet3d --minutes 60 --out models/shapes-unet3d
CPU only (2 threads by default: one run per thread is what two cores do best when both variants train at
once); deterministic for a given --seed and thread count.
"""
import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "model-goldens"))

from kinema_goldens import openblas  # noqa: E402

openblas.configure(openblas.threads_from_argv(sys.argv[1:]))

import torch  # noqa: E402
from torch import nn

import shapes_data  # noqa: E402
from kinema_goldens import safetensors_io  # noqa: E402
from kinema_goldens.latte import LatteTransformer3DModel  # noqa: E402
from kinema_goldens.unet3d import UNet3DConditionModel  # noqa: E402

FRAMES, SIZE, WIDTH = 8, 32, 64
TRAIN_STEPS = 1000
HIGH_NOISE_FROM = 800  # default of --high-noise-from: --high-noise-share draws from [it, TRAIN_STEPS)

UNET3D_CONFIG = {
    "_class_name": "UNet3DConditionModel",
    "in_channels": 3, "out_channels": 3, "sample_size": SIZE,
    "block_out_channels": [16, 32, 64], "layers_per_block": 1,
    "down_block_types": ["DownBlock3D", "DownBlock3D", "CrossAttnDownBlock3D"],
    "up_block_types": ["CrossAttnUpBlock3D", "UpBlock3D", "UpBlock3D"],
    "cross_attention_dim": WIDTH, "attention_head_dim": 8, "norm_num_groups": 8, "norm_eps": 1e-5,
}
LATTE_CONFIG = {
    "_class_name": "LatteTransformer3DModel",
    "in_channels": 3, "out_channels": 3, "sample_size": SIZE, "patch_size": 4, "num_layers": 4,
    "num_attention_heads": 4, "attention_head_dim": 32, "cross_attention_dim": 128, "caption_channels": WIDTH,
    "video_length": FRAMES, "norm_type": "ada_norm_single", "norm_elementwise_affine": False, "norm_eps": 1e-6,
    "attention_bias": True, "activation_fn": "gelu-approximate", "num_embeds_ada_norm": 1000,
}
SCHEDULER_CONFIG = {
    "_class_name": "DDIMScheduler", "num_train_timesteps": TRAIN_STEPS, "beta_schedule": "squaredcos_cap_v2",
    "beta_start": 0.0001, "beta_end": 0.02, "prediction_type": "v_prediction", "timestep_spacing": "trailing",
    "steps_offset": 0, "set_alpha_to_one": True, "clip_sample": True, "clip_sample_range": 1.0,
}


class PromptEncoder(nn.Module):
    """token_embedding [V, D] and position_embedding [L, D]: encoder_hidden_states = embed + position."""

    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(len(shapes_data.VOCABULARY), WIDTH)
        self.position_embedding = nn.Parameter(torch.randn(shapes_data.PROMPT_LENGTH, WIDTH) * 0.02)

    def forward(self, tokens):
        return self.token_embedding(tokens) + self.position_embedding


def cosine_alpha_bar():
    """diffusers' squaredcos_cap_v2 betas (max 0.999) and their cumulative product, in float32."""
    f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = torch.tensor([min(1 - f((i + 1) / TRAIN_STEPS) / f(i / TRAIN_STEPS), 0.999) for i in range(TRAIN_STEPS)],
                         dtype=torch.float32)
    return torch.cumprod(1 - betas, 0)


def build(arch):
    if arch == "unet3d":
        cfg = {k: v for k, v in UNET3D_CONFIG.items() if not k.startswith("_") and k != "sample_size"}
        return UNet3DConditionModel(**cfg), UNET3D_CONFIG
    cfg = {k: v for k, v in LATTE_CONFIG.items() if not k.startswith("_")}
    return LatteTransformer3DModel(**cfg), LATTE_CONFIG


SUBFOLDER = {"unet3d": "unet", "latte": "transformer"}


def save(out, arch, model, encoder, config, log):
    half = lambda m: {k: v.detach().to(torch.float16).contiguous() for k, v in m.state_dict().items()}
    sub = out / SUBFOLDER[arch]
    sub.mkdir(parents=True, exist_ok=True)
    (out / "text_encoder").mkdir(exist_ok=True)
    (out / "scheduler").mkdir(exist_ok=True)
    safetensors_io.save_file(half(model), sub / "diffusion_pytorch_model.safetensors",
                             metadata={"training": json.dumps(log)})
    (sub / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    safetensors_io.save_file(half(encoder), out / "text_encoder" / "model.safetensors")
    (out / "text_encoder" / "config.json").write_text(json.dumps({
        "_class_name": "KinemaPromptEncoder", "vocabulary": shapes_data.VOCABULARY,
        "prompt_length": shapes_data.PROMPT_LENGTH, "hidden_size": WIDTH, "pad_token": shapes_data.PAD,
        "frames": FRAMES, "size": SIZE}, indent=2) + "\n")
    (out / "scheduler" / "scheduler_config.json").write_text(json.dumps(SCHEDULER_CONFIG, indent=2) + "\n")
    (out / "model_index.json").write_text(json.dumps({
        "_class_name": "KinemaTextToVideoPipeline", SUBFOLDER[arch]: ["diffusers", config["_class_name"]],
        "text_encoder": ["kinema", "KinemaPromptEncoder"], "scheduler": ["diffusers", "DDIMScheduler"]},
        indent=2) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=["unet3d", "latte"], required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget (default 60)")
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps (default: the time budget)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=200,
                   help="steps of linear learning-rate warm-up (default 200; a continuation with --init needs few)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--high-noise-share", type=float, default=0.0,
                   help="share of each batch whose timesteps are drawn from [--high-noise-from, 1000) instead of "
                        "all 1000 (default 0: uniform). Only there does the prompt's direction of motion lower the "
                        "loss: below, the noisy clip itself shows where the shape is going")
    p.add_argument("--high-noise-from", type=int, default=HIGH_NOISE_FROM,
                   help=f"first timestep of the --high-noise-share range (default {HIGH_NOISE_FROM}; above about 975 "
                        "the clip is hidden in the noise, so only the prompt can say where the shape goes)")
    p.add_argument("--mean-target-from", type=int, default=None,
                   help="from this timestep on, the target clip is the mean of its prompt's clips instead of the "
                        "clip itself (default: never). Where the input is pure noise the best prediction is that "
                        "mean anyway, so the expected gradient is the same, without the sample-to-sample noise that "
                        "hides the prompt's direction of motion (a small share of the loss) from the optimizer")
    p.add_argument("--init", type=Path, default=None,
                   help="start from the weights of an earlier run's output folder (to continue a run; the "
                        "optimizer starts afresh and the step count restarts)")
    args = p.parse_args(argv)
    if not 0 <= args.high_noise_from < TRAIN_STEPS:
        p.error(f"--high-noise-from must be in [0, {TRAIN_STEPS}), got {args.high_noise_from}")
    if args.mean_target_from is not None and not 0 <= args.mean_target_from < TRAIN_STEPS:
        p.error(f"--mean-target-from must be in [0, {TRAIN_STEPS}), got {args.mean_target_from}")
    if not 0.0 <= args.high_noise_share <= 1.0:
        p.error(f"--high-noise-share must be in [0, 1], got {args.high_noise_share}")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    model, config = build(args.arch)
    encoder = PromptEncoder()
    if args.init is not None:
        weights, _ = safetensors_io.load_file(args.init / SUBFOLDER[args.arch] / "diffusion_pytorch_model.safetensors")
        model.load_state_dict({k: v.float() for k, v in weights.items()})
        weights, _ = safetensors_io.load_file(args.init / "text_encoder" / "model.safetensors")
        encoder.load_state_dict({k: v.float() for k, v in weights.items()})
    params = list(model.parameters()) + list(encoder.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    ema_model, ema_encoder = copy.deepcopy(model), copy.deepcopy(encoder)
    alpha_bar = cosine_alpha_bar()
    gen = torch.Generator().manual_seed(args.seed + 1)
    means = None
    if args.mean_target_from is not None:
        means = shapes_data.prompt_means(FRAMES, SIZE, torch.Generator().manual_seed(args.seed + 2))
    start, step, losses = time.time(), 0, []
    last_save = start
    while True:
        if args.steps is not None and step >= args.steps:
            break
        if args.steps is None and time.time() - start > args.minutes * 60:
            break
        clips, tokens = shapes_data.batch(args.batch, gen, FRAMES, SIZE)
        drop = torch.rand(args.batch, generator=gen) < 0.1
        tokens[drop] = 0
        t = torch.randint(TRAIN_STEPS, (args.batch,), generator=gen)
        if args.high_noise_share > 0:
            noisy_rows = torch.rand(args.batch, generator=gen) < args.high_noise_share
            t = torch.where(noisy_rows, torch.randint(args.high_noise_from, TRAIN_STEPS, (args.batch,), generator=gen), t)
        eps = torch.randn(clips.shape, generator=gen)
        ab = alpha_bar[t].view(-1, 1, 1, 1, 1)
        noisy = ab.sqrt() * clips + (1 - ab).sqrt() * eps
        pred = model(noisy, t.float(), encoder(tokens))
        target_clips = clips
        if means is not None and bool((rows := t >= args.mean_target_from).any()):
            target_clips = torch.where(rows.view(-1, 1, 1, 1, 1), shapes_data.mean_of(means, tokens), clips)
        loss = torch.nn.functional.mse_loss(pred[:, :3], ab.sqrt() * eps - (1 - ab).sqrt() * target_clips)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        # a short warm-up, then constant
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1) / max(1, args.warmup))
        opt.step()
        with torch.no_grad():
            decay = min(0.999, (1 + step) / (10 + step))
            for e, m in ((ema_model, model), (ema_encoder, encoder)):
                for pe, pm in zip(e.parameters(), m.parameters()):
                    pe.mul_(decay).add_(pm, alpha=1 - decay)
        losses.append(loss.item())
        step += 1
        if step % 50 == 0:
            recent = sum(losses[-50:]) / len(losses[-50:])
            print(f"step {step} loss {recent:.4f} {time.time() - start:.0f}s", flush=True)
        if time.time() - last_save > 300:
            save(args.out, args.arch, ema_model, ema_encoder, config, {"steps": step, "partial": True})
            last_save = time.time()
    log = {"steps": step, "minutes": round((time.time() - start) / 60, 1), "batch": args.batch, "lr": args.lr,
           "warmup": args.warmup,
           "high_noise_share": args.high_noise_share, "high_noise_from": args.high_noise_from,
           "mean_target_from": args.mean_target_from,
           "seed": args.seed, "init": str(args.init) if args.init else None, "final_loss": round(sum(losses[-100:]) / max(1, len(losses[-100:])), 5)}
    save(args.out, args.arch, ema_model, ema_encoder, config, log)
    print(json.dumps(log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
