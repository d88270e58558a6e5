"""Deterministic, nowhere-zero random initialisation for golden models.

Scheme (documented so other architectures can reuse it and readers can reason about magnitudes):
  * Conv / Linear weights (ndim >= 2): normal(0, gain / sqrt(fan_in)), fan_in = in_channels * kernel
    volume, so a unit-variance input gives a unit-variance output and activations stay O(1).
  * GroupNorm / LayerNorm weights (affine scale): 1 + normal(0, 0.1).
  * Every bias (including norm shifts): normal(0, 0.1).
Nothing is left at its framework default: in particular layers that diffusers zero-initialises (the last
Conv3d of TemporalConvLayer.conv4) get random weights too, so every path contributes to the output.
Values are drawn in float64 from one torch.Generator, visiting modules in `model.modules()` order and each
module's own parameters in registration order, then rounded to float32 (the stored checkpoint dtype).
"""
import math

import torch
from torch import nn

_NORMS = (nn.GroupNorm, nn.LayerNorm)


def init_deterministic(model, seed, gain=1.0, bias_std=0.1, norm_std=0.1):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            for pname, p in module.named_parameters(recurse=False):
                noise = torch.randn(p.shape, generator=gen, dtype=torch.float64)
                if isinstance(module, _NORMS) and pname == "weight":
                    value = 1.0 + norm_std * noise
                elif pname == "bias" or p.ndim == 1:
                    value = bias_std * noise
                else:
                    fan_in = p[0].numel()
                    value = noise * (gain / math.sqrt(fan_in))
                p.copy_(value.to(p.dtype))
    for name, p in model.named_parameters():
        if not bool((p != 0).all()):
            raise AssertionError(f"parameter {name} has an exact zero after init")
    return model
