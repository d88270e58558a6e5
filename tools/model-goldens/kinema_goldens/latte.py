"""Plain-PyTorch mirror of diffusers' LatteTransformer3DModel (Latte video DiT) and its goldens.

diffusers classes mirrored, with identical attribute names (so identical state_dict keys):
  models/transformers/latte_transformer_3d.py  LatteTransformer3DModel
  models/attention.py                BasicTransformerBlock (norm_type "ada_norm_single"), FeedForward (GELU tanh)
  models/attention_processor.py      Attention, AttnProcessor
  models/normalization.py            AdaLayerNormSingle
  models/embeddings.py               PatchEmbed, get_2d_sincos_pos_embed, get_1d_sincos_pos_embed_from_grid,
                                     PixArtAlphaCombinedTimestepSizeEmbeddings, PixArtAlphaTextProjection,
                                     Timesteps, TimestepEmbedding, get_timestep_embedding

Forward (diffusers LatteTransformer3DModel.forward, hidden_states [B, C, F, H, W]):
  1. x.permute(0, 2, 1, 3, 4).reshape(B*F, C, H, W)          frames folded into the batch, (b f) b-major
  2. pos_embed (PatchEmbed): conv p x p stride p, flatten -> [B*F, N, D], N = (H/p)(W/p), + 2-D sincos table
     (interpolation_scale = max(sample_size // 64, 1), base_size = sample_size // p)
  3. adaln_single(t) -> t6 [B, 6D], embedded_timestep [B, D]
  4. caption_projection(ehs) [B, L, D]; ehs_spatial = repeat_interleave(F, dim=0) -> [B*F, L, D]
     t6_spatial = t6.repeat_interleave(F, dim=0) [B*F, 6D];  t6_temp = t6.repeat_interleave(N, dim=0) [B*N, 6D]
  5. for i, (spatial, temporal) in enumerate(zip(transformer_blocks, temporal_transformer_blocks)):
       x = spatial(x, ehs_spatial, t6_spatial)                  self-attn over the N tokens of one frame,
                                                                 cross-attn to the caption
       if enable_temporal_attentions:
         x: [B*F, N, D] -> reshape(B, F, N, D).permute(0, 2, 1, 3).reshape(B*N, F, D)
         if i == 0 and F > 1: x = x + temp_pos_embed             [1, video_length, D]; broadcasting requires
                                                                 F == video_length (no slicing in diffusers)
         x = temporal(x, None, t6_temp)                          self-attn over the F frames of one token
         x -> reshape(B, N, F, D).permute(0, 2, 1, 3).reshape(B*F, N, D)
  6. e = embedded_timestep.repeat_interleave(F, dim=0) [B*F, D]
     shift, scale = (scale_shift_table[None] + e[:, None]).chunk(2, dim=1)   (shift is row 0, scale row 1)
     x = proj_out(norm_out(x) * (1 + scale) + shift)               norm_out: LayerNorm(eps 1e-6, no affine)
  7. unpatchify: reshape(-1, h, w, p, p, Co) -> einsum("nhwpqc->nchpwq") -> reshape(-1, Co, h*p, w*p)
     -> reshape(B, F, Co, H, W).permute(0, 2, 1, 3, 4) -> [B, Co, F, H, W]
  out_channels = in_channels when the config leaves it None; a learned-sigma checkpoint sets it to
  2 * in_channels and the model returns all of them (the pipeline splits off the variance).
"""
import copy
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import safetensors_io
from .attention import BasicTransformerBlock
from .dit_blocks import (AdaLayerNormSingle, PatchEmbed, PixArtAlphaTextProjection, get_1d_sincos_pos_embed_from_grid,
                         get_1d_sincos_pos_embed_from_grid_torch, get_2d_sincos_pos_embed)
from .weights_init import init_deterministic

DEFAULT_CONFIG = {
    "num_attention_heads": 16,
    "attention_head_dim": 88,
    "in_channels": None,
    "out_channels": None,
    "num_layers": 1,
    "dropout": 0.0,
    "cross_attention_dim": None,
    "attention_bias": False,
    "sample_size": 64,
    "patch_size": None,
    "activation_fn": "geglu",
    "num_embeds_ada_norm": None,
    "norm_type": "layer_norm",
    "norm_elementwise_affine": True,
    "norm_eps": 1e-5,
    "caption_channels": None,
    "video_length": 16,
}


