#!/usr/bin/python3
"""Prepares the models of the cross-system denoiser comparison (Kinema vs. PyTorch vs. ONNX Runtime): for each
workload, an ONNX export of the plain-PyTorch mirror plus the reference output every system is checked against.

Writes OUT/<workload>/:
  model.onnx                  torch.onnx.export of the mirror (float32, eval, opset 17, static shapes, weights
                              inside the file); inputs "sample" [B, C, F, H, W], "timestep" [B],
                              "encoder_hidden_states" [B, L, D], all float32; output "output"
  reference_output.bin        the mirror's float32 output for the standard inputs (torch_worker.py's docstring),
                              raw little-endian, NCTHW
  workload.json               shapes, names and provenance of the above (written last: marks a complete export)
  ref-* only: config.json (benchmarks/configs/ARCH/config.json copied as-is) and
              diffusion_pytorch_model.safetensors (float32, diffusers key names): the weights are made here,
              by the default init after torch.manual_seed(20260101), and Kinema, torch_worker.py and ONNX
              Runtime all load these files, so all three run the same weights.
shapes-* workloads export the committed f16 weights of models/shapes-{unet3d,latte} as float32.

Checks per export (onnxruntime and the onnx package are not available here): the exporter's own full ONNX
checker (torch._C._check_onnx_proto, shape inference included) run again on the file read back from disk, and
the graph interface read from the protobuf: opset 17, the three inputs and the output with the expected static
shapes and float32 type. Where LayerNorms were given explicit weights for the export (below), the patched
module's output is compared with the reference output too.

A workload whose outputs all exist and are newer than its sources (weights/config, the mirror package, this
script and torch_worker.py) is skipped unless --force.

Usage: export_onnx.py --root REPO --out DIR [--workloads shapes-unet3d,shapes-latte,ref-unet3d,ref-latte]
                      [--force] [--threads 2]
"""
import argparse
import copy
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# torch_worker sets up OpenBLAS (core type, thread count from --threads) before it imports torch, so it has
# to be imported before torch is.
import torch_worker  # noqa: E402
from torch_worker import WEIGHTS_FILE, WORKLOADS  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402

OPSET = 17
REFERENCE_SEED = 20260101
INPUT_NAMES = ("sample", "timestep", "encoder_hidden_states")
OUTPUT_NAME = "output"


def is_reference(name):
    return "config" in WORKLOADS[name]


def sources(root, name):
    """Files whose change makes an export stale."""
    w = WORKLOADS[name]
    files = [Path(__file__).resolve(), Path(torch_worker.__file__).resolve()]
    files += sorted((root / "tools" / "model-goldens" / "kinema_goldens").glob("*.py"))
    if is_reference(name):
        files.append(root / w["config"])
    else:
        folder = root / w["pipeline"] / w["subfolder"]
        files += [folder / "config.json", folder / WEIGHTS_FILE]
    return files


def outputs(out_dir, name):
    files = [out_dir / "model.onnx", out_dir / "reference_output.bin", out_dir / "workload.json"]
    if is_reference(name):
        files += [out_dir / "config.json", out_dir / WEIGHTS_FILE]
    return files


def up_to_date(root, out_dir, name):
    outs = outputs(out_dir, name)
    if not all(f.is_file() for f in outs):
        return False
    return min(f.stat().st_mtime for f in outs) > max(f.stat().st_mtime for f in sources(root, name))


def make_model(root, name, out_dir):
    """(float32 eval mirror, config). ref-*: seeded default init, saved to out_dir for the other systems."""
    if not is_reference(name):
        return torch_worker.load_model(root, name)
    config_path = root / WORKLOADS[name]["config"]
    config = json.loads(config_path.read_text())
    torch_worker.check_shapes(name, config)
    torch.manual_seed(REFERENCE_SEED)
    model = torch_worker.build_mirror(config).float().eval()
    shutil.copyfile(config_path, out_dir / "config.json")
    from kinema_goldens import safetensors_io
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    safetensors_io.save_file(state, out_dir / WEIGHTS_FILE,
                             metadata={"init": f"torch {torch.__version__} default init, "
                                               f"torch.manual_seed({REFERENCE_SEED})",
                                       "config": WORKLOADS[name]["config"]})
    return model, config


