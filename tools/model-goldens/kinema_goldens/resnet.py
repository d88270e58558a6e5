"""Mirrors of diffusers.models.resnet / upsampling / downsampling pieces used by the video UNets.

  * ResnetBlock2D (time_embedding_norm="default", pre_norm) -> norm1, conv1, time_emb_proj, norm2, conv2,
    conv_shortcut (1x1, only when in_channels != out_channels)
  * Downsample2D(use_conv=True, name="op") -> conv (3x3, stride 2)
  * Upsample2D(use_conv=True, name="conv") -> conv (3x3) after nearest x2 (or nearest to output_size)
  * TemporalConvLayer (ModelScope) -> conv1.{0,2}, conv2.{0,3}, conv3.{0,3}, conv4.{0,3}
"""
import torch
import torch.nn.functional as F
from torch import nn

from .nn_utils import get_activation


class ResnetBlock2D(nn.Module):
    """diffusers ResnetBlock2D, default time-embedding path.

    h = conv1(act(norm1(x))); h = h + time_emb_proj(act(temb))[:, :, None, None]
    h = conv2(dropout(act(norm2(h)))); out = (shortcut(x) + h) / output_scale_factor
    Both GroupNorms use `eps` (the UNet passes norm_eps) and `groups`.
    """

    def __init__(self, *, in_channels, out_channels=None, conv_shortcut=False, dropout=0.0, temb_channels=512,
                 groups=32, groups_out=None, pre_norm=True, eps=1e-6, non_linearity="swish",
                 time_embedding_norm="default", output_scale_factor=1.0, use_in_shortcut=None,
                 conv_shortcut_bias=True, conv_2d_out_channels=None):
        super().__init__()
        if time_embedding_norm != "default":
            raise NotImplementedError(time_embedding_norm)
        if conv_shortcut:
            raise NotImplementedError("conv_shortcut=True (3x3 shortcut) is not used by the mirrored models")
        out_channels = in_channels if out_channels is None else out_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.output_scale_factor = output_scale_factor
        groups_out = groups if groups_out is None else groups_out

        self.norm1 = nn.GroupNorm(num_groups=groups, num_channels=in_channels, eps=eps, affine=True)
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1)
        self.time_emb_proj = nn.Linear(temb_channels, out_channels) if temb_channels is not None else None
        self.norm2 = nn.GroupNorm(num_groups=groups_out, num_channels=out_channels, eps=eps, affine=True)
        self.dropout = nn.Dropout(dropout)
        conv_2d_out_channels = conv_2d_out_channels or out_channels
        self.conv2 = nn.Conv2d(out_channels, conv_2d_out_channels, kernel_size=3, stride=1, padding=1)
        self.nonlinearity = get_activation(non_linearity)
        self.use_in_shortcut = (in_channels != conv_2d_out_channels) if use_in_shortcut is None else use_in_shortcut
        self.conv_shortcut = None
        if self.use_in_shortcut:
            self.conv_shortcut = nn.Conv2d(in_channels, conv_2d_out_channels, kernel_size=1, stride=1, padding=0,
                                           bias=conv_shortcut_bias)

    def forward(self, input_tensor, temb):
        hidden_states = self.norm1(input_tensor)
        hidden_states = self.nonlinearity(hidden_states)
        hidden_states = self.conv1(hidden_states)
        if self.time_emb_proj is not None:
            temb = self.nonlinearity(temb)
            temb = self.time_emb_proj(temb)[:, :, None, None]
        if temb is not None:
            hidden_states = hidden_states + temb
        hidden_states = self.norm2(hidden_states)
        hidden_states = self.nonlinearity(hidden_states)
        hidden_states = self.dropout(hidden_states)
        hidden_states = self.conv2(hidden_states)
        if self.conv_shortcut is not None:
            input_tensor = self.conv_shortcut(input_tensor)
        return (input_tensor + hidden_states) / self.output_scale_factor


class Downsample2D(nn.Module):
    """diffusers Downsample2D with use_conv=True. For name="op" the conv is registered as `conv` only."""

    def __init__(self, channels, use_conv=True, out_channels=None, padding=1, name="conv"):
        super().__init__()
        if not use_conv:
            raise NotImplementedError("avg-pool downsampling is not used by the mirrored models")
        if name == "conv":
            raise NotImplementedError("name='conv' registers the conv twice (Conv2d_0 and conv); not needed")
        self.channels = channels
        self.out_channels = out_channels or channels
        self.padding = padding
        self.conv = nn.Conv2d(self.channels, self.out_channels, kernel_size=3, stride=2, padding=padding)

    def forward(self, hidden_states):
        assert hidden_states.shape[1] == self.channels
        if self.padding == 0:
            hidden_states = F.pad(hidden_states, (0, 1, 0, 1), mode="constant", value=0)
        return self.conv(hidden_states)


