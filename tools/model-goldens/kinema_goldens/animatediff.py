"""Plain-PyTorch mirror of diffusers' UNetMotionModel (AnimateDiff) and MotionAdapter, and their goldens.

diffusers classes mirrored, with identical attribute names (so identical state_dict keys):
  models/unets/unet_motion_model.py   UNetMotionModel, MotionAdapter, MotionModules, AnimateDiffTransformer3D
                                      (older releases: TransformerTemporalModel with positional_embeddings=
                                      "sinusoidal"; same keys, same forward), CrossAttnDownBlockMotion,
                                      DownBlockMotion, UNetMidBlockCrossAttnMotion, CrossAttnUpBlockMotion,
                                      UpBlockMotion (older releases: in unet_3d_blocks.py)
  models/embeddings.py                SinusoidalPositionalEmbedding (buffer `pe`, saved in the state_dict)
  models/attention.py                 BasicTransformerBlock with positional_embeddings="sinusoidal"
Shared pieces (resnet.py, transformers.py, attention.py, embeddings.py): ResnetBlock2D, Downsample2D,
Upsample2D, Transformer2DModel, BasicTransformerBlock, Attention, FeedForward/GEGLU, Timesteps,
TimestepEmbedding.

Head-count conventions (different from UNet3DConditionModel!):
  * Spatial attention: UNetMotionModel has a `num_attention_heads` config field (no `attention_head_dim`).
    The blocks build Transformer2DModel(num_attention_heads, out_channels // num_attention_heads, ...), i.e.
    `num_attention_heads` heads of dimension C // heads. `UNetMotionModel.from_unet2d` copies a
    UNet2DConditionModel config and, when its num_attention_heads is null, sets
    num_attention_heads = attention_head_dim (the Stable Diffusion 1.x misnomer: attention_head_dim=8 means
    8 heads; SD 1.5 has 8 heads of 40 at 320 channels). UNet2DConditionModel does the same internally
    ("num_attention_heads = num_attention_heads or attention_head_dim").
  * Temporal attention (motion modules): motion_num_attention_heads heads of dimension
    C // motion_num_attention_heads, inner dim = C.

Motion module (AnimateDiffTransformer3D) forward, input [(b f), C, H, W] with frames b-major:
  residual = x; x -> [b, C, f, H, W]; GroupNorm(norm_num_groups, C, eps=1e-6) over that 5-D tensor (statistics
  over channels-in-group x frames x H x W per video); -> [b*H*W, f, C]; proj_in (Linear C -> C);
  BasicTransformerBlock with double_self_attention=True:
      n = norm1(x) + pe[:, :f];  x = attn1(n) + x          (self-attention over frames)
      n = norm2(x) + pe[:, :f];  x = attn2(n) + x          (second self-attention over frames; the UNet passes
                                                            no encoder_hidden_states to motion modules)
      x = ff(norm3(x)) + x                                  (GEGLU, inner 4*C)
  proj_out (Linear C -> C); back to [(b f), C, H, W]; out = x + residual.
  pe is SinusoidalPositionalEmbedding(C, max_seq_length=motion_max_seq_length):
      pe[0, p, 2i] = sin(p * exp(2i * -ln(10000) / C)),  pe[0, p, 2i+1] = cos(same),  computed in float32.
  It is added to the normalised hidden states (after norm1 and after norm2), not to the residual stream.

Epsilons: ResnetBlock2D GroupNorms and conv_norm_out use config norm_eps; Transformer2DModel and
AnimateDiffTransformer3D GroupNorms use 1e-6; every LayerNorm uses 1e-5.
"""
import copy
import hashlib
import json
import math
from pathlib import Path

import torch
from torch import nn

from . import safetensors_io
from .attention import BasicTransformerBlock
from .embeddings import TimestepEmbedding, Timesteps
from .resnet import Downsample2D, ResnetBlock2D, Upsample2D
from .transformers import Transformer2DModel, TransformerTemporalModel
from .weights_init import init_deterministic

# ------------------------------------------------------------------------------------ motion module pieces


