"""Mirrors of the diffusion-transformer (DiT / PixArt-Alpha) building blocks of diffusers.

diffusers pieces mirrored (same attribute names, hence the same state_dict keys):
  * embeddings.get_2d_sincos_pos_embed, get_2d_sincos_pos_embed_from_grid, get_1d_sincos_pos_embed_from_grid
    (numpy float64 path, as diffusers computes them; a torch float64 twin of the 1-D helper is used by
    the self-checks, matching diffusers' later output_type="pt" path)
  * embeddings.PatchEmbed (pos_embed_type "sincos", no pos_embed_max_size)   -> proj (Conv2d)
  * embeddings.PixArtAlphaCombinedTimestepSizeEmbeddings                     -> timestep_embedder.linear_1/2
  * embeddings.PixArtAlphaTextProjection (act_fn "gelu_tanh")                -> linear_1, linear_2
  * normalization.AdaLayerNormSingle                                          -> emb.*, linear
Sinusoidal tables are computed in float64 and registered as float32 non-persistent buffers, exactly like
diffusers (`torch.from_numpy(pos_embed).float().unsqueeze(0)`, `persistent=False`): they are not part of
the state_dict and a model cast to float64 uses the float32-rounded values.
"""
import numpy as np
import torch
from torch import nn

from .embeddings import TimestepEmbedding, Timesteps


# ------------------------------------------------------------------------------------- sincos position tables

