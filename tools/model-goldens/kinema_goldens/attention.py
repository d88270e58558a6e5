"""Mirrors of diffusers attention pieces plus cross-frame attention processors.

diffusers classes mirrored (same attribute names, hence the same state_dict keys):
  * attention_processor.Attention   -> to_q, to_k, to_v, to_out.0 (Linear), to_out.1 (Dropout)
  * attention_processor.AttnProcessor (the classic baddbmm/softmax/bmm path)
  * activations.GEGLU, activations.GELU, attention.FeedForward -> ff.net.0.proj, ff.net.2
  * attention.BasicTransformerBlock (norm_type "layer_norm" -> norm1, attn1, norm2, attn2, norm3, ff;
    norm_type "ada_norm_single" (PixArt-Alpha / Latte) -> norm1, attn1, norm2, attn2, ff, scale_shift_table)

Processors are plain Python objects stored on `Attention.processor` (not modules), exactly like diffusers,
so swapping them never changes the state_dict. Besides diffusers' own per-frame AttnProcessor this module
provides the load-time cross-frame processors used by training-free video methods; they only make sense
on a spatial self-attention whose batch axis is frames folded into the batch as (b f), b-major.
"""
import torch
import torch.nn.functional as F
from torch import nn


# --------------------------------------------------------------------------------------------- processors

class AttnProcessor:
    """diffusers AttnProcessor (no mask support: UNet3DConditionModel never forwards a mask to attention).

    q = to_q(x); k, v = to_k(c), to_v(c) with c = encoder_hidden_states or x; heads split as
    [B, N, h*d] -> [B*h, N, d] (head_to_batch_dim); p = softmax(scale * q k^T) with scale = d^-0.5 via
    baddbmm(beta=0); out = batch_to_head_dim(p v); to_out[0] (Linear) then to_out[1] (Dropout).
    """

    name = "per_frame"

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None):
        if attention_mask is not None:
            raise NotImplementedError("attention masks are not used by the mirrored models")
        query = attn.to_q(hidden_states)
        is_cross = encoder_hidden_states is not None
        context = encoder_hidden_states if is_cross else hidden_states
        key = attn.to_k(context)
        value = attn.to_v(context)
        if not is_cross:
            key, value = self.gather_self_kv(key, value)
        return attn.attend(query, key, value)

    def gather_self_kv(self, key, value):
        """Per-frame (diffusers default): each image in the batch attends to its own tokens only."""
        return key, value