def with_affine_layer_norms(model):
    """A copy of the model whose LayerNorms without affine parameters get weight 1 and bias 0 (numerically
    the same). torch 1.13 exports such a LayerNorm as LayerNormalization with no Scale input, which ONNX
    requires, so the exporter's checker rejects the graph (Latte: norm_elementwise_affine false)."""
    model = copy.deepcopy(model)
    patched = 0
    for module in model.modules():
        if isinstance(module, nn.LayerNorm) and module.weight is None:
            module.weight = nn.Parameter(torch.ones(module.normalized_shape))
            module.bias = nn.Parameter(torch.zeros(module.normalized_shape))
            module.elementwise_affine = True
            patched += 1
    return model, patched


# ------------------------------------------------------------------ reading the exported graph's interface

def _fields(buf):
    """Yields (field number, wire type, value) of one protobuf message: ints for varints, memoryview slices
    for length-delimited fields (fixed-width fields are skipped over as bytes)."""
    pos, end = 0, len(buf)

    def varint():
        nonlocal pos
        shift = result = 0
        while True:
            byte = buf[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7

    while pos < end:
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, wire, varint()
        elif wire == 2:
            length = varint()
            yield number, wire, buf[pos:pos + length]
            pos += length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            yield number, wire, buf[pos:pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _value_info(buf):
    """ValueInfoProto -> (name, elem_type, [dims]) (dims: ints, or strings for symbolic ones)."""
    name, elem_type, dims = None, None, []
    for number, _, value in _fields(buf):
        if number == 1:                                        # name
            name = bytes(value).decode()
        elif number == 2:                                      # type: TypeProto
            for n2, _, tensor in _fields(value):
                if n2 != 1:                                    # tensor_type
                    continue
                for n3, _, v3 in _fields(tensor):
                    if n3 == 1:                                # elem_type
                        elem_type = v3
                    elif n3 == 2:                              # shape: TensorShapeProto
                        for n4, _, dim in _fields(v3):
                            if n4 == 1:                        # dim
                                for n5, _, v5 in _fields(dim):
                                    dims.append(v5 if n5 == 1 else bytes(v5).decode())
    return name, elem_type, dims


def graph_interface(proto):
    """{"opset": default-domain opset, "inputs": [...], "outputs": [...], "nodes": n, "initializers": n}
    read straight from the ModelProto bytes (no onnx package needed)."""
    info = {"opset": None, "inputs": [], "outputs": [], "nodes": 0, "initializers": 0}
    initializer_names = set()
    graph_inputs = []
    for number, _, value in _fields(memoryview(proto)):
        if number == 8:                                        # opset_import
            fields = {n: v for n, _, v in _fields(value)}
            if not bytes(fields.get(1, b"")):                  # default ("") domain
                info["opset"] = fields.get(2)
        elif number == 7:                                      # graph
            for n2, _, v2 in _fields(value):
                if n2 == 1:
                    info["nodes"] += 1
                elif n2 == 5:                                  # initializer: TensorProto, name is field 8
                    info["initializers"] += 1
                    for n3, _, v3 in _fields(v2):
                        if n3 == 8:
                            initializer_names.add(bytes(v3).decode())
                elif n2 == 11:
                    graph_inputs.append(_value_info(v2))
                elif n2 == 12:
                    info["outputs"].append(_value_info(v2))
    # older IRs list initializers among the inputs too; the runtime inputs are the rest
    info["inputs"] = [i for i in graph_inputs if i[0] not in initializer_names]
    return info


def verify_export(path, expected_inputs, expected_output):
    """Runs the ONNX checker again on the file and checks its interface; returns the interface."""
    proto = path.read_bytes()
    torch._C._check_onnx_proto(proto, full_check=True)
    info = graph_interface(proto)
    float32 = 1  # TensorProto.FLOAT
    want_inputs = [(n, float32, list(s)) for n, s in expected_inputs]
    want_outputs = [(OUTPUT_NAME, float32, list(expected_output))]
    problems = []
    if info["opset"] != OPSET:
        problems.append(f"opset {info['opset']}, expected {OPSET}")
    if [tuple(i) for i in info["inputs"]] != [tuple(i) for i in want_inputs]:
        problems.append(f"inputs {info['inputs']}, expected {want_inputs}")
    # The exporter leaves some output dimensions symbolic (the mirrors' final reshapes use -1); a symbolic
    # dimension is accepted, a numeric one must match.
    outputs_ok = len(info["outputs"]) == 1 and info["outputs"][0][:2] == (OUTPUT_NAME, float32) and \
        len(info["outputs"][0][2]) == len(expected_output) and \
        all(isinstance(d, str) or d == e for d, e in zip(info["outputs"][0][2], expected_output))
    if not outputs_ok:
        problems.append(f"outputs {info['outputs']}, expected {want_outputs}")
    if problems:
        raise RuntimeError(f"{path}: " + "; ".join(problems))
    return info


# ----------------------------------------------------------------------------------------------- export

def export_workload(root, out_root, name):
    start = time.perf_counter()
    out_dir = out_root / name
    out_dir.mkdir(parents=True, exist_ok=True)
    # a workload.json left from an earlier run must not vouch for a half-finished one
    (out_dir / "workload.json").unlink(missing_ok=True)
    model, config = make_model(root, name, out_dir)
    sample, timestep, context = torch_worker.standard_inputs(name)
    with torch.no_grad():
        reference = model(sample, timestep, context)
    out_shape = torch_worker.output_shape(name, config)
    if tuple(reference.shape) != out_shape:
        raise RuntimeError(f"{name}: output shape {tuple(reference.shape)}, expected {out_shape}")
    torch_worker.write_raw(reference, out_dir / "reference_output.bin")

    export_model, patched = with_affine_layer_norms(model)
    patch_diff = None
    if patched:
        with torch.no_grad():
            patch_diff = (export_model(sample, timestep, context) - reference).abs().max().item()
    onnx_path = out_dir / "model.onnx"
    partial = out_dir / "model.onnx.partial"  # renamed into place only once the checker has passed
    export_start = time.perf_counter()
    with torch.no_grad():
        torch.onnx.export(export_model, (sample, timestep, context), str(partial), export_params=True,
                          opset_version=OPSET, do_constant_folding=True, input_names=list(INPUT_NAMES),
                          output_names=[OUTPUT_NAME])
    export_seconds = time.perf_counter() - export_start
    inputs = list(zip(INPUT_NAMES, (sample.shape, timestep.shape, context.shape)))
    info = verify_export(partial, inputs, out_shape)
    os.replace(partial, onnx_path)

    w = WORKLOADS[name]
    manifest = {
        "workload": name,
        "class": config["_class_name"],
        "weights": str(out_dir / WEIGHTS_FILE) if is_reference(name)
        else str(root / w["pipeline"] / w["subfolder"] / WEIGHTS_FILE),
        "weights_init": f"torch.manual_seed({REFERENCE_SEED}) default init" if is_reference(name)
        else "committed f16 weights, as float32",
        "inputs": {n: list(s) for n, s in inputs},
        "output": {OUTPUT_NAME: list(out_shape)},
        "standard_inputs": "sample[i] = f32(0.5 sin(0.37 i)), encoder_hidden_states[j] = f32(0.5 cos(0.11 j)) "
                           "over flat row-major indices (computed in float64), timestep = 500.0 per row",
        "reference_output": "reference_output.bin: raw little-endian float32, row-major NCTHW",
        "opset": OPSET,
        "torch": torch.__version__,
        "onnx_nodes": info["nodes"],
        "onnx_initializers": info["initializers"],
        "onnx_output_dims": info["outputs"][0][2],  # strings: left symbolic by the exporter
        "layer_norms_given_explicit_affine": patched,
    }
    (out_dir / "workload.json").write_text(json.dumps(manifest, indent=2) + "\n")
    size_mb = onnx_path.stat().st_size / 2 ** 20
    patch_note = f", {patched} affine-less LayerNorms given ones/zeros (max|diff| {patch_diff:.1e})" if patched else ""
    symbolic = sum(isinstance(d, str) for d in info["outputs"][0][2])
    symbolic_note = f", {symbolic} output dims symbolic" if symbolic else ""
    print(f"{name}: model.onnx {size_mb:.1f} MB ({info['nodes']} nodes, checker ok, opset {info['opset']}"
          f"{symbolic_note}), "
          f"output {list(out_shape)} max|.| {reference.abs().max().item():.3f}, export {export_seconds:.1f} s, "
          f"total {time.perf_counter() - start:.1f} s{patch_note}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, required=True, help="the repository root")
    parser.add_argument("--out", type=Path, required=True, help="output folder, one subfolder per workload")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--force", action="store_true", help="export even when the outputs are up to date")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    names = [n for n in args.workloads.split(",") if n]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; known: {', '.join(WORKLOADS)}")
    root = args.root.resolve()
    torch.set_num_threads(args.threads)
    torch_worker.use_mirrors(root)
    for name in names:
        if not args.force and up_to_date(root, args.out / name, name):
            print(f"{name}: up to date in {args.out / name}, skipped (--force exports it again)", flush=True)
            continue
        export_workload(root, args.out, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
