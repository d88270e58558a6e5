"""Block-level mirror of diffusers' Stable Video Diffusion spatio-temporal pieces (Video LDM style learned
temporal mixing) and its goldens.

This is NOT a whole model. UNetSpatioTemporalConditionModel needs added_time_ids (fps, motion bucket,
noise augmentation), image conditioning (CLIP image embeddings and the concatenated VAE latent) and a
4-level U-Net; a tiny version of all that would mostly re-test pieces other goldens already cover. The
part that is specific to SVD is the spatio-temporal mixing inside its blocks, so the golden is one
`CrossAttnDownBlockSpatioTemporal` (num_layers=1, add_downsample=False): the module tree, the attribute
names (hence the state_dict keys, relative to a `down_blocks.N.` prefix of the full U-Net) and the forward
are diffusers' exactly.

diffusers classes mirrored (same attribute names, same state_dict keys):
  models/unets/unet_3d_blocks.py              CrossAttnDownBlockSpatioTemporal
  models/resnet.py                            SpatioTemporalResBlock, TemporalResnetBlock, AlphaBlender
                                              (ResnetBlock2D is the shared one)
  models/transformers/transformer_temporal.py TransformerSpatioTemporalModel
  models/attention.py                         TemporalBasicTransformerBlock (BasicTransformerBlock, FeedForward,
                                              Attention are the shared ones)
  models/embeddings.py                        Timesteps, TimestepEmbedding (shared)

AlphaBlender (resnet.py), blending the spatial path with the temporal path:
    out = alpha * x_spatial + (1 - alpha) * x_temporal
    merge_strategy "fixed":               alpha = mix_factor                        (a buffer, not learned)
                   "learned":             alpha = sigmoid(mix_factor)                (a parameter)
                   "learned_with_images": alpha = where(image_only_indicator, 1, sigmoid(mix_factor))
                                          per (batch, frame); image_only_indicator [B, F], 1 = image-only
    switch_spatial_to_temporal_mix=True uses 1 - alpha instead (TemporalVAE only; False here).
  So an image-only frame takes the pure spatial result, and the temporal path gets weight 1 - sigmoid(m).
  Both mixers in SVD use "learned_with_images" (resnet: merge_factor=0.5; transformer: alpha=0.5 as the
  initial mix_factor). The goldens set mix_factor to 0.3 (resnet) and -0.45 (transformer) instead.

All GroupNorms here have 32 groups hard-coded in diffusers (ResnetBlock2D default groups=32 in
SpatioTemporalResBlock, TemporalResnetBlock num_groups=32, TransformerSpatioTemporalModel num_groups=32),
so channel counts must be multiples of 32.
"""
import copy
import hashlib
import json
from pathlib import Path

import torch
from torch import nn

from . import safetensors_io
from .attention import Attention, BasicTransformerBlock, FeedForward
from .embeddings import TimestepEmbedding, Timesteps
from .nn_utils import get_activation
from .resnet import ResnetBlock2D
from .weights_init import init_deterministic


class AlphaBlender(nn.Module):
    """diffusers AlphaBlender (key: mix_factor, shape [1]; a parameter, or a buffer for "fixed")."""

    strategies = ["learned", "fixed", "learned_with_images"]

    def __init__(self, alpha, merge_strategy="learned_with_images", switch_spatial_to_temporal_mix=False):
        super().__init__()
        self.merge_strategy = merge_strategy
        self.switch_spatial_to_temporal_mix = switch_spatial_to_temporal_mix
        if merge_strategy not in self.strategies:
            raise ValueError(f"merge_strategy needs to be in {self.strategies}")
        if merge_strategy == "fixed":
            self.register_buffer("mix_factor", torch.tensor([alpha], dtype=torch.float32))
        else:
            self.register_parameter("mix_factor", nn.Parameter(torch.tensor([alpha], dtype=torch.float32)))

    def get_alpha(self, image_only_indicator, ndims):
        if self.merge_strategy == "fixed":
            alpha = self.mix_factor
        elif self.merge_strategy == "learned":
            alpha = torch.sigmoid(self.mix_factor)
        else:
            if image_only_indicator is None:
                raise ValueError("Please provide image_only_indicator to use learned_with_images merge strategy")
            alpha = torch.where(image_only_indicator.bool(),
                                torch.ones(1, 1, dtype=self.mix_factor.dtype, device=image_only_indicator.device),
                                torch.sigmoid(self.mix_factor)[..., None])
            if ndims == 5:        # (batch, channel, frames, height, width)
                alpha = alpha[:, None, :, None, None]
            elif ndims == 3:      # (batch*frames, height*width, channels), frames b-major
                alpha = alpha.reshape(-1)[:, None, None]
            else:
                raise ValueError(f"Unexpected ndims {ndims}. Dimensions should be 3 or 5")
        return alpha

    def forward(self, x_spatial, x_temporal, image_only_indicator=None):
        alpha = self.get_alpha(image_only_indicator, x_spatial.ndim)
        alpha = alpha.to(x_spatial.dtype)
        if self.switch_spatial_to_temporal_mix:
            alpha = 1.0 - alpha
        return alpha * x_spatial + (1.0 - alpha) * x_temporal


