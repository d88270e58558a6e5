"""Mirrors of diffusers transformer wrappers used by video UNets.

  * transformers/transformer_2d.py  Transformer2DModel (continuous input) -> norm, proj_in,
    transformer_blocks.N, proj_out
  * transformers/transformer_temporal.py  TransformerTemporalModel -> norm, proj_in, transformer_blocks.N,
    proj_out
"""
from torch import nn

from .attention import BasicTransformerBlock


class Transformer2DModel(nn.Module):
    """diffusers Transformer2DModel, continuous input, norm_type="layer_norm".

    residual = x; x = GroupNorm(norm_num_groups, eps=1e-6)(x)
    linear projection: x -> [B, H*W, C] (permute(0, 2, 3, 1)) -> proj_in (Linear);
    conv projection:   proj_in (1x1 Conv2d) -> [B, H*W, inner]
    blocks (self-attn per image, cross-attn to encoder_hidden_states, GEGLU FF), then the inverse
    projection and out = x + residual. Each image of the batch is independent here (frames are folded
    into the batch by the caller); cross-frame processors on attn1 are the only exception.
    """

    def __init__(self, num_attention_heads=16, attention_head_dim=88, in_channels=None, out_channels=None,
                 num_layers=1, dropout=0.0, norm_num_groups=32, cross_attention_dim=None, attention_bias=False,
                 activation_fn="geglu", use_linear_projection=False, only_cross_attention=False,
                 double_self_attention=False, upcast_attention=False, norm_elementwise_affine=True,
                 norm_eps=1e-5):
        super().__init__()
        self.use_linear_projection = use_linear_projection
        self.num_attention_heads = num_attention_heads
        self.attention_head_dim = attention_head_dim
        inner_dim = num_attention_heads * attention_head_dim
        self.in_channels = in_channels
        self.norm = nn.GroupNorm(num_groups=norm_num_groups, num_channels=in_channels, eps=1e-6, affine=True)
        if use_linear_projection:
            self.proj_in = nn.Linear(in_channels, inner_dim)
        else:
            self.proj_in = nn.Conv2d(in_channels, inner_dim, kernel_size=1, stride=1, padding=0)
        self.transformer_blocks = nn.ModuleList([
            BasicTransformerBlock(inner_dim, num_attention_heads, attention_head_dim, dropout=dropout,
                                  cross_attention_dim=cross_attention_dim, activation_fn=activation_fn,
                                  attention_bias=attention_bias, only_cross_attention=only_cross_attention,
                                  double_self_attention=double_self_attention, upcast_attention=upcast_attention,
                                  norm_elementwise_affine=norm_elementwise_affine, norm_eps=norm_eps)
            for _ in range(num_layers)])
        if use_linear_projection:
            self.proj_out = nn.Linear(inner_dim, in_channels)
        else:
            self.proj_out = nn.Conv2d(inner_dim, in_channels, kernel_size=1, stride=1, padding=0)

    def forward(self, hidden_states, encoder_hidden_states=None):
        batch, _, height, width = hidden_states.shape
        residual = hidden_states
        hidden_states = self.norm(hidden_states)
        if not self.use_linear_projection:
            hidden_states = self.proj_in(hidden_states)
            inner_dim = hidden_states.shape[1]
            hidden_states = hidden_states.permute(0, 2, 3, 1).reshape(batch, height * width, inner_dim)
        else:
            inner_dim = hidden_states.shape[1]
            hidden_states = hidden_states.permute(0, 2, 3, 1).reshape(batch, height * width, inner_dim)
            hidden_states = self.proj_in(hidden_states)
        for block in self.transformer_blocks:
            hidden_states = block(hidden_states, encoder_hidden_states=encoder_hidden_states)
        if not self.use_linear_projection:
            hidden_states = hidden_states.reshape(batch, height, width, inner_dim).permute(0, 3, 1, 2).contiguous()
            hidden_states = self.proj_out(hidden_states)
        else:
            hidden_states = self.proj_out(hidden_states)
            hidden_states = hidden_states.reshape(batch, height, width, inner_dim).permute(0, 3, 1, 2).contiguous()
        return hidden_states + residual


class TransformerTemporalModel(nn.Module):
    """diffusers TransformerTemporalModel (positional_embeddings=None, i.e. the ModelScope variant).

    Input [(b f), C, H, W]. residual = x;
    x -> [b, C, f, H, W]; GroupNorm(norm_num_groups, C, eps=1e-6) over that 5-D tensor (statistics per
    video over channels-in-group x frames x H x W, NOT per frame);
    x -> permute(0, 3, 4, 2, 1) -> [b*H*W, f, C]; proj_in (Linear C -> heads*head_dim);
    blocks = BasicTransformerBlock(double_self_attention=True by default: attn2 is a second
    self-attention over frames, since no encoder_hidden_states is passed by the UNet);
    proj_out (Linear inner -> C); back to [(b f), C, H, W]; out = x + residual.
    """

    def __init__(self, num_attention_heads=16, attention_head_dim=88, in_channels=None, out_channels=None,
                 num_layers=1, dropout=0.0, norm_num_groups=32, cross_attention_dim=None, attention_bias=False,
                 activation_fn="geglu", norm_elementwise_affine=True, double_self_attention=True,
                 positional_embeddings=None, num_positional_embeddings=None):
        super().__init__()
        if positional_embeddings is not None:
            raise NotImplementedError("positional embeddings (AnimateDiff) belong in that architecture's file")
        self.num_attention_heads = num_attention_heads
        self.attention_head_dim = attention_head_dim
        inner_dim = num_attention_heads * attention_head_dim
        self.in_channels = in_channels
        self.norm = nn.GroupNorm(num_groups=norm_num_groups, num_channels=in_channels, eps=1e-6, affine=True)
        self.proj_in = nn.Linear(in_channels, inner_dim)
        self.transformer_blocks = nn.ModuleList([
            BasicTransformerBlock(inner_dim, num_attention_heads, attention_head_dim, dropout=dropout,
                                  cross_attention_dim=cross_attention_dim, activation_fn=activation_fn,
                                  attention_bias=attention_bias, double_self_attention=double_self_attention,
                                  norm_elementwise_affine=norm_elementwise_affine)
            for _ in range(num_layers)])
        self.proj_out = nn.Linear(inner_dim, in_channels)

    def forward(self, hidden_states, encoder_hidden_states=None, num_frames=1):
        batch_frames, channel, height, width = hidden_states.shape
        batch_size = batch_frames // num_frames
        residual = hidden_states
        hidden_states = hidden_states[None, :].reshape(batch_size, num_frames, channel, height, width)
        hidden_states = hidden_states.permute(0, 2, 1, 3, 4)
        hidden_states = self.norm(hidden_states)
        hidden_states = hidden_states.permute(0, 3, 4, 2, 1).reshape(batch_size * height * width, num_frames, channel)
        hidden_states = self.proj_in(hidden_states)
        for block in self.transformer_blocks:
            hidden_states = block(hidden_states, encoder_hidden_states=encoder_hidden_states)
        hidden_states = self.proj_out(hidden_states)
        hidden_states = (hidden_states[None, None, :]
                         .reshape(batch_size, height, width, num_frames, channel)
                         .permute(0, 3, 4, 1, 2)
                         .contiguous())
        hidden_states = hidden_states.reshape(batch_frames, channel, height, width)
        return hidden_states + residual