class SinusoidalPositionalEmbedding(nn.Module):
    """diffusers.models.embeddings.SinusoidalPositionalEmbedding: x + pe[:, :seq_len] (persistent buffer `pe`,
    shape [1, max_seq_length, embed_dim], float32 sin at even and cos at odd channels)."""

    def __init__(self, embed_dim, max_seq_length=32):
        super().__init__()
        position = torch.arange(max_seq_length).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, embed_dim, 2) * (-math.log(10000.0) / embed_dim))
        pe = torch.zeros(1, max_seq_length, embed_dim)
        pe[0, :, 0::2] = torch.sin(position * div_term)
        pe[0, :, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        _, seq_length, _ = x.shape
        return x + self.pe[:, :seq_length]


class PositionalBasicTransformerBlock(BasicTransformerBlock):
    """diffusers BasicTransformerBlock (norm_type="layer_norm") with positional_embeddings="sinusoidal":
    `pos_embed` is applied to the normalised hidden states before attn1 and before attn2 (not before ff)."""

    def __init__(self, dim, num_attention_heads, attention_head_dim, positional_embeddings=None,
                 num_positional_embeddings=None, **kwargs):
        super().__init__(dim, num_attention_heads, attention_head_dim, **kwargs)
        if positional_embeddings and num_positional_embeddings is None:
            raise ValueError("num_positional_embeddings is required with positional_embeddings")
        if positional_embeddings == "sinusoidal":
            self.pos_embed = SinusoidalPositionalEmbedding(dim, max_seq_length=num_positional_embeddings)
        elif positional_embeddings is None:
            self.pos_embed = None
        else:
            raise NotImplementedError(positional_embeddings)

    def forward(self, hidden_states, encoder_hidden_states=None):
        norm_hidden_states = self.norm1(hidden_states)
        if self.pos_embed is not None:
            norm_hidden_states = self.pos_embed(norm_hidden_states)
        attn_output = self.attn1(norm_hidden_states,
                                 encoder_hidden_states=encoder_hidden_states if self.only_cross_attention else None)
        hidden_states = attn_output + hidden_states
        if self.attn2 is not None:
            norm_hidden_states = self.norm2(hidden_states)
            if self.pos_embed is not None:
                norm_hidden_states = self.pos_embed(norm_hidden_states)
            attn_output = self.attn2(norm_hidden_states, encoder_hidden_states=encoder_hidden_states)
            hidden_states = attn_output + hidden_states
        norm_hidden_states = self.norm3(hidden_states)
        hidden_states = self.ff(norm_hidden_states) + hidden_states
        return hidden_states


class AnimateDiffTransformer3D(TransformerTemporalModel):
    """diffusers AnimateDiffTransformer3D (keys norm, proj_in, transformer_blocks.N.{pos_embed.pe, norm1, attn1,
    norm2, attn2, norm3, ff}, proj_out). Forward is TransformerTemporalModel's (see transformers.py); only the
    blocks differ (sinusoidal positional embeddings)."""

    def __init__(self, num_attention_heads=16, attention_head_dim=88, in_channels=None, out_channels=None,
                 num_layers=1, dropout=0.0, norm_num_groups=32, cross_attention_dim=None, attention_bias=False,
                 activation_fn="geglu", norm_elementwise_affine=True, double_self_attention=True,
                 positional_embeddings=None, num_positional_embeddings=None):
        super().__init__(num_attention_heads=num_attention_heads, attention_head_dim=attention_head_dim,
                         in_channels=in_channels, out_channels=out_channels, num_layers=num_layers, dropout=dropout,
                         norm_num_groups=norm_num_groups, cross_attention_dim=cross_attention_dim,
                         attention_bias=attention_bias, activation_fn=activation_fn,
                         norm_elementwise_affine=norm_elementwise_affine,
                         double_self_attention=double_self_attention)
        inner_dim = num_attention_heads * attention_head_dim
        # same slot in _modules, so the registration order stays norm, proj_in, transformer_blocks, proj_out
        self.transformer_blocks = nn.ModuleList([
            PositionalBasicTransformerBlock(inner_dim, num_attention_heads, attention_head_dim, dropout=dropout,
                                            cross_attention_dim=cross_attention_dim, activation_fn=activation_fn,
                                            attention_bias=attention_bias,
                                            double_self_attention=double_self_attention,
                                            norm_elementwise_affine=norm_elementwise_affine,
                                            positional_embeddings=positional_embeddings,
                                            num_positional_embeddings=num_positional_embeddings)
            for _ in range(num_layers)])


def _motion_module(channels, heads, groups, max_seq_length, num_layers=1):
    """The AnimateDiffTransformer3D every motion block (and MotionModules) builds."""
    return AnimateDiffTransformer3D(num_attention_heads=heads, attention_head_dim=channels // heads,
                                    in_channels=channels, num_layers=num_layers, norm_num_groups=groups,
                                    cross_attention_dim=None, attention_bias=False, activation_fn="geglu",
                                    positional_embeddings="sinusoidal", num_positional_embeddings=max_seq_length,
                                    double_self_attention=True)


def _as_tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


# ------------------------------------------------------------------------------------------------- blocks


class CrossAttnDownBlockMotion(nn.Module):
    """Per layer: resnet -> attention (spatial, cross-attn) -> motion_module; then downsamplers.0.
    Registration order as in diffusers: attentions, resnets, motion_modules, downsamplers."""

    def __init__(self, in_channels, out_channels, temb_channels, num_layers=1, transformer_layers_per_block=1,
                 resnet_eps=1e-6, resnet_groups=32, num_attention_heads=1, cross_attention_dim=1280,
                 output_scale_factor=1.0, downsample_padding=1, add_downsample=True, use_linear_projection=False,
                 temporal_num_attention_heads=8, temporal_max_seq_length=32,
                 temporal_transformer_layers_per_block=1):
        super().__init__()
        self.has_cross_attention = True
        tl = _as_tuple(transformer_layers_per_block, num_layers)
        ttl = _as_tuple(temporal_transformer_layers_per_block, num_layers)
        resnets, attentions, motion_modules = [], [], []
        for i in range(num_layers):
            in_ch = in_channels if i == 0 else out_channels
            resnets.append(ResnetBlock2D(in_channels=in_ch, out_channels=out_channels, temb_channels=temb_channels,
                                         eps=resnet_eps, groups=resnet_groups,
                                         output_scale_factor=output_scale_factor))
            attentions.append(Transformer2DModel(num_attention_heads, out_channels // num_attention_heads,
                                                 in_channels=out_channels, num_layers=tl[i],
                                                 cross_attention_dim=cross_attention_dim,
                                                 norm_num_groups=resnet_groups,
                                                 use_linear_projection=use_linear_projection))
            motion_modules.append(_motion_module(out_channels, temporal_num_attention_heads, resnet_groups,
                                                 temporal_max_seq_length, ttl[i]))
        self.attentions = nn.ModuleList(attentions)
        self.resnets = nn.ModuleList(resnets)
        self.motion_modules = nn.ModuleList(motion_modules)
        self.downsamplers = nn.ModuleList([Downsample2D(out_channels, use_conv=True, out_channels=out_channels,
                                                        padding=downsample_padding, name="op")]) \
            if add_downsample else None

    def forward(self, hidden_states, temb=None, encoder_hidden_states=None, num_frames=1):
        output_states = ()
        for resnet, attn, motion_module in zip(self.resnets, self.attentions, self.motion_modules):
            hidden_states = resnet(hidden_states, temb)
            hidden_states = attn(hidden_states, encoder_hidden_states=encoder_hidden_states)
            hidden_states = motion_module(hidden_states, num_frames=num_frames)
            output_states += (hidden_states,)
        if self.downsamplers is not None:
            for downsampler in self.downsamplers:
                hidden_states = downsampler(hidden_states)
            output_states += (hidden_states,)
        return hidden_states, output_states


class DownBlockMotion(nn.Module):
    """Per layer: resnet -> motion_module; then downsamplers.0."""

    def __init__(self, in_channels, out_channels, temb_channels, num_layers=1, resnet_eps=1e-6, resnet_groups=32,
                 output_scale_factor=1.0, add_downsample=True, downsample_padding=1, temporal_num_attention_heads=1,
                 temporal_max_seq_length=32, temporal_transformer_layers_per_block=1):
        super().__init__()
        ttl = _as_tuple(temporal_transformer_layers_per_block, num_layers)
        heads = _as_tuple(temporal_num_attention_heads, num_layers)
        resnets, motion_modules = [], []
        for i in range(num_layers):
            in_ch = in_channels if i == 0 else out_channels
            resnets.append(ResnetBlock2D(in_channels=in_ch, out_channels=out_channels, temb_channels=temb_channels,
                                         eps=resnet_eps, groups=resnet_groups,
                                         output_scale_factor=output_scale_factor))
            motion_modules.append(_motion_module(out_channels, heads[i], resnet_groups, temporal_max_seq_length,
                                                 ttl[i]))
        self.resnets = nn.ModuleList(resnets)
        self.motion_modules = nn.ModuleList(motion_modules)
        self.downsamplers = nn.ModuleList([Downsample2D(out_channels, use_conv=True, out_channels=out_channels,
                                                        padding=downsample_padding, name="op")]) \
            if add_downsample else None

    def forward(self, hidden_states, temb=None, num_frames=1):
        output_states = ()
        for resnet, motion_module in zip(self.resnets, self.motion_modules):
            hidden_states = resnet(hidden_states, temb)
            hidden_states = motion_module(hidden_states, num_frames=num_frames)
            output_states += (hidden_states,)
        if self.downsamplers is not None:
            for downsampler in self.downsamplers:
                hidden_states = downsampler(hidden_states)
            output_states += (hidden_states,)
        return hidden_states, output_states


class CrossAttnUpBlockMotion(nn.Module):
    """Per layer: pop skip, cat([h, skip], dim=1), resnet -> attention -> motion_module; then upsamplers.0."""

    def __init__(self, in_channels, out_channels, prev_output_channel, temb_channels, resolution_idx=None,
                 num_layers=1, transformer_layers_per_block=1, resnet_eps=1e-6, resnet_groups=32,
                 num_attention_heads=1, cross_attention_dim=1280, output_scale_factor=1.0, add_upsample=True,
                 use_linear_projection=False, temporal_num_attention_heads=8, temporal_max_seq_length=32,
                 temporal_transformer_layers_per_block=1):
        super().__init__()
        self.has_cross_attention = True
        tl = _as_tuple(transformer_layers_per_block, num_layers)
        ttl = _as_tuple(temporal_transformer_layers_per_block, num_layers)
        resnets, attentions, motion_modules = [], [], []
        for i in range(num_layers):
            res_skip_channels = in_channels if (i == num_layers - 1) else out_channels
            resnet_in_channels = prev_output_channel if i == 0 else out_channels
            resnets.append(ResnetBlock2D(in_channels=resnet_in_channels + res_skip_channels,
                                         out_channels=out_channels, temb_channels=temb_channels, eps=resnet_eps,
                                         groups=resnet_groups, output_scale_factor=output_scale_factor))
            attentions.append(Transformer2DModel(num_attention_heads, out_channels // num_attention_heads,
                                                 in_channels=out_channels, num_layers=tl[i],
                                                 cross_attention_dim=cross_attention_dim,
                                                 norm_num_groups=resnet_groups,
                                                 use_linear_projection=use_linear_projection))
            motion_modules.append(_motion_module(out_channels, temporal_num_attention_heads, resnet_groups,
                                                 temporal_max_seq_length, ttl[i]))
        self.attentions = nn.ModuleList(attentions)
        self.resnets = nn.ModuleList(resnets)
        self.motion_modules = nn.ModuleList(motion_modules)
        self.upsamplers = nn.ModuleList([Upsample2D(out_channels, use_conv=True, out_channels=out_channels)]) \
            if add_upsample else None
        self.resolution_idx = resolution_idx

    def forward(self, hidden_states, res_hidden_states_tuple, temb=None, encoder_hidden_states=None,
                upsample_size=None, num_frames=1):
        for resnet, attn, motion_module in zip(self.resnets, self.attentions, self.motion_modules):
            res_hidden_states = res_hidden_states_tuple[-1]
            res_hidden_states_tuple = res_hidden_states_tuple[:-1]
            hidden_states = torch.cat([hidden_states, res_hidden_states], dim=1)
            hidden_states = resnet(hidden_states, temb)
            hidden_states = attn(hidden_states, encoder_hidden_states=encoder_hidden_states)
            hidden_states = motion_module(hidden_states, num_frames=num_frames)
        if self.upsamplers is not None:
            for upsampler in self.upsamplers:
                hidden_states = upsampler(hidden_states, upsample_size)
        return hidden_states


class UpBlockMotion(nn.Module):
    """Per layer: pop skip, cat([h, skip], dim=1), resnet -> motion_module; then upsamplers.0."""

    def __init__(self, in_channels, prev_output_channel, out_channels, temb_channels, resolution_idx=None,
                 num_layers=1, resnet_eps=1e-6, resnet_groups=32, output_scale_factor=1.0, add_upsample=True,
                 temporal_num_attention_heads=8, temporal_max_seq_length=32, temporal_transformer_layers_per_block=1):
        super().__init__()
        ttl = _as_tuple(temporal_transformer_layers_per_block, num_layers)
        resnets, motion_modules = [], []
        for i in range(num_layers):
            res_skip_channels = in_channels if (i == num_layers - 1) else out_channels
            resnet_in_channels = prev_output_channel if i == 0 else out_channels
            resnets.append(ResnetBlock2D(in_channels=resnet_in_channels + res_skip_channels,
                                         out_channels=out_channels, temb_channels=temb_channels, eps=resnet_eps,
                                         groups=resnet_groups, output_scale_factor=output_scale_factor))
            motion_modules.append(_motion_module(out_channels, temporal_num_attention_heads, resnet_groups,
                                                 temporal_max_seq_length, ttl[i]))
        self.resnets = nn.ModuleList(resnets)
        self.motion_modules = nn.ModuleList(motion_modules)
        self.upsamplers = nn.ModuleList([Upsample2D(out_channels, use_conv=True, out_channels=out_channels)]) \
            if add_upsample else None
        self.resolution_idx = resolution_idx

    def forward(self, hidden_states, res_hidden_states_tuple, temb=None, upsample_size=None, num_frames=1):
        for resnet, motion_module in zip(self.resnets, self.motion_modules):
            res_hidden_states = res_hidden_states_tuple[-1]
            res_hidden_states_tuple = res_hidden_states_tuple[:-1]
            hidden_states = torch.cat([hidden_states, res_hidden_states], dim=1)
            hidden_states = resnet(hidden_states, temb)
            hidden_states = motion_module(hidden_states, num_frames=num_frames)
        if self.upsamplers is not None:
            for upsampler in self.upsamplers:
                hidden_states = upsampler(hidden_states, upsample_size)
        return hidden_states


class UNetMidBlockCrossAttnMotion(nn.Module):
    """resnets[0]; then per layer: attentions[i] -> motion_modules[i] -> resnets[i+1] (motion module BEFORE the
    second resnet, unlike the down/up blocks where it comes last)."""

    def __init__(self, in_channels, temb_channels, num_layers=1, transformer_layers_per_block=1, resnet_eps=1e-6,
                 resnet_groups=32, num_attention_heads=1, output_scale_factor=1.0, cross_attention_dim=1280,
                 use_linear_projection=False, temporal_num_attention_heads=1, temporal_max_seq_length=32,
                 temporal_transformer_layers_per_block=1):
        super().__init__()
        self.has_cross_attention = True
        resnet_groups = resnet_groups if resnet_groups is not None else min(in_channels // 4, 32)
        tl = _as_tuple(transformer_layers_per_block, num_layers)
        ttl = _as_tuple(temporal_transformer_layers_per_block, num_layers)

        def resnet():
            return ResnetBlock2D(in_channels=in_channels, out_channels=in_channels, temb_channels=temb_channels,
                                 eps=resnet_eps, groups=resnet_groups, output_scale_factor=output_scale_factor)

        resnets = [resnet()]
        attentions, motion_modules = [], []
        for i in range(num_layers):
            attentions.append(Transformer2DModel(num_attention_heads, in_channels // num_attention_heads,
                                                 in_channels=in_channels, num_layers=tl[i],
                                                 cross_attention_dim=cross_attention_dim,
                                                 norm_num_groups=resnet_groups,
                                                 use_linear_projection=use_linear_projection))
            resnets.append(resnet())
            motion_modules.append(_motion_module(in_channels, temporal_num_attention_heads, resnet_groups,
                                                 temporal_max_seq_length, ttl[i]))
        self.attentions = nn.ModuleList(attentions)
        self.resnets = nn.ModuleList(resnets)
        self.motion_modules = nn.ModuleList(motion_modules)

    def forward(self, hidden_states, temb=None, encoder_hidden_states=None, num_frames=1):
        hidden_states = self.resnets[0](hidden_states, temb)
        for attn, resnet, motion_module in zip(self.attentions, self.resnets[1:], self.motion_modules):
            hidden_states = attn(hidden_states, encoder_hidden_states=encoder_hidden_states)
            hidden_states = motion_module(hidden_states, num_frames=num_frames)
            hidden_states = resnet(hidden_states, temb)
        return hidden_states


# -------------------------------------------------------------------------------------------------- model

DEFAULT_CONFIG = {
    "sample_size": None,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["CrossAttnDownBlockMotion", "CrossAttnDownBlockMotion", "CrossAttnDownBlockMotion",
                         "DownBlockMotion"],
    "up_block_types": ["UpBlockMotion", "CrossAttnUpBlockMotion", "CrossAttnUpBlockMotion", "CrossAttnUpBlockMotion"],
    "block_out_channels": [320, 640, 1280, 1280],
    "layers_per_block": 2,
    "downsample_padding": 1,
    "mid_block_scale_factor": 1,
    "act_fn": "silu",
    "norm_num_groups": 32,
    "norm_eps": 1e-5,
    "cross_attention_dim": 1280,
    "transformer_layers_per_block": 1,
    "reverse_transformer_layers_per_block": None,
    "temporal_transformer_layers_per_block": 1,
    "reverse_temporal_transformer_layers_per_block": None,
    "transformer_layers_per_mid_block": None,
    "temporal_transformer_layers_per_mid_block": 1,
    "use_linear_projection": False,
    "num_attention_heads": 8,
    "motion_max_seq_length": 32,
    "motion_num_attention_heads": 8,
    "reverse_motion_num_attention_heads": None,
    "use_motion_mid_block": True,
    "mid_block_layers": 1,
    "encoder_hid_dim": None,
    "encoder_hid_dim_type": None,
    "addition_embed_type": None,
    "addition_time_embed_dim": None,
    "projection_class_embeddings_input_dim": None,
    "time_cond_proj_dim": None,
}


class UNetMotionModel(nn.Module):
    """diffusers UNetMotionModel. forward(sample [B, C, F, H, W], timestep, encoder_hidden_states) ->
    [B, out_channels, F, H, W].

    encoder_hidden_states may be [B, L, D] (repeated per frame here with repeat_interleave, as diffusers'
    UNetMotionModel did up to the releases that moved the repeat into the pipelines) or already [B*F, L, D]
    (current diffusers: AnimateDiffPipeline calls prompt_embeds.repeat_interleave(num_frames, dim=0) before
    the UNet, and UNetMotionModel.forward no longer repeats). Both give the same result.
    """

    def __init__(self, **config):
        super().__init__()
        unknown = set(config) - set(DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown config fields {sorted(unknown)}")
        cfg = dict(DEFAULT_CONFIG)
        cfg.update(copy.deepcopy(config))
        self.config = cfg
        for field in ("encoder_hid_dim_type", "addition_embed_type", "time_cond_proj_dim",
                      "reverse_transformer_layers_per_block", "reverse_temporal_transformer_layers_per_block",
                      "reverse_motion_num_attention_heads"):
            if cfg[field] is not None:
                raise NotImplementedError(f"{field} is not mirrored")
        if not cfg["use_motion_mid_block"]:
            raise NotImplementedError("use_motion_mid_block=False (plain UNetMidBlock2DCrossAttn) is not mirrored")
        boc = cfg["block_out_channels"]
        n = len(cfg["down_block_types"])
        assert len(cfg["up_block_types"]) == n == len(boc)
        norm_eps, groups, act_fn = cfg["norm_eps"], cfg["norm_num_groups"], cfg["act_fn"]
        assert act_fn == "silu"
        num_attention_heads = _as_tuple(cfg["num_attention_heads"], n)
        cross_attention_dim = _as_tuple(cfg["cross_attention_dim"], n)
        layers_per_block = _as_tuple(cfg["layers_per_block"], n)
        transformer_layers = _as_tuple(cfg["transformer_layers_per_block"], n)
        temporal_layers = _as_tuple(cfg["temporal_transformer_layers_per_block"], n)
        motion_heads = _as_tuple(cfg["motion_num_attention_heads"], n)
        max_seq = cfg["motion_max_seq_length"]

        self.conv_in = nn.Conv2d(cfg["in_channels"], boc[0], kernel_size=3, padding=1)
        time_embed_dim = boc[0] * 4
        self.time_proj = Timesteps(boc[0], True, 0)
        self.time_embedding = TimestepEmbedding(boc[0], time_embed_dim, act_fn=act_fn)
        self.encoder_hid_proj = None
        self.down_blocks = nn.ModuleList([])
        self.up_blocks = nn.ModuleList([])

        output_channel = boc[0]
        for i, kind in enumerate(cfg["down_block_types"]):
            input_channel, output_channel = output_channel, boc[i]
            is_final_block = i == n - 1
            if kind == "CrossAttnDownBlockMotion":
                block = CrossAttnDownBlockMotion(
                    in_channels=input_channel, out_channels=output_channel, temb_channels=time_embed_dim,
                    num_layers=layers_per_block[i], transformer_layers_per_block=transformer_layers[i],
                    resnet_eps=norm_eps, resnet_groups=groups, num_attention_heads=num_attention_heads[i],
                    cross_attention_dim=cross_attention_dim[i], downsample_padding=cfg["downsample_padding"],
                    add_downsample=not is_final_block, use_linear_projection=cfg["use_linear_projection"],
                    temporal_num_attention_heads=motion_heads[i], temporal_max_seq_length=max_seq,
                    temporal_transformer_layers_per_block=temporal_layers[i])
            elif kind == "DownBlockMotion":
                block = DownBlockMotion(
                    in_channels=input_channel, out_channels=output_channel, temb_channels=time_embed_dim,
                    num_layers=layers_per_block[i], resnet_eps=norm_eps, resnet_groups=groups,
                    add_downsample=not is_final_block, downsample_padding=cfg["downsample_padding"],
                    temporal_num_attention_heads=motion_heads[i], temporal_max_seq_length=max_seq,
                    temporal_transformer_layers_per_block=temporal_layers[i])
            else:
                raise ValueError(kind)
            self.down_blocks.append(block)

        mid_tl = cfg["transformer_layers_per_mid_block"]
        if mid_tl is None:
            mid_tl = transformer_layers[-1] if isinstance(transformer_layers[-1], int) else 1
        self.mid_block = UNetMidBlockCrossAttnMotion(
            in_channels=boc[-1], temb_channels=time_embed_dim, resnet_eps=norm_eps,
            output_scale_factor=cfg["mid_block_scale_factor"], cross_attention_dim=cross_attention_dim[-1],
            num_attention_heads=num_attention_heads[-1], resnet_groups=groups,
            use_linear_projection=cfg["use_linear_projection"], num_layers=cfg["mid_block_layers"],
            temporal_num_attention_heads=motion_heads[-1], temporal_max_seq_length=max_seq,
            transformer_layers_per_block=mid_tl,
            temporal_transformer_layers_per_block=cfg["temporal_transformer_layers_per_mid_block"])

        self.num_upsamplers = 0
        rev = list(reversed(boc))
        rev_heads = list(reversed(num_attention_heads))
        rev_layers = list(reversed(layers_per_block))
        rev_cross = list(reversed(cross_attention_dim))
        rev_motion_heads = list(reversed(motion_heads))
        rev_tl = list(reversed(transformer_layers))
        rev_ttl = list(reversed(temporal_layers))
        output_channel = rev[0]
        for i, kind in enumerate(cfg["up_block_types"]):
            is_final_block = i == n - 1
            prev_output_channel, output_channel = output_channel, rev[i]
            input_channel = rev[min(i + 1, n - 1)]
            add_upsample = not is_final_block
            if add_upsample:
                self.num_upsamplers += 1
            if kind == "CrossAttnUpBlockMotion":
                block = CrossAttnUpBlockMotion(
                    in_channels=input_channel, out_channels=output_channel, prev_output_channel=prev_output_channel,
                    temb_channels=time_embed_dim, resolution_idx=i, num_layers=rev_layers[i] + 1,
                    transformer_layers_per_block=rev_tl[i], resnet_eps=norm_eps, resnet_groups=groups,
                    num_attention_heads=rev_heads[i], cross_attention_dim=rev_cross[i], add_upsample=add_upsample,
                    use_linear_projection=cfg["use_linear_projection"],
                    temporal_num_attention_heads=rev_motion_heads[i], temporal_max_seq_length=max_seq,
                    temporal_transformer_layers_per_block=rev_ttl[i])
            elif kind == "UpBlockMotion":
                block = UpBlockMotion(
                    in_channels=input_channel, prev_output_channel=prev_output_channel, out_channels=output_channel,
                    temb_channels=time_embed_dim, resolution_idx=i, num_layers=rev_layers[i] + 1,
                    resnet_eps=norm_eps, resnet_groups=groups, add_upsample=add_upsample,
                    temporal_num_attention_heads=rev_motion_heads[i], temporal_max_seq_length=max_seq,
                    temporal_transformer_layers_per_block=rev_ttl[i])
            else:
                raise ValueError(kind)
            self.up_blocks.append(block)

        self.conv_norm_out = nn.GroupNorm(num_channels=boc[0], num_groups=groups, eps=norm_eps)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(boc[0], cfg["out_channels"], kernel_size=3, padding=1)

    @property
    def dtype(self):
        return next(self.parameters()).dtype

    def forward(self, sample, timestep, encoder_hidden_states):
        default_overall_up_factor = 2 ** self.num_upsamplers
        forward_upsample_size = any(s % default_overall_up_factor != 0 for s in sample.shape[-2:])
        upsample_size = None

        # 1. time (python float -> float64 tensor, int -> int64, 0-d -> [1]; then expand to B)
        timesteps = timestep
        if not torch.is_tensor(timesteps):
            dtype = torch.float64 if isinstance(timestep, float) else torch.int64
            timesteps = torch.tensor([timesteps], dtype=dtype, device=sample.device)
        elif len(timesteps.shape) == 0:
            timesteps = timesteps[None].to(sample.device)
        batch, num_frames = sample.shape[0], sample.shape[2]
        timesteps = timesteps.expand(batch)
        t_emb = self.time_proj(timesteps)                   # float32, like diffusers
        t_emb = t_emb.to(dtype=self.dtype)
        emb = self.time_embedding(t_emb)
        emb = emb.repeat_interleave(num_frames, dim=0)      # row b*F + f <- b
        if encoder_hidden_states.shape[0] != batch * num_frames:
            assert encoder_hidden_states.shape[0] == batch, encoder_hidden_states.shape
            encoder_hidden_states = encoder_hidden_states.repeat_interleave(num_frames, dim=0)

        # 2. pre-process: [B, C, F, H, W] -> [(B F), C, H, W]
        sample = sample.permute(0, 2, 1, 3, 4).reshape((batch * num_frames, -1) + sample.shape[3:])
        sample = self.conv_in(sample)

        # 3. down
        down_block_res_samples = (sample,)
        for downsample_block in self.down_blocks:
            if getattr(downsample_block, "has_cross_attention", False):
                sample, res_samples = downsample_block(hidden_states=sample, temb=emb,
                                                       encoder_hidden_states=encoder_hidden_states,
                                                       num_frames=num_frames)
            else:
                sample, res_samples = downsample_block(hidden_states=sample, temb=emb, num_frames=num_frames)
            down_block_res_samples += res_samples

        # 4. mid
        sample = self.mid_block(sample, emb, encoder_hidden_states=encoder_hidden_states, num_frames=num_frames)

        # 5. up
        for i, upsample_block in enumerate(self.up_blocks):
            is_final_block = i == len(self.up_blocks) - 1
            res_samples = down_block_res_samples[-len(upsample_block.resnets):]
            down_block_res_samples = down_block_res_samples[: -len(upsample_block.resnets)]
            if not is_final_block and forward_upsample_size:
                upsample_size = down_block_res_samples[-1].shape[2:]
            if getattr(upsample_block, "has_cross_attention", False):
                sample = upsample_block(hidden_states=sample, temb=emb, res_hidden_states_tuple=res_samples,
                                        encoder_hidden_states=encoder_hidden_states, upsample_size=upsample_size,
                                        num_frames=num_frames)
            else:
                sample = upsample_block(hidden_states=sample, temb=emb, res_hidden_states_tuple=res_samples,
                                        upsample_size=upsample_size, num_frames=num_frames)

        # 6. post-process
        sample = self.conv_norm_out(sample)
        sample = self.conv_act(sample)
        sample = self.conv_out(sample)
        # [(B F), C, H, W] -> [B, C, F, H, W]
        return sample[None, :].reshape((-1, num_frames) + sample.shape[1:]).permute(0, 2, 1, 3, 4)


# ------------------------------------------------------------------------------------------ MotionAdapter


class MotionModules(nn.Module):
    """diffusers MotionModules: a ModuleList `motion_modules` of AnimateDiffTransformer3D."""

    def __init__(self, in_channels, layers_per_block=2, transformer_layers_per_block=8, num_attention_heads=8,
                 norm_num_groups=32, max_seq_length=32):
        super().__init__()
        tl = _as_tuple(transformer_layers_per_block, layers_per_block)
        self.motion_modules = nn.ModuleList([
            _motion_module(in_channels, num_attention_heads, norm_num_groups, max_seq_length, tl[i])
            for i in range(layers_per_block)])


MOTION_ADAPTER_DEFAULTS = {
    "block_out_channels": [320, 640, 1280, 1280],
    "motion_layers_per_block": 2,
    "motion_transformer_layers_per_block": 1,
    "motion_mid_block_layers_per_block": 1,
    "motion_transformer_layers_per_mid_block": 1,
    "motion_num_attention_heads": 8,
    "motion_norm_num_groups": 32,
    "motion_max_seq_length": 32,
    "use_motion_mid_block": True,
    "conv_in_channels": None,
}


class MotionAdapter(nn.Module):
    """diffusers MotionAdapter: down_blocks.i (MotionModules, motion_layers_per_block modules), mid_block
    (MotionModules, motion_mid_block_layers_per_block modules), up_blocks.i (reversed channels,
    motion_layers_per_block + 1 modules); conv_in only for PIA (conv_in_channels). No forward."""

    def __init__(self, **config):
        super().__init__()
        cfg = dict(MOTION_ADAPTER_DEFAULTS)
        cfg.update(config)
        if cfg["conv_in_channels"]:
            raise NotImplementedError("conv_in_channels (PIA) is not mirrored")
        boc = cfg["block_out_channels"]
        n = len(boc)
        layers = _as_tuple(cfg["motion_layers_per_block"], n)
        tl = _as_tuple(cfg["motion_transformer_layers_per_block"], n)
        heads = _as_tuple(cfg["motion_num_attention_heads"], n)
        groups, max_seq = cfg["motion_norm_num_groups"], cfg["motion_max_seq_length"]
        self.conv_in = None
        down = [MotionModules(boc[i], layers[i], tl[i], heads[i], groups, max_seq) for i in range(n)]
        self.mid_block = MotionModules(boc[-1], cfg["motion_mid_block_layers_per_block"],
                                       cfg["motion_transformer_layers_per_mid_block"], heads[-1], groups, max_seq) \
            if cfg["use_motion_mid_block"] else None
        rev, rev_layers, rev_tl, rev_heads = (list(reversed(x)) for x in (boc, layers, tl, heads))
        up = [MotionModules(rev[i], rev_layers[i] + 1, rev_tl[i], rev_heads[i], groups, max_seq) for i in range(n)]
        self.down_blocks = nn.ModuleList(down)
        self.up_blocks = nn.ModuleList(up)


# ------------------------------------------------------------------- expected keys, derived from the source

def expected_state_dict_shapes(cfg):
    """(unet2d, motion): key -> shape of diffusers' UNet2DConditionModel state_dict and of the motion-module
    part of UNetMotionModel / MotionAdapter, enumerated from the attribute names and constructor arithmetic of
    the diffusers source (independently of the module tree above). Tiny-config subset: int layer counts, one
    transformer layer per attention, no class/addition embeddings."""
    c = dict(DEFAULT_CONFIG)
    c.update(cfg)
    u2d, motion = {}, {}

    def lin(out, p, i, o, bias=True):
        out[f"{p}.weight"] = (o, i)
        if bias:
            out[f"{p}.bias"] = (o,)

    def conv(out, p, i, o, k=3):
        out[f"{p}.weight"] = (o, i, k, k)
        out[f"{p}.bias"] = (o,)

    def norm(out, p, ch):
        out[f"{p}.weight"] = (ch,)
        out[f"{p}.bias"] = (ch,)

    def basic_block(out, p, dim, heads, cross_dim, temporal):
        norm(out, f"{p}.norm1", dim)
        for a, kv in (("attn1", dim), ("attn2", dim if temporal else cross_dim)):
            lin(out, f"{p}.{a}.to_q", dim, dim, bias=False)
            lin(out, f"{p}.{a}.to_k", kv, dim, bias=False)
            lin(out, f"{p}.{a}.to_v", kv, dim, bias=False)
            lin(out, f"{p}.{a}.to_out.0", dim, dim)
        norm(out, f"{p}.norm2", dim)
        norm(out, f"{p}.norm3", dim)
        lin(out, f"{p}.ff.net.0.proj", dim, dim * 8)
        lin(out, f"{p}.ff.net.2", dim * 4, dim)
        if temporal:
            out[f"{p}.pos_embed.pe"] = (1, c["motion_max_seq_length"], dim)

    def spatial(p, ch):
        # inner dim = heads * (ch // heads) = ch; Conv 1x1 proj_in/proj_out unless use_linear_projection
        norm(u2d, f"{p}.norm", ch)
        if c["use_linear_projection"]:
            lin(u2d, f"{p}.proj_in", ch, ch)
            lin(u2d, f"{p}.proj_out", ch, ch)
        else:
            conv(u2d, f"{p}.proj_in", ch, ch, 1)
            conv(u2d, f"{p}.proj_out", ch, ch, 1)
        basic_block(u2d, f"{p}.transformer_blocks.0", ch, None, c["cross_attention_dim"], temporal=False)

    def motion_module(p, ch):
        norm(motion, f"{p}.norm", ch)
        lin(motion, f"{p}.proj_in", ch, ch)
        basic_block(motion, f"{p}.transformer_blocks.0", ch, None, None, temporal=True)
        lin(motion, f"{p}.proj_out", ch, ch)

    def resnet(p, cin, cout, temb):
        norm(u2d, f"{p}.norm1", cin)
        conv(u2d, f"{p}.conv1", cin, cout)
        lin(u2d, f"{p}.time_emb_proj", temb, cout)
        norm(u2d, f"{p}.norm2", cout)
        conv(u2d, f"{p}.conv2", cout, cout)
        if cin != cout:
            conv(u2d, f"{p}.conv_shortcut", cin, cout, 1)

    boc = c["block_out_channels"]
    temb = boc[0] * 4
    n = c["layers_per_block"]
    conv(u2d, "conv_in", c["in_channels"], boc[0])
    lin(u2d, "time_embedding.linear_1", boc[0], temb)
    lin(u2d, "time_embedding.linear_2", temb, temb)
    prev = boc[0]
    for i, kind in enumerate(c["down_block_types"]):
        cin, cout = prev, boc[i]
        for j in range(n):
            resnet(f"down_blocks.{i}.resnets.{j}", cin if j == 0 else cout, cout, temb)
            if kind.startswith("CrossAttn"):
                spatial(f"down_blocks.{i}.attentions.{j}", cout)
            motion_module(f"down_blocks.{i}.motion_modules.{j}", cout)
        if i != len(boc) - 1:
            conv(u2d, f"down_blocks.{i}.downsamplers.0.conv", cout, cout)
        prev = cout
    m = boc[-1]
    resnet("mid_block.resnets.0", m, m, temb)
    spatial("mid_block.attentions.0", m)
    resnet("mid_block.resnets.1", m, m, temb)
    motion_module("mid_block.motion_modules.0", m)
    rev = list(reversed(boc))
    out_ch = rev[0]
    for i, kind in enumerate(c["up_block_types"]):
        prev_out, out_ch = out_ch, rev[i]
        in_ch = rev[min(i + 1, len(boc) - 1)]
        for j in range(n + 1):
            skip = in_ch if j == n else out_ch
            rin = prev_out if j == 0 else out_ch
            resnet(f"up_blocks.{i}.resnets.{j}", rin + skip, out_ch, temb)
            if kind.startswith("CrossAttn"):
                spatial(f"up_blocks.{i}.attentions.{j}", out_ch)
            motion_module(f"up_blocks.{i}.motion_modules.{j}", out_ch)
        if i != len(boc) - 1:
            conv(u2d, f"up_blocks.{i}.upsamplers.0.conv", out_ch, out_ch)
    norm(u2d, "conv_norm_out", boc[0])
    conv(u2d, "conv_out", boc[0], c["out_channels"])
    return u2d, motion


# ----------------------------------------------------------------------------------------------- goldens

# Tiny config: both down/up block kinds, a downsampler and an upsampler, resnets with and without 1x1
# shortcut, 8 spatial heads (the SD "attention_head_dim=8" convention: head dim 2 at 16 channels, 3 at 24),
# 2 temporal heads (head dim 8 at 16 channels, 12 at 24), cross_attention_dim 32 != channels, 8 GroupNorm
# groups dividing every channel count (16, 24, 40, 48), motion_max_seq_length 8 > F = 3 frames.
TINY_CONFIG = {
    "sample_size": 8,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["CrossAttnDownBlockMotion", "DownBlockMotion"],
    "up_block_types": ["UpBlockMotion", "CrossAttnUpBlockMotion"],
    "block_out_channels": [16, 24],
    "layers_per_block": 1,
    "downsample_padding": 1,
    "mid_block_scale_factor": 1,
    "act_fn": "silu",
    "norm_num_groups": 8,
    "norm_eps": 1e-5,
    "cross_attention_dim": 32,
    "transformer_layers_per_block": 1,
    "reverse_transformer_layers_per_block": None,
    "temporal_transformer_layers_per_block": 1,
    "reverse_temporal_transformer_layers_per_block": None,
    "transformer_layers_per_mid_block": None,
    "temporal_transformer_layers_per_mid_block": 1,
    "use_linear_projection": False,
    "num_attention_heads": 8,
    "motion_max_seq_length": 8,
    "motion_num_attention_heads": 2,
    "reverse_motion_num_attention_heads": None,
    "use_motion_mid_block": True,
    "mid_block_layers": 1,
    "encoder_hid_dim": None,
    "encoder_hid_dim_type": None,
    "addition_embed_type": None,
    "addition_time_embed_dim": None,
    "projection_class_embeddings_input_dim": None,
    "time_cond_proj_dim": None,
}

# The same U-Net as a Stable-Diffusion-style UNet2DConditionModel config (what users pair with an adapter).
UNET2D_CONFIG = {
    "_class_name": "UNet2DConditionModel",
    "act_fn": "silu",
    "addition_embed_type": None,
    "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": None,
    "attention_head_dim": 8,
    "attention_type": "default",
    "block_out_channels": [16, 24],
    "center_input_sample": False,
    "class_embed_type": None,
    "class_embeddings_concat": False,
    "conv_in_kernel": 3,
    "conv_out_kernel": 3,
    "cross_attention_dim": 32,
    "cross_attention_norm": None,
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1,
    "dropout": 0.0,
    "dual_cross_attention": False,
    "encoder_hid_dim": None,
    "encoder_hid_dim_type": None,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 1,
    "mid_block_only_cross_attention": None,
    "mid_block_scale_factor": 1,
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "norm_eps": 1e-5,
    "norm_num_groups": 8,
    "num_attention_heads": None,
    "num_class_embeds": None,
    "only_cross_attention": False,
    "out_channels": 4,
    "projection_class_embeddings_input_dim": None,
    "resnet_out_scale_factor": 1.0,
    "resnet_skip_time_act": False,
    "resnet_time_scale_shift": "default",
    "reverse_transformer_layers_per_block": None,
    "sample_size": 8,
    "time_cond_proj_dim": None,
    "time_embedding_act_fn": None,
    "time_embedding_dim": None,
    "time_embedding_type": "positional",
    "timestep_post_act": None,
    "transformer_layers_per_block": 1,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "upcast_attention": False,
    "use_linear_projection": False,
}

# MotionAdapter config such that UNetMotionModel.from_unet2d(UNet2DConditionModel(UNET2D_CONFIG), adapter)
# rebuilds TINY_CONFIG: from_unet2d copies motion_num_attention_heads, motion_max_seq_length,
# use_motion_mid_block, layers_per_block <- motion_layers_per_block, temporal_transformer_layers_per_(mid_)block
# from the adapter, and num_attention_heads <- attention_head_dim (8). UNetMotionModel builds its motion
# modules with norm_num_groups (8), so motion_norm_num_groups must equal it for the weights to mean the same.
MOTION_ADAPTER_CONFIG = {
    "_class_name": "MotionAdapter",
    "block_out_channels": [16, 24],
    "conv_in_channels": None,
    "motion_layers_per_block": 1,
    "motion_max_seq_length": 8,
    "motion_mid_block_layers_per_block": 1,
    "motion_norm_num_groups": 8,
    "motion_num_attention_heads": 2,
    "motion_transformer_layers_per_block": 1,
    "motion_transformer_layers_per_mid_block": 1,
    "use_motion_mid_block": True,
}

BATCH, FRAMES, HEIGHT, WIDTH, TEXT_LEN = 2, 3, 8, 8, 5
TIMESTEPS = [981.0, 117.0]
WEIGHT_SEED = 20240612
INPUT_SEED = 11


def build_model(config=TINY_CONFIG, seed=WEIGHT_SEED):
    model = UNetMotionModel(**config)
    init_deterministic(model, seed)   # parameters only: the pos_embed.pe buffers keep their sinusoid values
    model.eval()
    return model


def make_inputs(config=TINY_CONFIG, seed=INPUT_SEED):
    gen = torch.Generator().manual_seed(seed)
    sample = torch.randn(BATCH, config["in_channels"], FRAMES, HEIGHT, WIDTH, generator=gen, dtype=torch.float64)
    ehs = torch.randn(BATCH, TEXT_LEN, config["cross_attention_dim"], generator=gen, dtype=torch.float64)
    return {
        "sample": sample.float(),
        "timestep": torch.tensor(TIMESTEPS, dtype=torch.float32),
        "encoder_hidden_states": ehs.float(),
    }


def run_float64(model, sample, timestep, encoder_hidden_states):
    """Forward in float64 on the float32-rounded weights and inputs."""
    m = copy.deepcopy(model).double()
    with torch.no_grad():
        return m(sample.double(), timestep, encoder_hidden_states.double())


def _self_checks(model, inputs, output):
    log = []
    close = lambda a, b: torch.allclose(a, b, rtol=1e-10, atol=1e-10)  # noqa: E731

    # encoder_hidden_states already repeated per frame ([B*F, L, D], current diffusers) gives the same output
    ehs_frames = inputs["encoder_hidden_states"].repeat_interleave(FRAMES, dim=0)
    out_frames = run_float64(model, inputs["sample"], inputs["timestep"], ehs_frames)
    assert torch.equal(out_frames, output)
    log.append("  check: encoder_hidden_states [B, L, D] and [B*F, L, D] (repeat_interleave) give identical output")

    # with every motion module's proj_out zeroed (AnimateDiff's zero init), the model is the 2D U-Net applied
    # to each frame on its own: compare with F separate single-frame runs
    m0 = copy.deepcopy(model)
    with torch.no_grad():
        for name, p in m0.named_parameters():
            if ".motion_modules." in name and ".proj_out." in name:
                p.zero_()
    full = run_float64(m0, inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"])
    for f in range(FRAMES):
        single = run_float64(m0, inputs["sample"][:, :, f:f + 1], inputs["timestep"], inputs["encoder_hidden_states"])
        assert close(full[:, :, f:f + 1], single), f
    assert not close(full, output)
    log.append("  check: motion proj_out zeroed -> output == per-frame 2D U-Net (F single-frame runs); "
               f"max|motion effect| {(full - output).abs().max().item():.3e}")

    # frames interact only through the motion modules: the output at frame 0 changes when frame 2 changes
    s2 = inputs["sample"].clone()
    s2[:, :, 2] += 1.0
    out2 = run_float64(model, s2, inputs["timestep"], inputs["encoder_hidden_states"])
    assert not close(out2[:, :, 0], output[:, :, 0])
    # batch items are independent
    out_b0 = run_float64(model, inputs["sample"][:1], inputs["timestep"][:1], inputs["encoder_hidden_states"][:1])
    assert close(out_b0, output[:1])
    log.append("  check: frames mix through the motion modules; batch items are independent")

    # the positional embedding matters (frame order is visible): reversing the frames does not just reverse
    # the output
    rev = run_float64(model, inputs["sample"].flip(2), inputs["timestep"], inputs["encoder_hidden_states"])
    assert not close(rev.flip(2), output)
    log.append("  check: output is not equivariant to frame reversal (sinusoidal pe breaks the symmetry)")
    return log


def make_goldens(out_root):
    out_dir = Path(out_root) / "animatediff"
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    model = build_model()
    inputs = make_inputs()

    sd = {k: v.detach().clone().float().contiguous() for k, v in model.state_dict().items()}
    exp_2d, exp_motion = expected_state_dict_shapes(TINY_CONFIG)
    expected = dict(exp_2d, **exp_motion)
    missing = sorted(set(expected) - set(sd))
    extra = sorted(set(sd) - set(expected))
    bad_shape = sorted(k for k in expected if k in sd and tuple(sd[k].shape) != tuple(expected[k]))
    assert not missing and not extra and not bad_shape, (missing, extra, bad_shape)
    motion_sd = {k: v for k, v in sd.items() if ".motion_modules." in k}
    unet2d_sd = {k: v for k, v in sd.items() if ".motion_modules." not in k}
    assert set(motion_sd) == set(exp_motion) and set(unet2d_sd) == set(exp_2d)

    # the motion-only dict loads strictly into an independently built MotionAdapter
    adapter_cfg = {k: v for k, v in MOTION_ADAPTER_CONFIG.items() if not k.startswith("_")}
    adapter = MotionAdapter(**adapter_cfg)
    adapter.load_state_dict(motion_sd, strict=True)
    assert set(adapter.state_dict()) == set(motion_sd)

    # the pe buffers hold the sinusoid (float32), identical across modules of the same width
    for k, v in sd.items():
        if k.endswith("pos_embed.pe"):
            c = v.shape[-1]
            assert torch.equal(v, SinusoidalPositionalEmbedding(c, TINY_CONFIG["motion_max_seq_length"]).pe)

    keys_txt = Path(__file__).resolve().parent.parent / "animatediff_keys.txt"
    keys_txt.write_text("".join(f"{k} {list(sd[k].shape)}\n" for k in sorted(sd)))

    output = run_float64(model, inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"])
    assert tuple(output.shape) == (BATCH, TINY_CONFIG["out_channels"], FRAMES, HEIGHT, WIDTH)
    assert torch.isfinite(output).all()
    again = run_float64(model, inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"])
    assert torch.equal(again, output)

    n_params = sum(v.numel() for k, v in sd.items() if not k.endswith(".pe"))
    log = [f"animatediff: {len(sd)} tensors ({len(unet2d_sd)} UNet2D + {len(motion_sd)} motion), {n_params} "
           "parameters (+ pe buffers); keys match the source-derived list; MotionAdapter loads the motion part",
           f"  sample {list(inputs['sample'].shape)} -> output {list(output.shape)};"
           f" mean {output.mean().item():.4f} std {output.std().item():.4f} max|.| {output.abs().max().item():.4f}"]
    log += _self_checks(model, inputs, output)

    config_json = dict(TINY_CONFIG)
    config_json["_class_name"] = "UNetMotionModel"
    (out_dir / "config.json").write_text(json.dumps(config_json, indent=2, sort_keys=True) + "\n")
    (out_dir / "unet2d_config.json").write_text(json.dumps(UNET2D_CONFIG, indent=2, sort_keys=True) + "\n")
    (out_dir / "motion_adapter_config.json").write_text(
        json.dumps(MOTION_ADAPTER_CONFIG, indent=2, sort_keys=True) + "\n")
    safetensors_io.save_file(sd, out_dir / "diffusion_pytorch_model.safetensors", metadata={"format": "pt"})
    safetensors_io.save_file(motion_sd, out_dir / "motion_adapter.safetensors", metadata={"format": "pt"})
    safetensors_io.save_file(unet2d_sd, out_dir / "unet2d.safetensors", metadata={"format": "pt"})
    tensors = dict(inputs)
    tensors["encoder_hidden_states_per_frame"] = inputs["encoder_hidden_states"].repeat_interleave(FRAMES, dim=0)
    tensors["output"] = output.float()
    safetensors_io.save_file(tensors, out_dir / "io.safetensors", metadata={
        "model": "UNetMotionModel",
        "layout": "sample/output [B, C, F, H, W]; timestep [B]; encoder_hidden_states [B, L, D]; "
                  "encoder_hidden_states_per_frame [B*F, L, D] = repeat_interleave(F, dim=0)",
        "precision": "float64 forward on the float32 weights/inputs, output rounded to float32 once",
    })

    for fname, ref in (("diffusion_pytorch_model.safetensors", sd), ("motion_adapter.safetensors", motion_sd),
                       ("unet2d.safetensors", unet2d_sd)):
        back, _ = safetensors_io.load_file(out_dir / fname)
        assert set(back) == set(ref) and all(torch.equal(back[k], ref[k]) for k in ref), fname
    back, _ = safetensors_io.load_file(out_dir / "io.safetensors")
    assert torch.equal(back["output"], output.float())

    total = 0
    for f in sorted(out_dir.iterdir()):
        size = f.stat().st_size
        total += size
        log.append(f"  {f.name:40s} {size:9d} B  sha256 {hashlib.sha256(f.read_bytes()).hexdigest()[:16]}")
    log.append(f"  total {total} B")
    return log