class TemporalResnetBlock(nn.Module):
    """diffusers TemporalResnetBlock on [B, C, F, H, W]: GroupNorm(32) over the 5-D tensor (per video, over
    channels-in-group x F x H x W), Conv3d kernel (3, 1, 1) padding (1, 0, 0), temb [B, F, T] ->
    time_emb_proj(silu(temb)) [B, F, C] -> [B, C, F, 1, 1]; no output scale. Keys: norm1, conv1,
    time_emb_proj, norm2, conv2 (conv_shortcut 1x1x1 only when in != out)."""

    def __init__(self, in_channels, out_channels=None, temb_channels=512, eps=1e-6):
        super().__init__()
        self.in_channels = in_channels
        out_channels = in_channels if out_channels is None else out_channels
        self.out_channels = out_channels
        kernel_size = (3, 1, 1)
        padding = [k // 2 for k in kernel_size]
        self.norm1 = nn.GroupNorm(num_groups=32, num_channels=in_channels, eps=eps, affine=True)
        self.conv1 = nn.Conv3d(in_channels, out_channels, kernel_size=kernel_size, stride=1, padding=padding)
        self.time_emb_proj = nn.Linear(temb_channels, out_channels) if temb_channels is not None else None
        self.norm2 = nn.GroupNorm(num_groups=32, num_channels=out_channels, eps=eps, affine=True)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = nn.Conv3d(out_channels, out_channels, kernel_size=kernel_size, stride=1, padding=padding)
        self.nonlinearity = get_activation("silu")
        self.use_in_shortcut = self.in_channels != out_channels
        self.conv_shortcut = nn.Conv3d(in_channels, out_channels, kernel_size=1, stride=1, padding=0) \
            if self.use_in_shortcut else None

    def forward(self, input_tensor, temb):
        hidden_states = self.norm1(input_tensor)
        hidden_states = self.nonlinearity(hidden_states)
        hidden_states = self.conv1(hidden_states)
        if self.time_emb_proj is not None:
            temb = self.nonlinearity(temb)
            temb = self.time_emb_proj(temb)[:, :, :, None, None]
            temb = temb.permute(0, 2, 1, 3, 4)
            hidden_states = hidden_states + temb
        hidden_states = self.norm2(hidden_states)
        hidden_states = self.nonlinearity(hidden_states)
        hidden_states = self.dropout(hidden_states)
        hidden_states = self.conv2(hidden_states)
        if self.conv_shortcut is not None:
            input_tensor = self.conv_shortcut(input_tensor)
        return input_tensor + hidden_states


class SpatioTemporalResBlock(nn.Module):
    """diffusers SpatioTemporalResBlock: spatial_res_block (ResnetBlock2D, groups 32, eps), temporal_res_block
    (TemporalResnetBlock on the output channels, eps=temporal_eps or eps), time_mixer (AlphaBlender).

    forward(h [(b f), Cin, H, W], temb [(b f), T], image_only_indicator [b, f]):
      f = indicator.shape[-1]; h = spatial_res_block(h, temb)                      -> [(b f), C, H, W]
      h5 = h -> [b, C, f, H, W];  temb -> [b, f, T]
      t5 = temporal_res_block(h5, temb)
      out = time_mixer(x_spatial=h5, x_temporal=t5, image_only_indicator) -> [(b f), C, H, W]
    """

    def __init__(self, in_channels, out_channels=None, temb_channels=512, eps=1e-6, temporal_eps=None,
                 merge_factor=0.5, merge_strategy="learned_with_images", switch_spatial_to_temporal_mix=False):
        super().__init__()
        self.spatial_res_block = ResnetBlock2D(in_channels=in_channels, out_channels=out_channels,
                                               temb_channels=temb_channels, eps=eps)
        ch = out_channels if out_channels is not None else in_channels
        self.temporal_res_block = TemporalResnetBlock(in_channels=ch, out_channels=ch, temb_channels=temb_channels,
                                                      eps=temporal_eps if temporal_eps is not None else eps)
        self.time_mixer = AlphaBlender(alpha=merge_factor, merge_strategy=merge_strategy,
                                       switch_spatial_to_temporal_mix=switch_spatial_to_temporal_mix)

    def forward(self, hidden_states, temb=None, image_only_indicator=None):
        num_frames = image_only_indicator.shape[-1]
        hidden_states = self.spatial_res_block(hidden_states, temb)
        batch_frames, channels, height, width = hidden_states.shape
        batch_size = batch_frames // num_frames
        hidden_states_mix = (hidden_states[None, :].reshape(batch_size, num_frames, channels, height, width)
                             .permute(0, 2, 1, 3, 4))
        hidden_states = (hidden_states[None, :].reshape(batch_size, num_frames, channels, height, width)
                         .permute(0, 2, 1, 3, 4))
        if temb is not None:
            temb = temb.reshape(batch_size, num_frames, -1)
        hidden_states = self.temporal_res_block(hidden_states, temb)
        hidden_states = self.time_mixer(x_spatial=hidden_states_mix, x_temporal=hidden_states,
                                        image_only_indicator=image_only_indicator)
        return hidden_states.permute(0, 2, 1, 3, 4).reshape(batch_frames, channels, height, width)


class TemporalBasicTransformerBlock(nn.Module):
    """diffusers TemporalBasicTransformerBlock. Keys: norm_in, ff_in, norm1, attn1, norm2, attn2, norm3, ff.

    forward(x [(b f), S, C], num_frames, encoder_hidden_states [b*S, L, D]):
      x -> [b, f, S, C] -> [b, S, f, C] -> [b*S, f, C]   (attention runs over frames)
      residual = x; x = ff_in(norm_in(x)); if is_res (dim == time_mix_inner_dim): x = x + residual
      x = attn1(norm1(x)) + x                       (self-attention over frames)
      if attn2: x = attn2(norm2(x), encoder_hidden_states) + x   (cross-attention to time_context)
      x = ff(norm3(x)) + x  (is_res) or ff(norm3(x))
      back to [(b f), S, C]
    LayerNorms: PyTorch default eps 1e-5; FeedForwards are GEGLU with inner 4*dim.
    """

    def __init__(self, dim, time_mix_inner_dim, num_attention_heads, attention_head_dim, cross_attention_dim=None):
        super().__init__()
        self.is_res = dim == time_mix_inner_dim
        self.norm_in = nn.LayerNorm(dim)
        self.ff_in = FeedForward(dim, dim_out=time_mix_inner_dim, activation_fn="geglu")
        self.norm1 = nn.LayerNorm(time_mix_inner_dim)
        self.attn1 = Attention(query_dim=time_mix_inner_dim, heads=num_attention_heads, dim_head=attention_head_dim,
                               cross_attention_dim=None)
        if cross_attention_dim is not None:
            self.norm2 = nn.LayerNorm(time_mix_inner_dim)
            self.attn2 = Attention(query_dim=time_mix_inner_dim, cross_attention_dim=cross_attention_dim,
                                   heads=num_attention_heads, dim_head=attention_head_dim)
        else:
            self.norm2 = None
            self.attn2 = None
        self.norm3 = nn.LayerNorm(time_mix_inner_dim)
        self.ff = FeedForward(time_mix_inner_dim, activation_fn="geglu")

    def forward(self, hidden_states, num_frames, encoder_hidden_states=None):
        batch_frames, seq_length, channels = hidden_states.shape
        batch_size = batch_frames // num_frames
        hidden_states = hidden_states[None, :].reshape(batch_size, num_frames, seq_length, channels)
        hidden_states = hidden_states.permute(0, 2, 1, 3)
        hidden_states = hidden_states.reshape(batch_size * seq_length, num_frames, channels)

        residual = hidden_states
        hidden_states = self.norm_in(hidden_states)
        hidden_states = self.ff_in(hidden_states)
        if self.is_res:
            hidden_states = hidden_states + residual

        norm_hidden_states = self.norm1(hidden_states)
        attn_output = self.attn1(norm_hidden_states, encoder_hidden_states=None)
        hidden_states = attn_output + hidden_states

        if self.attn2 is not None:
            norm_hidden_states = self.norm2(hidden_states)
            attn_output = self.attn2(norm_hidden_states, encoder_hidden_states=encoder_hidden_states)
            hidden_states = attn_output + hidden_states

        norm_hidden_states = self.norm3(hidden_states)
        ff_output = self.ff(norm_hidden_states)
        if self.is_res:
            hidden_states = ff_output + hidden_states
        else:
            hidden_states = ff_output

        hidden_states = hidden_states[None, :].reshape(batch_size, -1, num_frames, channels)
        hidden_states = hidden_states.permute(0, 2, 1, 3)
        return hidden_states.reshape(batch_size * num_frames, seq_length, channels)


class TransformerSpatioTemporalModel(nn.Module):
    """diffusers TransformerSpatioTemporalModel. Keys: norm, proj_in, transformer_blocks.N,
    temporal_transformer_blocks.N, time_pos_embed.linear_{1,2}, time_mixer.mix_factor, proj_out.

    forward(x [(b f), C, H, W], encoder_hidden_states [(b f), L, D], image_only_indicator [b, f]):
      f = indicator.shape[-1]
      time_context = ehs of frame 0 of each video ([b, L, D]), broadcast to every spatial position:
                     [b, H*W, L, D] -> [b*H*W, L, D]   (row b*H*W + s)
      residual = x; x = GroupNorm(32, C, eps=1e-6)(x) (per frame); -> [(b f), H*W, C]; proj_in
      frame embedding: t = [0..f-1] repeated per video (b-major); emb = time_pos_embed(Timesteps(C, flip_sin_to_cos
                     =True, shift 0)(t)) (sinusoid in float32, then cast) -> [(b f), 1, C]
      per layer: x = block(x, ehs)                          (spatial self-attn + cross-attn to the per-frame ehs)
                 m = temporal_block(x + emb, f, time_context)
                 x = time_mixer(x_spatial=x, x_temporal=m, image_only_indicator)
      proj_out; -> [(b f), C, H, W]; out = x + residual
    The frame embedding is added to the temporal branch only, not to the spatial one.
    """

    def __init__(self, num_attention_heads=16, attention_head_dim=88, in_channels=320, out_channels=None,
                 num_layers=1, cross_attention_dim=None):
        super().__init__()
        self.num_attention_heads = num_attention_heads
        self.attention_head_dim = attention_head_dim
        inner_dim = num_attention_heads * attention_head_dim
        self.inner_dim = inner_dim
        self.in_channels = in_channels
        self.norm = nn.GroupNorm(num_groups=32, num_channels=in_channels, eps=1e-6)
        self.proj_in = nn.Linear(in_channels, inner_dim)
        self.transformer_blocks = nn.ModuleList([
            BasicTransformerBlock(inner_dim, num_attention_heads, attention_head_dim,
                                  cross_attention_dim=cross_attention_dim)
            for _ in range(num_layers)])
        time_mix_inner_dim = inner_dim
        self.temporal_transformer_blocks = nn.ModuleList([
            TemporalBasicTransformerBlock(inner_dim, time_mix_inner_dim, num_attention_heads, attention_head_dim,
                                          cross_attention_dim=cross_attention_dim)
            for _ in range(num_layers)])
        time_embed_dim = in_channels * 4
        self.time_pos_embed = TimestepEmbedding(in_channels, time_embed_dim, out_dim=in_channels)
        self.time_proj = Timesteps(in_channels, True, 0)
        self.time_mixer = AlphaBlender(alpha=0.5, merge_strategy="learned_with_images")
        self.out_channels = in_channels if out_channels is None else out_channels
        self.proj_out = nn.Linear(inner_dim, in_channels)

    def forward(self, hidden_states, encoder_hidden_states=None, image_only_indicator=None):
        batch_frames, _, height, width = hidden_states.shape
        num_frames = image_only_indicator.shape[-1]
        batch_size = batch_frames // num_frames

        time_context = encoder_hidden_states
        time_context_first_timestep = time_context[None, :].reshape(
            batch_size, num_frames, -1, time_context.shape[-1])[:, 0]
        time_context = time_context_first_timestep[:, None].broadcast_to(
            batch_size, height * width, time_context.shape[-2], time_context.shape[-1])
        time_context = time_context.reshape(batch_size * height * width, -1, time_context.shape[-1])

        residual = hidden_states
        hidden_states = self.norm(hidden_states)
        inner_dim = hidden_states.shape[1]
        hidden_states = hidden_states.permute(0, 2, 3, 1).reshape(batch_frames, height * width, inner_dim)
        hidden_states = self.proj_in(hidden_states)

        num_frames_emb = torch.arange(num_frames, device=hidden_states.device)
        num_frames_emb = num_frames_emb.repeat(batch_size, 1)
        num_frames_emb = num_frames_emb.reshape(-1)
        t_emb = self.time_proj(num_frames_emb)          # float32, like diffusers
        t_emb = t_emb.to(dtype=hidden_states.dtype)
        emb = self.time_pos_embed(t_emb)
        emb = emb[:, None, :]

        for block, temporal_block in zip(self.transformer_blocks, self.temporal_transformer_blocks):
            hidden_states = block(hidden_states, encoder_hidden_states=encoder_hidden_states)
            hidden_states_mix = hidden_states
            hidden_states_mix = hidden_states_mix + emb
            hidden_states_mix = temporal_block(hidden_states_mix, num_frames=num_frames,
                                               encoder_hidden_states=time_context)
            hidden_states = self.time_mixer(x_spatial=hidden_states, x_temporal=hidden_states_mix,
                                            image_only_indicator=image_only_indicator)

        hidden_states = self.proj_out(hidden_states)
        hidden_states = hidden_states.reshape(batch_frames, height, width, inner_dim).permute(0, 3, 1, 2).contiguous()
        return hidden_states + residual


class CrossAttnDownBlockSpatioTemporal(nn.Module):
    """diffusers CrossAttnDownBlockSpatioTemporal. Per layer: resnets[i] (SpatioTemporalResBlock, eps 1e-6) then
    attentions[i] (TransformerSpatioTemporalModel(num_attention_heads, out_channels // num_attention_heads,
    in_channels=out_channels)); then optional downsamplers.0. Returns (hidden_states, output_states)."""

    def __init__(self, in_channels, out_channels, temb_channels, num_layers=1, transformer_layers_per_block=1,
                 num_attention_heads=1, cross_attention_dim=1280, add_downsample=True):
        super().__init__()
        if add_downsample:
            raise NotImplementedError("the golden stack has no downsampler (Downsample2D is covered elsewhere)")
        self.has_cross_attention = True
        if isinstance(transformer_layers_per_block, int):
            transformer_layers_per_block = [transformer_layers_per_block] * num_layers
        resnets, attentions = [], []
        for i in range(num_layers):
            in_ch = in_channels if i == 0 else out_channels
            resnets.append(SpatioTemporalResBlock(in_channels=in_ch, out_channels=out_channels,
                                                  temb_channels=temb_channels, eps=1e-6))
            attentions.append(TransformerSpatioTemporalModel(num_attention_heads, out_channels // num_attention_heads,
                                                             in_channels=out_channels,
                                                             num_layers=transformer_layers_per_block[i],
                                                             cross_attention_dim=cross_attention_dim))
        self.attentions = nn.ModuleList(attentions)
        self.resnets = nn.ModuleList(resnets)
        self.downsamplers = None

    def forward(self, hidden_states, temb=None, encoder_hidden_states=None, image_only_indicator=None):
        output_states = ()
        for resnet, attn in zip(self.resnets, self.attentions):
            hidden_states = resnet(hidden_states, temb, image_only_indicator=image_only_indicator)
            hidden_states = attn(hidden_states, encoder_hidden_states=encoder_hidden_states,
                                 image_only_indicator=image_only_indicator)
            output_states += (hidden_states,)
        return hidden_states, output_states


# ------------------------------------------------------------------- expected keys, derived from the source

def expected_state_dict_shapes(cfg):
    """Key -> shape for CrossAttnDownBlockSpatioTemporal(num_layers=1, add_downsample=False), enumerated from the
    diffusers source (attribute names and constructor arithmetic), independently of the module tree above."""
    out = {}
    cin, c, t, d = cfg["in_channels"], cfg["out_channels"], cfg["temb_channels"], cfg["cross_attention_dim"]
    heads = cfg["num_attention_heads"]
    inner = heads * (c // heads)

    def lin(p, i, o, bias=True):
        out[f"{p}.weight"] = (o, i)
        if bias:
            out[f"{p}.bias"] = (o,)

    def norm(p, ch):
        out[f"{p}.weight"] = (ch,)
        out[f"{p}.bias"] = (ch,)

    def attention(p, q, kv):
        lin(f"{p}.to_q", q, inner, bias=False)
        lin(f"{p}.to_k", kv, inner, bias=False)
        lin(f"{p}.to_v", kv, inner, bias=False)
        lin(f"{p}.to_out.0", inner, q)

    def ff(p, dim, dim_out):
        lin(f"{p}.net.0.proj", dim, dim * 4 * 2)
        lin(f"{p}.net.2", dim * 4, dim_out)

    r = "resnets.0"
    norm(f"{r}.spatial_res_block.norm1", cin)
    out[f"{r}.spatial_res_block.conv1.weight"] = (c, cin, 3, 3)
    out[f"{r}.spatial_res_block.conv1.bias"] = (c,)
    lin(f"{r}.spatial_res_block.time_emb_proj", t, c)
    norm(f"{r}.spatial_res_block.norm2", c)
    out[f"{r}.spatial_res_block.conv2.weight"] = (c, c, 3, 3)
    out[f"{r}.spatial_res_block.conv2.bias"] = (c,)
    if cin != c:
        out[f"{r}.spatial_res_block.conv_shortcut.weight"] = (c, cin, 1, 1)
        out[f"{r}.spatial_res_block.conv_shortcut.bias"] = (c,)
    norm(f"{r}.temporal_res_block.norm1", c)
    out[f"{r}.temporal_res_block.conv1.weight"] = (c, c, 3, 1, 1)
    out[f"{r}.temporal_res_block.conv1.bias"] = (c,)
    lin(f"{r}.temporal_res_block.time_emb_proj", t, c)
    norm(f"{r}.temporal_res_block.norm2", c)
    out[f"{r}.temporal_res_block.conv2.weight"] = (c, c, 3, 1, 1)
    out[f"{r}.temporal_res_block.conv2.bias"] = (c,)
    out[f"{r}.time_mixer.mix_factor"] = (1,)

    a = "attentions.0"
    norm(f"{a}.norm", c)
    lin(f"{a}.proj_in", c, inner)
    b = f"{a}.transformer_blocks.0"
    norm(f"{b}.norm1", inner)
    attention(f"{b}.attn1", inner, inner)
    norm(f"{b}.norm2", inner)
    attention(f"{b}.attn2", inner, d)
    norm(f"{b}.norm3", inner)
    ff(f"{b}.ff", inner, inner)
    tb = f"{a}.temporal_transformer_blocks.0"
    norm(f"{tb}.norm_in", inner)
    ff(f"{tb}.ff_in", inner, inner)
    norm(f"{tb}.norm1", inner)
    attention(f"{tb}.attn1", inner, inner)
    norm(f"{tb}.norm2", inner)
    attention(f"{tb}.attn2", inner, d)
    norm(f"{tb}.norm3", inner)
    ff(f"{tb}.ff", inner, inner)
    lin(f"{a}.time_pos_embed.linear_1", c, 4 * c)
    lin(f"{a}.time_pos_embed.linear_2", 4 * c, c)
    out[f"{a}.time_mixer.mix_factor"] = (1,)
    lin(f"{a}.proj_out", inner, c)
    return out


# ----------------------------------------------------------------------------------------------- goldens

# diffusers hard-codes 32 GroupNorm groups in these blocks, so channels must be multiples of 32: the stack
# takes 32 input channels (ResnetBlock2D.norm1: 1 channel per group) to 64 output channels (2 per group, so
# the channel grouping of the 5-D temporal GroupNorm is exercised), with a 1x1 conv_shortcut. 2 heads of
# dimension 32 (the block derives attention_head_dim = out_channels // num_attention_heads), cross-attention
# dim 24 != channels, 3 encoder tokens per frame (SVD uses 1: the CLIP image embedding).
TINY_CONFIG = {
    "in_channels": 32,
    "out_channels": 64,
    "temb_channels": 32,
    "num_layers": 1,
    "transformer_layers_per_block": 1,
    "num_attention_heads": 2,
    "cross_attention_dim": 24,
    "add_downsample": False,
}
MIX_FACTORS = {"resnets.0.time_mixer.mix_factor": 0.3, "attentions.0.time_mixer.mix_factor": -0.45}
BATCH, FRAMES, HEIGHT, WIDTH, TEXT_LEN = 2, 3, 4, 4, 3
WEIGHT_SEED = 20240613
INPUT_SEED = 13


def build_model(config=TINY_CONFIG, seed=WEIGHT_SEED):
    model = CrossAttnDownBlockSpatioTemporal(**config)
    init_deterministic(model, seed)
    with torch.no_grad():
        params = dict(model.named_parameters())
        for name, value in MIX_FACTORS.items():
            params[name].fill_(value)      # float32-rounded like every other weight
    model.eval()
    return model


def make_inputs(config=TINY_CONFIG, seed=INPUT_SEED):
    """hidden_states, temb and encoder_hidden_states differ per frame (so the b-major frame folding, the
    per-frame temb of the temporal resnet and the frame-0 time_context are all visible in the output)."""
    gen = torch.Generator().manual_seed(seed)
    bf = BATCH * FRAMES
    hs = torch.randn(bf, config["in_channels"], HEIGHT, WIDTH, generator=gen, dtype=torch.float64)
    temb = torch.randn(bf, config["temb_channels"], generator=gen, dtype=torch.float64)
    ehs = torch.randn(bf, TEXT_LEN, config["cross_attention_dim"], generator=gen, dtype=torch.float64)
    return {"hidden_states": hs.float(), "temb": temb.float(), "encoder_hidden_states": ehs.float()}


def run_float64(model, inputs, image_only_indicator):
    """Forward in float64 on the float32-rounded weights and inputs; returns (output, resnet_output)."""
    m = copy.deepcopy(model).double()
    with torch.no_grad():
        ind = image_only_indicator.double()
        h = m.resnets[0](inputs["hidden_states"].double(), inputs["temb"].double(), image_only_indicator=ind)
        out, _ = m(inputs["hidden_states"].double(), inputs["temb"].double(),
                   inputs["encoder_hidden_states"].double(), image_only_indicator=ind)
    return out, h


def _alpha_blender_checks():
    """The three strategies on tiny tensors, against the formulas in the module docstring."""
    gen = torch.Generator().manual_seed(3)
    xs = torch.randn(2, 3, 3, 1, 1, generator=gen, dtype=torch.float64)
    xt = torch.randn(2, 3, 3, 1, 1, generator=gen, dtype=torch.float64)
    ind = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    for strategy in AlphaBlender.strategies:
        b = AlphaBlender(0.3, strategy).double()
        out = b(xs, xt, ind)
        a = b.mix_factor[0].detach()          # 0.3 rounded to float32, then widened
        a = a if strategy == "fixed" else torch.sigmoid(a)
        if strategy == "learned_with_images":
            a = torch.where(ind.bool(), torch.ones_like(ind), a * torch.ones_like(ind))[:, None, :, None, None]
        assert torch.allclose(out, a * xs + (1 - a) * xt, rtol=0, atol=1e-15), strategy
    b = AlphaBlender(0.3, "fixed")
    assert "mix_factor" in dict(b.named_buffers()) and not list(b.parameters())
    return ["  check: AlphaBlender fixed / learned / learned_with_images match alpha*x_spatial + (1-alpha)*x_temporal"]


def _self_checks(model, inputs, out_video, out_images, ind_images):
    log = _alpha_blender_checks()
    close = lambda a, b: torch.allclose(a, b, rtol=1e-10, atol=1e-10)  # noqa: E731
    ov = out_video.reshape(BATCH, FRAMES, *out_video.shape[1:])
    oi = out_images.reshape(BATCH, FRAMES, *out_images.shape[1:])
    # batch items are independent: video 0 (indicator 0 in both files) is unchanged
    assert close(ov[0], oi[0]) and not close(ov[1], oi[1])
    # image-only frames (alpha = 1) ignore every temporal weight and the frame embedding
    m2 = copy.deepcopy(model)
    with torch.no_grad():
        for name, p in m2.named_parameters():
            if "temporal_" in name or "time_pos_embed" in name:
                p.add_(0.5)
    oi2, _ = run_float64(m2, inputs, ind_images)
    oi2 = oi2.reshape(BATCH, FRAMES, *oi2.shape[1:])
    assert close(oi2[1], oi[1]) and not close(oi2[0], oi[0])
    # ... and each image-only frame is independent of the other frames of its video
    x2 = dict(inputs)
    hs = inputs["hidden_states"].clone()
    hs[FRAMES + 2] += 1.0                   # video 1, frame 2
    x2["hidden_states"] = hs
    oi3, _ = run_float64(model, x2, ind_images)
    oi3 = oi3.reshape(BATCH, FRAMES, *oi3.shape[1:])
    assert close(oi3[1, :2], oi[1, :2]) and not close(oi3[1, 2], oi[1, 2])
    ov3, _ = run_float64(model, x2, torch.zeros(BATCH, FRAMES))
    ov3 = ov3.reshape(BATCH, FRAMES, *ov3.shape[1:])
    assert not close(ov3[1, 0], ov[1, 0])
    log.append("  check: batch items independent; image-only video ignores temporal weights and mixes no frames;"
               " video frames do mix")
    # time_context uses the encoder states of frame 0 only. With the spatial cross-attention silenced
    # (attn2.to_out.0 of the spatial block zeroed), the encoder states reach the output only through the
    # temporal cross-attention: changing frame 1's states changes nothing, changing frame 0's changes every
    # frame of that video.
    m5 = copy.deepcopy(model)
    with torch.no_grad():
        out_proj = m5.attentions[0].transformer_blocks[0].attn2.to_out[0]
        out_proj.weight.zero_()
        out_proj.bias.zero_()
    base, _ = run_float64(m5, inputs, torch.zeros(BATCH, FRAMES))
    base = base.reshape(BATCH, FRAMES, *base.shape[1:])
    for frame, expect in ((1, [False] * FRAMES), (0, [True] * FRAMES)):
        x4 = dict(inputs)
        e = inputs["encoder_hidden_states"].clone()
        e[frame] += 1.0                     # video 0
        x4["encoder_hidden_states"] = e
        o4, _ = run_float64(m5, x4, torch.zeros(BATCH, FRAMES))
        o4 = o4.reshape(BATCH, FRAMES, *o4.shape[1:])
        changed = [not close(o4[0, f], base[0, f]) for f in range(FRAMES)]
        assert changed == expect and close(o4[1], base[1]), (frame, changed)
    log.append("  check: temporal cross-attention sees frame 0's encoder_hidden_states only (time_context)")
    return log


def make_goldens(out_root):
    out_dir = Path(out_root) / "svd_mixing"
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
    for name, value in MIX_FACTORS.items():
        assert sd[name].item() == torch.tensor(value, dtype=torch.float32).item()
    keys_txt = Path(__file__).resolve().parent.parent / "svd_mixing_keys.txt"
    keys_txt.write_text("".join(f"{k} {list(sd[k].shape)}\n" for k in sorted(sd)))

    ind_video = torch.zeros(BATCH, FRAMES, dtype=torch.float32)
    ind_images = ind_video.clone()
    ind_images[1] = 1.0
    out_video, res_video = run_float64(model, inputs, ind_video)
    out_images, res_images = run_float64(model, inputs, ind_images)
    for o in (out_video, out_images):
        assert tuple(o.shape) == (BATCH * FRAMES, TINY_CONFIG["out_channels"], HEIGHT, WIDTH)
        assert torch.isfinite(o).all()
    again, _ = run_float64(model, inputs, ind_video)
    assert torch.equal(again, out_video)

    n_params = sum(v.numel() for v in sd.values())
    log = [f"svd_mixing: {len(sd)} tensors, {n_params} parameters; keys match the source-derived list",
           f"  hidden_states {list(inputs['hidden_states'].shape)} -> output {list(out_video.shape)};"
           f" mean {out_video.mean().item():.4f} std {out_video.std().item():.4f}"
           f" max|.| {out_video.abs().max().item():.4f}",
           f"  max|io - io_images| video 0: {(out_video - out_images)[:FRAMES].abs().max().item():.3e},"
           f" video 1: {(out_video - out_images)[FRAMES:].abs().max().item():.3e}"]
    log += _self_checks(model, inputs, out_video, out_images, ind_images)

    config_json = {
        "_class_name": "CrossAttnDownBlockSpatioTemporal",
        "_comment": "Block-level golden, not a whole model: one diffusers CrossAttnDownBlockSpatioTemporal "
                    "(keys as under down_blocks.N. of UNetSpatioTemporalConditionModel). forward(hidden_states "
                    "[B*F, C_in, H, W], temb [B*F, temb_channels], encoder_hidden_states [B*F, L, "
                    "cross_attention_dim], image_only_indicator [B, F]) -> [B*F, C_out, H, W].",
        **TINY_CONFIG,
        "blocks": {
            "resnets.0": {
                "_class_name": "SpatioTemporalResBlock",
                "in_channels": TINY_CONFIG["in_channels"], "out_channels": TINY_CONFIG["out_channels"],
                "temb_channels": TINY_CONFIG["temb_channels"], "eps": 1e-6, "temporal_eps": None,
                "merge_factor": 0.5, "merge_strategy": "learned_with_images",
                "switch_spatial_to_temporal_mix": False,
            },
            "attentions.0": {
                "_class_name": "TransformerSpatioTemporalModel",
                "num_attention_heads": TINY_CONFIG["num_attention_heads"],
                "attention_head_dim": TINY_CONFIG["out_channels"] // TINY_CONFIG["num_attention_heads"],
                "in_channels": TINY_CONFIG["out_channels"], "out_channels": None,
                "num_layers": TINY_CONFIG["transformer_layers_per_block"],
                "cross_attention_dim": TINY_CONFIG["cross_attention_dim"],
            },
        },
        "mix_factor_values": MIX_FACTORS,
        "io": {"batch": BATCH, "num_frames": FRAMES, "height": HEIGHT, "width": WIDTH,
               "encoder_sequence_length": TEXT_LEN},
    }
    (out_dir / "config.json").write_text(json.dumps(config_json, indent=2, sort_keys=True) + "\n")
    safetensors_io.save_file(sd, out_dir / "weights.safetensors", metadata={"format": "pt"})
    meta = {
        "model": "CrossAttnDownBlockSpatioTemporal",
        "layout": "hidden_states/resnet_output/output [B*F, C, H, W] frames b-major; temb [B*F, T]; "
                  "encoder_hidden_states [B*F, L, D]; image_only_indicator [B, F]",
        "precision": "float64 forward on the float32 weights/inputs, outputs rounded to float32 once",
    }
    files = {"io.safetensors": (ind_video, out_video, res_video),
             "io_images.safetensors": (ind_images, out_images, res_images)}
    for fname, (ind, out, res) in files.items():
        tensors = dict(inputs)
        tensors["image_only_indicator"] = ind
        tensors["resnet_output"] = res.float()
        tensors["output"] = out.float()
        safetensors_io.save_file(tensors, out_dir / fname, metadata=meta)
        back, _ = safetensors_io.load_file(out_dir / fname)
        assert torch.equal(back["output"], out.float()) and torch.equal(back["image_only_indicator"], ind)
    back, _ = safetensors_io.load_file(out_dir / "weights.safetensors")
    assert set(back) == set(sd) and all(torch.equal(back[k], sd[k]) for k in sd)

    total = 0
    for f in sorted(out_dir.iterdir()):
        size = f.stat().st_size
        total += size
        log.append(f"  {f.name:40s} {size:9d} B  sha256 {hashlib.sha256(f.read_bytes()).hexdigest()[:16]}")
    log.append(f"  total {total} B")
    return log