class Upsample2D(nn.Module):
    """diffusers Upsample2D with use_conv=True, name="conv": nearest upsample then 3x3 conv.

    Without output_size: F.interpolate(scale_factor=2.0, mode="nearest"); with output_size (the UNet
    forwards it when H or W is not a multiple of 2**num_upsamplers): F.interpolate(size=output_size,
    mode="nearest"), i.e. src = floor(dst * in / out).
    """

    def __init__(self, channels, use_conv=True, out_channels=None, name="conv"):
        super().__init__()
        if not use_conv or name != "conv":
            raise NotImplementedError("only Upsample2D(use_conv=True, name='conv') is mirrored")
        self.channels = channels
        self.out_channels = out_channels or channels
        self.conv = nn.Conv2d(self.channels, self.out_channels, kernel_size=3, padding=1)

    def forward(self, hidden_states, output_size=None):
        assert hidden_states.shape[1] == self.channels
        if output_size is None:
            hidden_states = F.interpolate(hidden_states, scale_factor=2.0, mode="nearest")
        else:
            hidden_states = F.interpolate(hidden_states, size=output_size, mode="nearest")
        return self.conv(hidden_states)


class TemporalConvLayer(nn.Module):
    """diffusers TemporalConvLayer (from ModelScope's unet_sd.py).

    Sequential indices (hence state_dict keys):
      conv1 = [0 GroupNorm(g, in_dim), 1 SiLU, 2 Conv3d(in_dim, out_dim, (3,1,1), pad (1,0,0))]
      conv2..conv4 = [0 GroupNorm(g, out_dim), 1 SiLU, 2 Dropout, 3 Conv3d(out_dim, in_dim, (3,1,1), pad (1,0,0))]
    so the keys are conv1.0.*, conv1.2.*, convK.0.*, convK.3.* (K = 2..4). The GroupNorms use PyTorch's
    default eps=1e-5 (no eps argument in diffusers). diffusers zero-initialises conv4's Conv3d so the
    layer starts as identity; this mirror does NOT keep that (weights come from the checkpoint / the
    golden init).
    forward: (b f) c h w -> b c f h w; x + conv4(conv3(conv2(conv1(x)))); -> (b f) c h w.
    """

    def __init__(self, in_dim, out_dim=None, dropout=0.0, norm_num_groups=32):
        super().__init__()
        out_dim = out_dim or in_dim
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.conv1 = nn.Sequential(
            nn.GroupNorm(norm_num_groups, in_dim), nn.SiLU(),
            nn.Conv3d(in_dim, out_dim, (3, 1, 1), padding=(1, 0, 0)))
        self.conv2 = nn.Sequential(
            nn.GroupNorm(norm_num_groups, out_dim), nn.SiLU(), nn.Dropout(dropout),
            nn.Conv3d(out_dim, in_dim, (3, 1, 1), padding=(1, 0, 0)))
        self.conv3 = nn.Sequential(
            nn.GroupNorm(norm_num_groups, out_dim), nn.SiLU(), nn.Dropout(dropout),
            nn.Conv3d(out_dim, in_dim, (3, 1, 1), padding=(1, 0, 0)))
        self.conv4 = nn.Sequential(
            nn.GroupNorm(norm_num_groups, out_dim), nn.SiLU(), nn.Dropout(dropout),
            nn.Conv3d(out_dim, in_dim, (3, 1, 1), padding=(1, 0, 0)))

    def forward(self, hidden_states, num_frames=1):
        hidden_states = hidden_states[None, :].reshape((-1, num_frames) + hidden_states.shape[1:]).permute(0, 2, 1, 3, 4)
        identity = hidden_states
        hidden_states = self.conv1(hidden_states)
        hidden_states = self.conv2(hidden_states)
        hidden_states = self.conv3(hidden_states)
        hidden_states = self.conv4(hidden_states)
        hidden_states = identity + hidden_states
        hidden_states = hidden_states.permute(0, 2, 1, 3, 4).reshape(
            (hidden_states.shape[0] * hidden_states.shape[2], -1) + hidden_states.shape[3:])
        return hidden_states