class LatteTransformer3DModel(nn.Module):
    """diffusers LatteTransformer3DModel (see the module docstring for the forward)."""

    def __init__(self, **config):
        super().__init__()
        unknown = set(config) - set(DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown config fields {sorted(unknown)}")
        c = dict(DEFAULT_CONFIG)
        c.update(config)
        self.config = c
        inner_dim = c["num_attention_heads"] * c["attention_head_dim"]
        self.inner_dim = inner_dim
        self.video_length = c["video_length"]
        patch_size = c["patch_size"]

        # 1. input layers
        self.height = c["sample_size"]
        self.width = c["sample_size"]
        interpolation_scale = max(c["sample_size"] // 64, 1)
        self.pos_embed = PatchEmbed(height=c["sample_size"], width=c["sample_size"], patch_size=patch_size,
                                    in_channels=c["in_channels"], embed_dim=inner_dim,
                                    interpolation_scale=interpolation_scale)

        def block(cross_attention_dim):
            return BasicTransformerBlock(inner_dim, c["num_attention_heads"], c["attention_head_dim"],
                                         dropout=c["dropout"], cross_attention_dim=cross_attention_dim,
                                         activation_fn=c["activation_fn"],
                                         num_embeds_ada_norm=c["num_embeds_ada_norm"],
                                         attention_bias=c["attention_bias"], norm_type=c["norm_type"],
                                         norm_elementwise_affine=c["norm_elementwise_affine"],
                                         norm_eps=c["norm_eps"])

        # 2. spatial blocks (cross-attention to the caption); 3. temporal blocks (no cross-attention)
        self.transformer_blocks = nn.ModuleList([block(c["cross_attention_dim"]) for _ in range(c["num_layers"])])
        self.temporal_transformer_blocks = nn.ModuleList([block(None) for _ in range(c["num_layers"])])

        # 4. output layers
        self.out_channels = c["in_channels"] if c["out_channels"] is None else c["out_channels"]
        self.norm_out = nn.LayerNorm(inner_dim, elementwise_affine=False, eps=1e-6)
        self.scale_shift_table = nn.Parameter(torch.randn(2, inner_dim) / inner_dim ** 0.5)
        self.proj_out = nn.Linear(inner_dim, patch_size * patch_size * self.out_channels)

        # 5. Latte conditioning
        self.adaln_single = AdaLayerNormSingle(inner_dim, use_additional_conditions=False)
        self.caption_projection = PixArtAlphaTextProjection(in_features=c["caption_channels"], hidden_size=inner_dim)

        # temporal positional embedding: float64 table rounded to float32, non-persistent
        temp_pos_embed = get_1d_sincos_pos_embed_from_grid(inner_dim, np.arange(0, c["video_length"])[:, None])
        self.register_buffer("temp_pos_embed", torch.from_numpy(temp_pos_embed).float().unsqueeze(0),
                             persistent=False)

    def forward(self, hidden_states, timestep, encoder_hidden_states, enable_temporal_attentions=True):
        p = self.config["patch_size"]
        batch_size, channels, num_frame, height, width = hidden_states.shape
        hidden_states = hidden_states.permute(0, 2, 1, 3, 4).reshape(-1, channels, height, width)

        height, width = hidden_states.shape[-2] // p, hidden_states.shape[-1] // p
        num_patches = height * width
        hidden_states = self.pos_embed(hidden_states)

        added_cond_kwargs = {"resolution": None, "aspect_ratio": None}
        timestep, embedded_timestep = self.adaln_single(timestep, added_cond_kwargs=added_cond_kwargs,
                                                        batch_size=batch_size, hidden_dtype=hidden_states.dtype)

        encoder_hidden_states = self.caption_projection(encoder_hidden_states)
        encoder_hidden_states_spatial = encoder_hidden_states.repeat_interleave(num_frame, dim=0).view(
            -1, encoder_hidden_states.shape[-2], encoder_hidden_states.shape[-1])

        timestep_spatial = timestep.repeat_interleave(num_frame, dim=0).view(-1, timestep.shape[-1])
        timestep_temp = timestep.repeat_interleave(num_patches, dim=0).view(-1, timestep.shape[-1])

        for i, (spatial_block, temp_block) in enumerate(zip(self.transformer_blocks,
                                                            self.temporal_transformer_blocks)):
            hidden_states = spatial_block(hidden_states, encoder_hidden_states=encoder_hidden_states_spatial,
                                          timestep=timestep_spatial)
            if enable_temporal_attentions:
                hidden_states = hidden_states.reshape(batch_size, -1, hidden_states.shape[-2],
                                                      hidden_states.shape[-1]).permute(0, 2, 1, 3)
                hidden_states = hidden_states.reshape(-1, hidden_states.shape[-2], hidden_states.shape[-1])
                if i == 0 and num_frame > 1:
                    hidden_states = hidden_states + self.temp_pos_embed
                hidden_states = temp_block(hidden_states, encoder_hidden_states=None, timestep=timestep_temp)
                hidden_states = hidden_states.reshape(batch_size, -1, hidden_states.shape[-2],
                                                      hidden_states.shape[-1]).permute(0, 2, 1, 3)
                hidden_states = hidden_states.reshape(-1, hidden_states.shape[-2], hidden_states.shape[-1])

        embedded_timestep = embedded_timestep.repeat_interleave(num_frame, dim=0).view(-1, embedded_timestep.shape[-1])
        shift, scale = (self.scale_shift_table[None] + embedded_timestep[:, None]).chunk(2, dim=1)
        hidden_states = self.norm_out(hidden_states)
        hidden_states = hidden_states * (1 + scale) + shift
        hidden_states = self.proj_out(hidden_states)

        hidden_states = hidden_states.reshape(shape=(-1, height, width, p, p, self.out_channels))
        hidden_states = torch.einsum("nhwpqc->nchpwq", hidden_states)
        output = hidden_states.reshape(shape=(-1, self.out_channels, height * p, width * p))
        output = output.reshape(batch_size, -1, output.shape[-3], output.shape[-2], output.shape[-1]).permute(
            0, 2, 1, 3, 4)
        return output


# ------------------------------------------------------------------- expected keys, derived from the source

def expected_state_dict_shapes(cfg):
    """Key -> shape of diffusers' LatteTransformer3DModel state_dict, enumerated directly from the attribute
    names and constructor arithmetic of the diffusers source (independently of the module tree above).
    pos_embed.pos_embed and temp_pos_embed are non-persistent buffers and not in the state_dict."""
    c = dict(DEFAULT_CONFIG)
    c.update(cfg)
    d = c["num_attention_heads"] * c["attention_head_dim"]
    p = c["patch_size"]
    co = c["in_channels"] if c["out_channels"] is None else c["out_channels"]
    bias = c["attention_bias"]
    affine = c["norm_elementwise_affine"]
    assert c["norm_type"] == "ada_norm_single" and c["activation_fn"] in ("gelu", "gelu-approximate")
    out = {}

    def lin(name, i, o, b=True):
        out[f"{name}.weight"] = (o, i)
        if b:
            out[f"{name}.bias"] = (o,)

    def norm(name):
        if affine:
            out[f"{name}.weight"] = (d,)
            out[f"{name}.bias"] = (d,)

    def attention(name, kvdim):
        lin(f"{name}.to_q", d, d, bias)
        lin(f"{name}.to_k", kvdim, d, bias)
        lin(f"{name}.to_v", kvdim, d, bias)
        lin(f"{name}.to_out.0", d, d)

    def block(name, cross):
        norm(f"{name}.norm1")
        attention(f"{name}.attn1", d)
        norm(f"{name}.norm2")               # ada_norm_single: norm2 exists with or without attn2
        if cross is not None:
            attention(f"{name}.attn2", cross)
        lin(f"{name}.ff.net.0.proj", d, 4 * d)
        lin(f"{name}.ff.net.2", 4 * d, d)
        out[f"{name}.scale_shift_table"] = (6, d)

    out["pos_embed.proj.weight"] = (d, c["in_channels"], p, p)
    out["pos_embed.proj.bias"] = (d,)
    for i in range(c["num_layers"]):
        block(f"transformer_blocks.{i}", c["cross_attention_dim"])
        block(f"temporal_transformer_blocks.{i}", None)
    out["scale_shift_table"] = (2, d)
    lin("proj_out", d, p * p * co)
    lin("adaln_single.emb.timestep_embedder.linear_1", 256, d)
    lin("adaln_single.emb.timestep_embedder.linear_2", d, d)
    lin("adaln_single.linear", d, 6 * d)
    lin("caption_projection.linear_1", c["caption_channels"], d)
    lin("caption_projection.linear_2", d, d)
    return out


# ---------------------------------------------------------------- second, loop-free functional reference

def reference_forward(sd, cfg, sample, timestep, ehs, enable_temporal_attentions=True):
    """The same forward written directly on the state_dict with the video kept as [B, F, N, D] throughout
    (no frame folding, no repeat_interleave, explicit patchify/unpatchify index arithmetic). Used only to
    cross-check the module mirror; float64 in, float64 out."""
    c = dict(DEFAULT_CONFIG)
    c.update(cfg)
    heads, dh = c["num_attention_heads"], c["attention_head_dim"]
    d, p, eps = heads * dh, c["patch_size"], c["norm_eps"]
    co = c["in_channels"] if c["out_channels"] is None else c["out_channels"]
    w = {k: v.double() for k, v in sd.items()}
    b_, ci, f_, hh, ww = sample.shape
    gh, gw = hh // p, ww // p

    def linear(x, name):
        return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    def layer_norm(x, e):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + e)

    def gelu_tanh(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))

    def silu(x):
        return x / (1.0 + torch.exp(-x))

    def attention(xq, xkv, name):
        q = linear(xq, f"{name}.to_q")
        k = linear(xkv, f"{name}.to_k")
        v = linear(xkv, f"{name}.to_v")
        q = q.reshape(*q.shape[:-1], heads, dh)
        k = k.reshape(*k.shape[:-1], heads, dh)
        v = v.reshape(*v.shape[:-1], heads, dh)
        s = torch.einsum("...qhc,...khc->...hqk", q, k) / math.sqrt(dh)
        a = torch.softmax(s, dim=-1)
        o = torch.einsum("...hqk,...khc->...qhc", a, v).reshape(*xq.shape[:-1], d)
        return linear(o, f"{name}.to_out.0")

    # patchify: token n = i * gw + j holds pixels (i*p + a, j*p + b), flattened as (c, a, b) like the conv kernel
    x = sample.double().permute(0, 2, 1, 3, 4)                       # [B, F, C, H, W]
    x = x.reshape(b_, f_, ci, gh, p, gw, p).permute(0, 1, 3, 5, 2, 4, 6).reshape(b_, f_, gh * gw, ci * p * p)
    x = x @ w["pos_embed.proj.weight"].reshape(d, -1).T + w["pos_embed.proj.bias"]
    # 2-D table: channels [0, D/2) encode the column j, [D/2, D) the row i (base_size = gh, scale 1)
    ii, jj = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij")
    pe = torch.cat([get_1d_sincos_pos_embed_from_grid_torch(d // 2, jj.reshape(-1).double() / (gw / gh)),
                    get_1d_sincos_pos_embed_from_grid_torch(d // 2, ii.reshape(-1).double())], dim=1)
    assert max(c["sample_size"] // 64, 1) == 1 and gh == c["sample_size"] // p
    x = x + pe.float().double()

    # timestep: float32 sinusoid of size 256, cos first, frequencies exp(-ln(1e4) * k / 128)
    k = torch.arange(128, dtype=torch.float32)
    freqs = torch.exp(-math.log(10000.0) * k / 128.0)
    arg = timestep.float()[:, None] * freqs[None]
    temb = torch.cat([torch.cos(arg), torch.sin(arg)], dim=1).double()
    temb = linear(silu(linear(temb, "adaln_single.emb.timestep_embedder.linear_1")),
                  "adaln_single.emb.timestep_embedder.linear_2")        # embedded_timestep [B, D]
    t6 = linear(silu(temb), "adaln_single.linear").reshape(b_, 6, d)    # [B, 6, D]

    ctx = linear(gelu_tanh(linear(ehs.double(), "caption_projection.linear_1")), "caption_projection.linear_2")

    def block(x, name, mod, context):
        # x [..., T, D]; mod [..., 6, D] broadcastable to x's leading dims
        m = w[f"{name}.scale_shift_table"] + mod
        sh_a, sc_a, g_a, sh_m, sc_m, g_m = [m[..., r:r + 1, :] for r in range(6)]
        n = layer_norm(x, eps) * (1 + sc_a) + sh_a
        x = g_a * attention(n, n, f"{name}.attn1") + x
        if context is not None:
            x = attention(x, context, f"{name}.attn2") + x
        n = layer_norm(x, eps) * (1 + sc_m) + sh_m
        ff = linear(gelu_tanh(linear(n, f"{name}.ff.net.0.proj")), f"{name}.ff.net.2")
        return g_m * ff + x

    temp_pe = get_1d_sincos_pos_embed_from_grid_torch(d, torch.arange(c["video_length"])).float().double()
    for i in range(c["num_layers"]):
        # spatial: attention over the N tokens of each (b, f); caption ctx [B, L, D] -> [B, 1, L, D]
        x = block(x, f"transformer_blocks.{i}", t6[:, None], ctx[:, None])
        if enable_temporal_attentions:
            xt = x.permute(0, 2, 1, 3)                                    # [B, N, F, D]
            if i == 0 and f_ > 1:
                xt = xt + temp_pe[None, None]
            xt = block(xt, f"temporal_transformer_blocks.{i}", t6[:, None], None)
            x = xt.permute(0, 2, 1, 3)
    so = w["scale_shift_table"][None] + temb[:, None]                     # [B, 2, D]
    shift, scale = so[:, None, 0:1], so[:, None, 1:2]                     # [B, 1, 1, D]
    x = layer_norm(x, 1e-6) * (1 + scale) + shift
    x = linear(x, "proj_out")                                             # [B, F, N, p*p*Co], (a, b, c) order
    x = x.reshape(b_, f_, gh, gw, p, p, co).permute(0, 6, 1, 2, 4, 3, 5)  # [B, Co, F, gh, a, gw, b]
    return x.reshape(b_, co, f_, gh * p, gw * p)


# ----------------------------------------------------------------------------------------------- goldens

# Tiny config. Everything not fixed by the golden's size (heads, head dim, layers, sample size, caption
# channels, video length) follows the published Latte-1 text-to-video transformer config and diffusers'
# own LatteTransformer3DModel test config: norm_type "ada_norm_single", norm_elementwise_affine False
# (so no LayerNorm has parameters), norm_eps 1e-6, attention_bias True, activation_fn "gelu-approximate",
# num_embeds_ada_norm 1000, out_channels = 2 * in_channels (learned sigma), cross_attention_dim = inner dim
# (the caption projection outputs inner_dim features).
TINY_CONFIG = {
    "num_attention_heads": 2,
    "attention_head_dim": 16,
    "in_channels": 4,
    "out_channels": 8,
    "num_layers": 2,
    "dropout": 0.0,
    "cross_attention_dim": 32,
    "attention_bias": True,
    "sample_size": 8,
    "patch_size": 2,
    "activation_fn": "gelu-approximate",
    "num_embeds_ada_norm": 1000,
    "norm_type": "ada_norm_single",
    "norm_elementwise_affine": False,
    "norm_eps": 1e-6,
    "caption_channels": 24,
    "video_length": 4,
}
# diffusers adds temp_pos_embed [1, video_length, D] to [B*N, F, D] without slicing, so F must equal
# video_length whenever F > 1 (F < video_length raises a broadcasting error); F = 1 skips it.
BATCH, FRAMES, HEIGHT, WIDTH, TEXT_LEN = 2, 4, 8, 8, 5
TIMESTEPS = [981.0, 117.0]   # two different timesteps, exact in float32
WEIGHT_SEED = 20240612
INPUT_SEED = 11


def build_model(config=TINY_CONFIG, seed=WEIGHT_SEED):
    torch.manual_seed(seed)
    model = LatteTransformer3DModel(**config)
    init_deterministic(model, seed)       # float32 values, nothing zero (scale_shift_tables included)
    model.eval()
    return model


def make_inputs(config=TINY_CONFIG, seed=INPUT_SEED):
    gen = torch.Generator().manual_seed(seed)
    sample = torch.randn(BATCH, config["in_channels"], FRAMES, HEIGHT, WIDTH, generator=gen, dtype=torch.float64)
    ehs = torch.randn(BATCH, TEXT_LEN, config["caption_channels"], generator=gen, dtype=torch.float64)
    return {
        "sample": sample.float(),
        "timestep": torch.tensor(TIMESTEPS, dtype=torch.float32),
        "encoder_hidden_states": ehs.float(),
    }


def run_float64(model, inputs, enable_temporal_attentions=True):
    """Forward in float64 on the float32-rounded weights, buffers and inputs (output stays float64)."""
    m = copy.deepcopy(model).double()
    with torch.no_grad():
        return m(inputs["sample"].double(), inputs["timestep"], inputs["encoder_hidden_states"].double(),
                 enable_temporal_attentions=enable_temporal_attentions)


def _self_checks(model, sd, inputs, outputs):
    log = []
    d = model.inner_dim

    # sincos tables: numpy (diffusers' np path) == torch float64 (diffusers' "pt" path) after float32 rounding
    t_np = torch.from_numpy(get_1d_sincos_pos_embed_from_grid(d, np.arange(FRAMES)[:, None])).float()
    t_pt = get_1d_sincos_pos_embed_from_grid_torch(d, torch.arange(FRAMES)[:, None]).float()
    assert torch.equal(t_np, t_pt) and torch.equal(model.temp_pos_embed[0], t_np)
    assert torch.equal(model.temp_pos_embed[0, 0, :d // 2], torch.zeros(d // 2))    # sin(0) = 0, cos(0) = 1
    assert torch.equal(model.temp_pos_embed[0, 0, d // 2:], torch.ones(d // 2))
    g = HEIGHT // TINY_CONFIG["patch_size"]
    pe = torch.from_numpy(get_2d_sincos_pos_embed(d, g, base_size=g, interpolation_scale=1)).float()
    assert torch.equal(model.pos_embed.pos_embed[0], pe)
    # token (i=0, j=1): first half encodes j=1, second half i=0
    half = torch.from_numpy(get_1d_sincos_pos_embed_from_grid(d // 2, np.array([0.0, 1.0]))).float()
    assert torch.equal(pe[1, :d // 2], half[1]) and torch.equal(pe[1, d // 2:], half[0])
    assert torch.equal(pe[g, :d // 2], half[0]) and torch.equal(pe[g, d // 2:], half[1])   # token (1, 0)
    log.append("  sincos: numpy and torch float64 tables agree after float32 rounding; 2-D table puts the"
               " column (w) index in the first half of the channels")

    # independent functional reference
    for name, temporal in (("default", True), ("spatial_only", False)):
        ref = reference_forward(sd, TINY_CONFIG, inputs["sample"], inputs["timestep"],
                                inputs["encoder_hidden_states"], enable_temporal_attentions=temporal)
        diff = (ref - outputs[name]).abs().max().item()
        assert diff < 1e-11, (name, diff)
        log.append(f"  functional reference ({name}): max|diff| {diff:.1e}")
    one = {k: (v[:, :, :1] if k == "sample" else v) for k, v in inputs.items()}
    ref = reference_forward(sd, TINY_CONFIG, one["sample"], one["timestep"], one["encoder_hidden_states"])
    diff = (ref - outputs["single_frame"]).abs().max().item()
    assert diff < 1e-11, diff
    log.append(f"  functional reference (single_frame): max|diff| {diff:.1e}")

    # batch rows are independent: each video alone gives the same output (checks the repeat order of
    # timestep / caption per frame and per token)
    for b in range(BATCH):
        alone = {k: v[b:b + 1] for k, v in inputs.items()}
        diff = (run_float64(model, alone) - outputs["default"][b:b + 1]).abs().max().item()
        assert diff < 1e-12, (b, diff)
    log.append("  batch rows computed alone match the batched output")

    # temporal mixing: changing the last frame changes frame 0 only when temporal attention is on
    pert = dict(inputs)
    s = inputs["sample"].clone()
    s[:, :, -1] += 1.0
    pert["sample"] = s
    d_on = (run_float64(model, pert) - outputs["default"])[:, :, 0].abs().max().item()
    d_off = (run_float64(model, pert, False) - outputs["spatial_only"])[:, :, 0].abs().max().item()
    assert d_on > 1e-3 and d_off == 0.0, (d_on, d_off)
    log.append(f"  perturbing the last frame moves frame 0 by {d_on:.3e} (temporal on) and by {d_off} (off)")

    # F < video_length is rejected exactly like diffusers (temp_pos_embed broadcast)
    short = {k: (v[:, :, :3] if k == "sample" else v) for k, v in inputs.items()}
    try:
        run_float64(model, short)
        raise AssertionError("F=3 < video_length=4 unexpectedly accepted")
    except RuntimeError:
        log.append("  F=3 < video_length=4 raises a broadcasting error, as in diffusers")
    return log


def make_goldens(out_root):
    out_dir = Path(out_root) / "latte"
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    model = build_model()
    inputs = make_inputs()

    sd = {k: v.detach().clone().float().contiguous() for k, v in model.state_dict().items()}
    expected = expected_state_dict_shapes(TINY_CONFIG)
    missing = sorted(set(expected) - set(sd))
    extra = sorted(set(sd) - set(expected))
    bad_shape = sorted(k for k in expected if k in sd and tuple(sd[k].shape) != tuple(expected[k]))
    assert not missing and not extra and not bad_shape, (missing, extra, bad_shape)
    n_params = sum(v.numel() for v in sd.values())
    keys_txt = Path(__file__).resolve().parent.parent / "latte_keys.txt"
    keys_txt.write_text("".join(f"{k} {list(sd[k].shape)}\n" for k in sorted(sd)))

    single = {k: (v[:, :, :1].contiguous() if k == "sample" else v) for k, v in inputs.items()}
    cases = {
        "default": ("io.safetensors", inputs, True),
        "spatial_only": ("io_spatial_only.safetensors", inputs, False),
        "single_frame": ("io_single_frame.safetensors", single, True),
    }
    outputs = {name: run_float64(model, inp, temporal) for name, (_, inp, temporal) in cases.items()}
    co = TINY_CONFIG["out_channels"]
    for name, (_, inp, _) in cases.items():
        f = inp["sample"].shape[2]
        assert tuple(outputs[name].shape) == (BATCH, co, f, HEIGHT, WIDTH), (name, outputs[name].shape)
        assert torch.isfinite(outputs[name]).all()
    assert torch.equal(run_float64(model, inputs), outputs["default"])    # deterministic in-process

    log = [f"latte: {len(sd)} tensors, {n_params} parameters; keys match the source-derived list",
           f"  sample {list(inputs['sample'].shape)} -> output {list(outputs['default'].shape)}"]
    log += _self_checks(model, sd, inputs, outputs)
    dflt = outputs["default"]
    diff = (outputs["spatial_only"] - dflt).abs().max().item()
    log.append(f"  max|spatial_only - default| {diff:.3e}")
    log.append(f"  default output mean {dflt.mean().item():.4f} std {dflt.std().item():.4f}"
               f" max|.| {dflt.abs().max().item():.4f}")

    config_json = dict(TINY_CONFIG)
    config_json["_class_name"] = "LatteTransformer3DModel"
    (out_dir / "config.json").write_text(json.dumps(config_json, indent=2, sort_keys=True) + "\n")
    safetensors_io.save_file(sd, out_dir / "diffusion_pytorch_model.safetensors", metadata={"format": "pt"})
    common_meta = {
        "model": "LatteTransformer3DModel",
        "layout": "sample [B, C, F, H, W]; output [B, out_channels, F, H, W]; timestep [B]; "
                  "encoder_hidden_states [B, L, caption_channels]",
        "precision": "float64 forward on the float32 weights/inputs, output rounded to float32 once",
    }
    for name, (fname, inp, temporal) in cases.items():
        tensors = dict(inp)
        tensors["output"] = outputs[name].float()
        meta = dict(common_meta, enable_temporal_attentions=str(temporal).lower())
        safetensors_io.save_file(tensors, out_dir / fname, metadata=meta)

    back, _ = safetensors_io.load_file(out_dir / "diffusion_pytorch_model.safetensors")
    assert set(back) == set(sd) and all(torch.equal(back[k], sd[k]) for k in sd)
    for name, (fname, inp, temporal) in cases.items():
        back, meta = safetensors_io.load_file(out_dir / fname)
        assert torch.equal(back["output"], outputs[name].float())
        assert torch.equal(back["sample"], inp["sample"])
        assert meta["enable_temporal_attentions"] == str(temporal).lower()

    total = 0
    for f in sorted(out_dir.iterdir()):
        size = f.stat().st_size
        total += size
        log.append(f"  {f.name:40s} {size:9d} B  sha256 {hashlib.sha256(f.read_bytes()).hexdigest()[:16]}")
    log.append(f"  total {total} B")
    return log
