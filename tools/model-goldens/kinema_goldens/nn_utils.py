"""Small helpers shared by the mirrors (diffusers.models.activations.get_activation)."""
from torch import nn


def get_activation(act_fn):
    act_fn = act_fn.lower()
    if act_fn in ("swish", "silu"):
        return nn.SiLU()
    if act_fn == "mish":
        return nn.Mish()
    if act_fn == "gelu":
        return nn.GELU()
    if act_fn == "relu":
        return nn.ReLU()
    raise ValueError(f"Unsupported activation function: {act_fn}")
