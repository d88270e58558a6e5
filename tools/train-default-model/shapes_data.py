"""Procedural training clips for Kinema's embedded default model: one coloured shape moving across a
dark background, described by a prompt over a fixed vocabulary, e.g. "red square moving left".

A clip is F frames of S x S RGB pixels in [-1, 1] (pixel-space diffusion: no autoencoder), laid out
[C, F, H, W] like diffusers' video latents. The shape starts at a random position, moves a fixed number
of pixels per frame in the prompt's direction (wrapping nothing: the start is chosen so it stays
inside), with a little random size jitter; its colour is exact. Everything is a function of a seed.
"""
import functools
import math

import torch

COLOURS = {
    "red": (1.0, -1.0, -1.0),
    "green": (-1.0, 1.0, -1.0),
    "blue": (-1.0, -1.0, 1.0),
    "yellow": (1.0, 1.0, -1.0),
    "magenta": (1.0, -1.0, 1.0),
    "cyan": (-1.0, 1.0, 1.0),
    "white": (1.0, 1.0, 1.0),
}
SHAPES = ("square", "circle", "triangle")
MOTIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
PAD = "<pad>"
# Token order fixes the embedding rows: never reorder, only append.
VOCABULARY = [PAD] + list(COLOURS) + list(SHAPES) + ["moving"] + list(MOTIONS)
PROMPT_LENGTH = 4  # colour shape "moving" direction
BACKGROUND = -0.8


def tokenize(prompt):
    """Words -> token ids, padded to PROMPT_LENGTH; unknown words raise, naming the vocabulary."""
    words = prompt.split()
    for w in words:
        if w not in VOCABULARY or w == PAD:
            raise ValueError(f"unknown word {w!r}; vocabulary: {' '.join(VOCABULARY[1:])}")
    if len(words) > PROMPT_LENGTH:
        raise ValueError(f"at most {PROMPT_LENGTH} words, got {len(words)}")
    return [VOCABULARY.index(w) for w in words] + [0] * (PROMPT_LENGTH - len(words))


def all_prompts():
    return [f"{c} {s} moving {m}" for c in COLOURS for s in SHAPES for m in MOTIONS]


@functools.lru_cache(maxsize=None)
def _pixel_centres(size):
    """(ys, xs) of every pixel's centre, [size, size] each; built once per size (every frame needs them)."""
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                            indexing="ij")
    return ys + 0.5, xs + 0.5


def _mask(shape, cx, cy, r, size):
    ys, xs = _pixel_centres(size)
    dx, dy = xs - cx, ys - cy
    if shape == "square":
        return (dx.abs() <= r) & (dy.abs() <= r)
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    # triangle pointing up: inside when below the two slanted edges and above the base
    return (dy <= r) & (dy >= -r) & (dx.abs() <= (dy + r) * 0.5 + 0.5)


def clip(prompt, frames=8, size=32, speed=2.0, generator=None):
    """The clip of prompt: [3, frames, size, size] in [-1, 1]."""
    colour, shape, _, motion = prompt.split()
    g = generator or torch.Generator().manual_seed(0)
    r = size * (0.16 + 0.04 * torch.rand(1, generator=g).item())
    vx, vy = MOTIONS[motion]
    travel = speed * (frames - 1)
    lo, hi = r + 1, size - r - 1
    def start(v):
        a, b = (lo + travel, hi) if v < 0 else (lo, hi - travel) if v > 0 else (lo, hi)
        return a + (b - a) * torch.rand(1, generator=g).item()
    x0, y0 = start(vx), start(vy)
    out = torch.full((3, frames, size, size), BACKGROUND)
    rgb = torch.tensor(COLOURS[colour]).view(3, 1, 1)
    for f in range(frames):
        m = _mask(shape, x0 + vx * speed * f, y0 + vy * speed * f, r, size)
        out[:, f] = torch.where(m.unsqueeze(0), rgb, out[:, f])
    return out


def batch(batch_size, generator, frames=8, size=32):
    """A random batch: clips [B, 3, F, S, S] and their token ids [B, PROMPT_LENGTH]."""
    prompts = all_prompts()
    idx = torch.randint(len(prompts), (batch_size,), generator=generator)
    clips = torch.stack([clip(prompts[i], frames, size, generator=generator) for i in idx.tolist()])
    tokens = torch.tensor([tokenize(prompts[i]) for i in idx.tolist()])
    return clips, tokens


def prompt_means(frames, size, generator, samples=256):
    """The mean clip of every prompt, {token ids: [3, F, S, S]}, over samples clips each, plus the mean of all
    of them under the all-<pad> (unconditional) prompt."""
    means = {}
    for p in all_prompts():
        clips = torch.stack([clip(p, frames, size, generator=generator) for _ in range(samples)])
        means[tuple(tokenize(p))] = clips.mean(0)
    means[(0,) * PROMPT_LENGTH] = torch.stack(list(means.values())).mean(0)
    return means


def mean_of(means, tokens):
    """The mean clips [B, 3, F, S, S] of a batch of token ids [B, PROMPT_LENGTH]."""
    return torch.stack([means[tuple(row)] for row in tokens.tolist()])