class _CrossFrameProcessor(AttnProcessor):
    """Base of the cross-frame processors.

    Keys/values are re-assembled after the to_k / to_v projections and before the head split, on tensors
    of shape [B*F, N, inner] whose batch axis is (b f), b-major (UNet3DConditionModel folds frames that
    way: sample.permute(0, 2, 1, 3, 4).reshape(B*F, C, H, W)). Queries always stay per frame. Cross
    attention (encoder_hidden_states given) is left untouched, as in all three reference projects.
    `num_frames` is set by the model before each forward (the reference implementations get it from a
    `video_length` argument or from batch_size).
    """

    num_frames = None

    def _split(self, t):
        f = self.num_frames
        if f is None:
            raise RuntimeError("num_frames not set on the cross-frame processor")
        bf, n, c = t.shape
        assert bf % f == 0, (bf, f)
        return t.reshape(bf // f, f, n, c)

    def gather_self_kv(self, key, value):
        return self._gather(key), self._gather(value)


class FirstFrameAttnProcessor(_CrossFrameProcessor):
    """`first` - Text2Video-Zero's CrossFrameAttnProcessor.

    Every frame t attends to the keys/values of frame 0 of the same video:
        k[b, t] = k[b, 0],  v[b, t] = v[b, 0]        (token count N unchanged)
    (reference: key = rearrange_3(key, video_length)[:, [0] * video_length] then rearrange_4 back).
    At frame 0 this is identical to per-frame attention.
    """

    name = "first"

    def _gather(self, t):
        x = self._split(t)
        f = x.shape[1]
        x = x[:, [0] * f]
        return x.reshape(-1, x.shape[2], x.shape[3])


class SparseCausalAttnProcessor(_CrossFrameProcessor):
    """`sparse_causal` - Tune-A-Video's SparseCausalAttention.

    Frame t attends to the concatenation along tokens of frame 0 and frame max(t-1, 0):
        k[b, t] = cat([k[b, 0], k[b, max(t-1, 0)]], dim=tokens)   (2N tokens; same for v)
    (reference: former_frame_index = arange(f) - 1; former_frame_index[0] = 0;
     key = cat([key[:, [0] * f], key[:, former_frame_index]], dim=2)).
    At frame 0 the key set is frame 0 twice, which gives exactly the per-frame result; at frame 1 it
    is mathematically the `first` result; only frames >= 2 differ from both.
    """

    name = "sparse_causal"

    def _gather(self, t):
        x = self._split(t)
        f = x.shape[1]
        former = [max(i - 1, 0) for i in range(f)]
        x = torch.cat([x[:, [0] * f], x[:, former]], dim=2)
        return x.reshape(-1, x.shape[2], x.shape[3])


class AllFramesAttnProcessor(_CrossFrameProcessor):
    """`all` - ControlVideo's fully cross-frame attention.

    Every frame attends to the tokens of all frames of its video, concatenated along tokens in frame
    order: k[b, t] = cat([k[b, 0], k[b, 1], ..., k[b, F-1]], dim=tokens)   (F*N tokens; same for v)
    (reference: key = rearrange(key, "(b f) d c -> b (f d) c"); ControlVideo also merges the queries of
    all frames into one sequence, which is the same computation since softmax is per query row).
    """

    name = "all"

    def _gather(self, t):
        x = self._split(t)
        b, f, n, c = x.shape
        x = x.reshape(b, 1, f * n, c).expand(b, f, f * n, c)
        return x.reshape(b * f, f * n, c)


PROCESSORS = {
    "per_frame": AttnProcessor,
    "first": FirstFrameAttnProcessor,
    "sparse_causal": SparseCausalAttnProcessor,
    "all": AllFramesAttnProcessor,
}


# ------------------------------------------------------------------------------------------------ modules

class Attention(nn.Module):
    """diffusers.models.attention_processor.Attention (the subset the video UNets use)."""

    def __init__(self, query_dim, cross_attention_dim=None, heads=8, dim_head=64, dropout=0.0, bias=False,
                 upcast_attention=False, out_bias=True, processor=None):
        super().__init__()
        self.inner_dim = dim_head * heads
        self.is_cross_attention = cross_attention_dim is not None
        self.cross_attention_dim = cross_attention_dim if cross_attention_dim is not None else query_dim
        self.upcast_attention = upcast_attention
        self.scale = dim_head ** -0.5
        self.heads = heads
        self.to_q = nn.Linear(query_dim, self.inner_dim, bias=bias)
        self.to_k = nn.Linear(self.cross_attention_dim, self.inner_dim, bias=bias)
        self.to_v = nn.Linear(self.cross_attention_dim, self.inner_dim, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(self.inner_dim, query_dim, bias=out_bias), nn.Dropout(dropout)])
        self.processor = processor if processor is not None else AttnProcessor()

    def set_processor(self, processor):
        self.processor = processor

    def head_to_batch_dim(self, tensor):
        b, n, dim = tensor.shape
        h = self.heads
        return tensor.reshape(b, n, h, dim // h).permute(0, 2, 1, 3).reshape(b * h, n, dim // h)

    def batch_to_head_dim(self, tensor):
        bh, n, dim = tensor.shape
        h = self.heads
        return tensor.reshape(bh // h, h, n, dim).permute(0, 2, 1, 3).reshape(bh // h, n, dim * h)

    def get_attention_scores(self, query, key):
        dtype = query.dtype
        if self.upcast_attention:
            query = query.float()
            key = key.float()
        # diffusers computes torch.baddbmm(torch.empty(...), q, k^T, beta=0, alpha=scale), i.e. scale * q k^T.
        # On this CPU PyTorch build baddbmm with beta=0 now and then returns NaN for small batched shapes
        # (uninitialised output memory is scaled by beta instead of ignored), so the same product is
        # computed with bmm and an explicit scale.
        scores = torch.bmm(query, key.transpose(-1, -2)) * self.scale
        return scores.softmax(dim=-1).to(dtype)

    def attend(self, query, key, value):
        """Shared tail of every processor: head split, softmax attention, head merge, output projection."""
        query = self.head_to_batch_dim(query)
        key = self.head_to_batch_dim(key)
        value = self.head_to_batch_dim(value)
        probs = self.get_attention_scores(query, key)
        out = torch.bmm(probs, value)
        out = self.batch_to_head_dim(out)
        out = self.to_out[0](out)
        out = self.to_out[1](out)
        return out

    def forward(self, hidden_states, encoder_hidden_states=None, attention_mask=None):
        return self.processor(self, hidden_states, encoder_hidden_states=encoder_hidden_states,
                              attention_mask=attention_mask)


class GELU(nn.Module):
    """diffusers.models.activations.GELU: proj then gelu (key: proj)."""

    def __init__(self, dim_in, dim_out, approximate="none", bias=True):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out, bias=bias)
        self.approximate = approximate

    def forward(self, hidden_states):
        return F.gelu(self.proj(hidden_states), approximate=self.approximate)


class GEGLU(nn.Module):
    """diffusers.models.activations.GEGLU: proj to 2*dim_out, split (hidden, gate), hidden * gelu(gate).

    The first half of proj's output rows is the value, the second half the gate; gelu is the exact erf one.
    """

    def __init__(self, dim_in, dim_out, bias=True):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2, bias=bias)

    def forward(self, hidden_states):
        hidden_states, gate = self.proj(hidden_states).chunk(2, dim=-1)
        return hidden_states * F.gelu(gate)


