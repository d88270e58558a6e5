"""Minimal safetensors writer/reader (the `safetensors` package is not needed).

File layout: 8-byte little-endian u64 header length N, then N bytes of UTF-8 JSON, then the raw data.
The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to
the start of the data section) plus an optional "__metadata__" map of string -> string. Tensors are laid
out in sorted-name order, the JSON has sorted keys and no whitespace, and the header is padded with spaces
to a multiple of 8 bytes, so the bytes depend only on the tensors and metadata (deterministic output).
"""
import json
import struct
from pathlib import Path

import numpy as np
import torch

_TO_ST = {
    torch.float32: ("F32", "<f4"),
    torch.float64: ("F64", "<f8"),
    torch.float16: ("F16", "<f2"),
    torch.int64: ("I64", "<i8"),
    torch.int32: ("I32", "<i4"),
}
_FROM_ST = {st: (np_dtype, torch_dtype) for torch_dtype, (st, np_dtype) in _TO_ST.items()}


def save_file(tensors, path, metadata=None):
    """Write a dict name -> tensor to `path` in safetensors format."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _TO_ST:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        st_dtype, np_dtype = _TO_ST[t.dtype]
        data = t.numpy().astype(np_dtype, copy=False).tobytes(order="C")
        header[name] = {"dtype": st_dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in sorted(metadata.items())}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def load_file(path):
    """Read a safetensors file; returns (dict name -> tensor, metadata dict)."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        np_dtype, _ = _FROM_ST[info["dtype"]]
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, metadata