def get_1d_sincos_pos_embed_from_grid(embed_dim, pos):
    """diffusers get_1d_sincos_pos_embed_from_grid (numpy): [M] positions -> [M, D] float64.

    omega[i] = 1 / 10000 ** (i / (D / 2)), i in [0, D/2);  out = outer(pos, omega);
    emb = concat(sin(out), cos(out)) along channels (sin first; no flip).
    """
    if embed_dim % 2 != 0:
        raise ValueError("embed_dim must be divisible by 2")
    omega = np.arange(embed_dim // 2, dtype=np.float64)
    omega /= embed_dim / 2.0
    omega = 1.0 / 10000 ** omega
    pos = np.asarray(pos).reshape(-1)
    out = np.einsum("m,d->md", pos, omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def get_1d_sincos_pos_embed_from_grid_torch(embed_dim, pos):
    """The same table computed with torch in float64 (diffusers' output_type="pt" variant, which
    LatteTransformer3DModel uses for temp_pos_embed in recent versions). Only used by self-checks."""
    if embed_dim % 2 != 0:
        raise ValueError("embed_dim must be divisible by 2")
    omega = torch.arange(embed_dim // 2, dtype=torch.float64)
    omega /= embed_dim / 2.0
    omega = 1.0 / 10000 ** omega
    pos = pos.reshape(-1)
    out = torch.outer(pos.to(torch.float64), omega)
    return torch.cat([torch.sin(out), torch.cos(out)], dim=1)


def get_2d_sincos_pos_embed_from_grid(embed_dim, grid):
    """diffusers: the first D/2 channels encode grid[0], the last D/2 encode grid[1]."""
    if embed_dim % 2 != 0:
        raise ValueError("embed_dim must be divisible by 2")
    emb_h = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[0])
    emb_w = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[1])
    return np.concatenate([emb_h, emb_w], axis=1)


def get_2d_sincos_pos_embed(embed_dim, grid_size, cls_token=False, extra_tokens=0, interpolation_scale=1.0,
                            base_size=16):
    """diffusers get_2d_sincos_pos_embed: [gh*gw, D] float64, token order row-major (h outer, w inner).

      grid_h = arange(gh, float32) / (gh / base_size) / interpolation_scale    (float32 numpy arithmetic)
      grid_w = arange(gw, float32) / (gw / base_size) / interpolation_scale
      grid = stack(meshgrid(grid_w, grid_h))  -> grid[0][i, j] = grid_w[j], grid[1][i, j] = grid_h[i]
    so, despite diffusers' variable names (emb_h = f(grid[0])), the FIRST half of the channels encodes the
    column (w) coordinate and the SECOND half the row (h) coordinate.
    """
    if isinstance(grid_size, int):
        grid_size = (grid_size, grid_size)
    grid_h = np.arange(grid_size[0], dtype=np.float32) / (grid_size[0] / base_size) / interpolation_scale
    grid_w = np.arange(grid_size[1], dtype=np.float32) / (grid_size[1] / base_size) / interpolation_scale
    grid = np.meshgrid(grid_w, grid_h)  # w goes first
    grid = np.stack(grid, axis=0)
    grid = grid.reshape([2, 1, grid_size[1], grid_size[0]])
    pos_embed = get_2d_sincos_pos_embed_from_grid(embed_dim, grid)
    if cls_token and extra_tokens > 0:
        pos_embed = np.concatenate([np.zeros([extra_tokens, embed_dim]), pos_embed], axis=0)
    return pos_embed


# ------------------------------------------------------------------------------------------------ modules

class PatchEmbed(nn.Module):
    """diffusers.models.embeddings.PatchEmbed (sincos, no SD3 cropping, no layer norm by default).

    x [N, C, H, W] -> proj Conv2d(C, D, k=p, stride=p) -> flatten(2).transpose(1, 2) [N, (H/p)(W/p), D]
    -> + pos_embed. pos_embed is the buffer built for (height/p, width/p) with base_size = height // p;
    another latent size recomputes the table for that grid with the same base_size/interpolation_scale.
    """

    def __init__(self, height=224, width=224, patch_size=16, in_channels=3, embed_dim=768, layer_norm=False,
                 flatten=True, bias=True, interpolation_scale=1, pos_embed_type="sincos"):
        super().__init__()
        num_patches = (height // patch_size) * (width // patch_size)
        self.flatten = flatten
        self.layer_norm = layer_norm
        self.proj = nn.Conv2d(in_channels, embed_dim, kernel_size=(patch_size, patch_size), stride=patch_size,
                              bias=bias)
        self.norm = nn.LayerNorm(embed_dim, elementwise_affine=False, eps=1e-6) if layer_norm else None
        self.patch_size = patch_size
        self.height, self.width = height // patch_size, width // patch_size
        self.base_size = height // patch_size
        self.interpolation_scale = interpolation_scale
        grid_size = int(num_patches ** 0.5)
        if pos_embed_type is None:
            self.pos_embed = None
        elif pos_embed_type == "sincos":
            pos_embed = get_2d_sincos_pos_embed(embed_dim, grid_size, base_size=self.base_size,
                                                interpolation_scale=self.interpolation_scale)
            self.register_buffer("pos_embed", torch.from_numpy(pos_embed).float().unsqueeze(0), persistent=False)
        else:
            raise ValueError(f"Unsupported pos_embed_type: {pos_embed_type}")

    def forward(self, latent):
        height, width = latent.shape[-2] // self.patch_size, latent.shape[-1] // self.patch_size
        latent = self.proj(latent)
        if self.flatten:
            latent = latent.flatten(2).transpose(1, 2)  # BCHW -> BNC
        if self.layer_norm:
            latent = self.norm(latent)
        if self.pos_embed is None:
            return latent
        if self.height != height or self.width != width:
            pos_embed = get_2d_sincos_pos_embed(embed_dim=self.pos_embed.shape[-1], grid_size=(height, width),
                                                base_size=self.base_size,
                                                interpolation_scale=self.interpolation_scale)
            pos_embed = torch.from_numpy(pos_embed).float().unsqueeze(0).to(latent.device)
        else:
            pos_embed = self.pos_embed
        return (latent + pos_embed).to(latent.dtype)


class PixArtAlphaCombinedTimestepSizeEmbeddings(nn.Module):
    """diffusers PixArtAlphaCombinedTimestepSizeEmbeddings.

    t -> Timesteps(256, flip_sin_to_cos=True, downscale_freq_shift=0) (float32 sinusoid: cos first)
      -> .to(hidden_dtype) -> TimestepEmbedding(256, D): linear_1 -> SiLU -> linear_2.
    With use_additional_conditions (PixArt-Alpha 1024 only; not exercised by the goldens) resolution and
    aspect-ratio embeddings of size size_emb_dim are concatenated and added.
    """

    def __init__(self, embedding_dim, size_emb_dim, use_additional_conditions=False):
        super().__init__()
        self.outdim = size_emb_dim
        self.time_proj = Timesteps(num_channels=256, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.timestep_embedder = TimestepEmbedding(in_channels=256, time_embed_dim=embedding_dim)
        self.use_additional_conditions = use_additional_conditions
        if use_additional_conditions:
            self.additional_condition_proj = Timesteps(num_channels=256, flip_sin_to_cos=True,
                                                       downscale_freq_shift=0)
            self.resolution_embedder = TimestepEmbedding(in_channels=256, time_embed_dim=size_emb_dim)
            self.aspect_ratio_embedder = TimestepEmbedding(in_channels=256, time_embed_dim=size_emb_dim)

    def forward(self, timestep, resolution, aspect_ratio, batch_size, hidden_dtype):
        timesteps_proj = self.time_proj(timestep)
        timesteps_emb = self.timestep_embedder(timesteps_proj.to(dtype=hidden_dtype))
        if self.use_additional_conditions:
            resolution_emb = self.additional_condition_proj(resolution.flatten()).to(hidden_dtype)
            resolution_emb = self.resolution_embedder(resolution_emb).reshape(batch_size, -1)
            aspect_ratio_emb = self.additional_condition_proj(aspect_ratio.flatten()).to(hidden_dtype)
            aspect_ratio_emb = self.aspect_ratio_embedder(aspect_ratio_emb).reshape(batch_size, -1)
            return timesteps_emb + torch.cat([resolution_emb, aspect_ratio_emb], dim=1)
        return timesteps_emb


class AdaLayerNormSingle(nn.Module):
    """diffusers.models.normalization.AdaLayerNormSingle (adaLN-single, PixArt-Alpha section 2.3).

    embedded = emb(t)  [B, D];  returns (linear(silu(embedded)) [B, 6D], embedded [B, D]).
    No normalisation happens here: the 6D vector is split by each BasicTransformerBlock.
    """

    def __init__(self, embedding_dim, use_additional_conditions=False):
        super().__init__()
        self.emb = PixArtAlphaCombinedTimestepSizeEmbeddings(
            embedding_dim, size_emb_dim=embedding_dim // 3, use_additional_conditions=use_additional_conditions)
        self.silu = nn.SiLU()
        self.linear = nn.Linear(embedding_dim, 6 * embedding_dim, bias=True)

    def forward(self, timestep, added_cond_kwargs=None, batch_size=None, hidden_dtype=None):
        added_cond_kwargs = added_cond_kwargs or {"resolution": None, "aspect_ratio": None}
        embedded_timestep = self.emb(timestep, **added_cond_kwargs, batch_size=batch_size,
                                     hidden_dtype=hidden_dtype)
        return self.linear(self.silu(embedded_timestep)), embedded_timestep


class PixArtAlphaTextProjection(nn.Module):
    """diffusers PixArtAlphaTextProjection: linear_1 -> GELU(tanh) -> linear_2 (caption_projection)."""

    def __init__(self, in_features, hidden_size, out_features=None, act_fn="gelu_tanh"):
        super().__init__()
        if out_features is None:
            out_features = hidden_size
        self.linear_1 = nn.Linear(in_features=in_features, out_features=hidden_size, bias=True)
        if act_fn == "gelu_tanh":
            self.act_1 = nn.GELU(approximate="tanh")
        elif act_fn == "silu":
            self.act_1 = nn.SiLU()
        else:
            raise ValueError(f"Unknown activation function: {act_fn}")
        self.linear_2 = nn.Linear(in_features=hidden_size, out_features=out_features, bias=True)

    def forward(self, caption):
        hidden_states = self.linear_1(caption)
        hidden_states = self.act_1(hidden_states)
        hidden_states = self.linear_2(hidden_states)
        return hidden_states