class FeedForward(nn.Module):
    """diffusers.models.attention.FeedForward: net = [act(proj in), Dropout, Linear out(, Dropout)]."""

    def __init__(self, dim, dim_out=None, mult=4, dropout=0.0, activation_fn="geglu", final_dropout=False,
                 inner_dim=None, bias=True):
        super().__init__()
        if inner_dim is None:
            inner_dim = int(dim * mult)
        dim_out = dim_out if dim_out is not None else dim
        if activation_fn == "geglu":
            act = GEGLU(dim, inner_dim, bias=bias)
        elif activation_fn == "gelu":
            act = GELU(dim, inner_dim, bias=bias)
        elif activation_fn == "gelu-approximate":
            act = GELU(dim, inner_dim, approximate="tanh", bias=bias)
        else:
            raise ValueError(f"unsupported activation_fn {activation_fn}")
        self.net = nn.ModuleList([act, nn.Dropout(dropout), nn.Linear(inner_dim, dim_out, bias=bias)])
        if final_dropout:
            self.net.append(nn.Dropout(dropout))

    def forward(self, hidden_states):
        for module in self.net:
            hidden_states = module(hidden_states)
        return hidden_states


class BasicTransformerBlock(nn.Module):
    """diffusers.models.attention.BasicTransformerBlock with norm_type "layer_norm" or "ada_norm_single".

    norm_type="layer_norm" (the default; what the UNets use):
      x = attn1(norm1(x), ctx if only_cross_attention else None) + x
      if attn2: x = attn2(norm2(x), encoder_hidden_states) + x   (self-attention when ehs is None,
                which is how TransformerTemporalModel's double_self_attention=True block runs)
      x = ff(norm3(x)) + x
    LayerNorms use eps=norm_eps (1e-5 default) with elementwise affine.

    norm_type="ada_norm_single" (PixArt-Alpha, Latte): `timestep` is the [N, 6*dim] output of the model's
    AdaLayerNormSingle (already repeated to the block's batch N) and the block owns
    scale_shift_table [6, dim] (diffusers: nn.Parameter(torch.randn(6, dim) / dim**0.5)):
      shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp =
          (scale_shift_table[None] + timestep.reshape(N, 6, -1)).chunk(6, dim=1)     each [N, 1, dim]
      x = gate_msa * attn1(norm1(x) * (1 + scale_msa) + shift_msa) + x
      if attn2: x = attn2(x, encoder_hidden_states) + x        (NO norm before cross-attention, as PixArt)
      x = gate_mlp * ff(norm2(x) * (1 + scale_mlp) + shift_mlp) + x
    norm2 is created even without attn2 (diffusers: `if norm_type == "ada_norm_single":  # For Latte`) and is
    the norm of the feed-forward; norm3 does not exist (None). num_embeds_ada_norm is only validated by
    diffusers for "ada_norm"/"ada_norm_zero" and does not change this path.
    """

    def __init__(self, dim, num_attention_heads, attention_head_dim, dropout=0.0, cross_attention_dim=None,
                 activation_fn="geglu", attention_bias=False, only_cross_attention=False,
                 double_self_attention=False, upcast_attention=False, norm_elementwise_affine=True,
                 norm_eps=1e-5, final_dropout=False, ff_inner_dim=None, ff_bias=True, attention_out_bias=True,
                 num_embeds_ada_norm=None, norm_type="layer_norm"):
        super().__init__()
        if norm_type not in ("layer_norm", "ada_norm_single"):
            raise NotImplementedError(f"norm_type {norm_type!r} is not mirrored")
        self.norm_type = norm_type
        self.num_embeds_ada_norm = num_embeds_ada_norm
        self.only_cross_attention = only_cross_attention
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=norm_elementwise_affine, eps=norm_eps)
        self.attn1 = Attention(query_dim=dim, heads=num_attention_heads, dim_head=attention_head_dim,
                               dropout=dropout, bias=attention_bias,
                               cross_attention_dim=cross_attention_dim if only_cross_attention else None,
                               upcast_attention=upcast_attention, out_bias=attention_out_bias)
        if cross_attention_dim is not None or double_self_attention:
            self.norm2 = nn.LayerNorm(dim, norm_eps, norm_elementwise_affine)
            self.attn2 = Attention(query_dim=dim,
                                   cross_attention_dim=cross_attention_dim if not double_self_attention else None,
                                   heads=num_attention_heads, dim_head=attention_head_dim, dropout=dropout,
                                   bias=attention_bias, upcast_attention=upcast_attention,
                                   out_bias=attention_out_bias)
        else:
            if norm_type == "ada_norm_single":
                self.norm2 = nn.LayerNorm(dim, norm_eps, norm_elementwise_affine)
            else:
                self.norm2 = None
            self.attn2 = None
        if norm_type == "layer_norm":
            self.norm3 = nn.LayerNorm(dim, norm_eps, norm_elementwise_affine)
        else:
            self.norm3 = None
        self.ff = FeedForward(dim, dropout=dropout, activation_fn=activation_fn, final_dropout=final_dropout,
                              inner_dim=ff_inner_dim, bias=ff_bias)
        if norm_type == "ada_norm_single":
            self.scale_shift_table = nn.Parameter(torch.randn(6, dim) / dim ** 0.5)

    def forward(self, hidden_states, encoder_hidden_states=None, timestep=None):
        if self.norm_type == "ada_norm_single":
            return self._forward_ada_norm_single(hidden_states, encoder_hidden_states, timestep)
        norm_hidden_states = self.norm1(hidden_states)
        attn_output = self.attn1(norm_hidden_states,
                                 encoder_hidden_states=encoder_hidden_states if self.only_cross_attention else None)
        hidden_states = attn_output + hidden_states
        if self.attn2 is not None:
            norm_hidden_states = self.norm2(hidden_states)
            attn_output = self.attn2(norm_hidden_states, encoder_hidden_states=encoder_hidden_states)
            hidden_states = attn_output + hidden_states
        norm_hidden_states = self.norm3(hidden_states)
        hidden_states = self.ff(norm_hidden_states) + hidden_states
        return hidden_states

    def _forward_ada_norm_single(self, hidden_states, encoder_hidden_states, timestep):
        batch_size = hidden_states.shape[0]
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = (
            self.scale_shift_table[None] + timestep.reshape(batch_size, 6, -1)
        ).chunk(6, dim=1)
        norm_hidden_states = self.norm1(hidden_states)
        norm_hidden_states = norm_hidden_states * (1 + scale_msa) + shift_msa
        attn_output = self.attn1(norm_hidden_states,
                                 encoder_hidden_states=encoder_hidden_states if self.only_cross_attention else None)
        hidden_states = gate_msa * attn_output + hidden_states
        if self.attn2 is not None:
            attn_output = self.attn2(hidden_states, encoder_hidden_states=encoder_hidden_states)
            hidden_states = attn_output + hidden_states
        norm_hidden_states = self.norm2(hidden_states)
        norm_hidden_states = norm_hidden_states * (1 + scale_mlp) + shift_mlp
        hidden_states = gate_mlp * self.ff(norm_hidden_states) + hidden_states
        return hidden_states
