#!/usr/bin/python3
"""Long-lived PyTorch worker for the cross-system denoiser comparison (Kinema vs. PyTorch vs. ONNX Runtime).

A Java orchestrator starts one worker per workload and drives it over stdin/stdout, so that process start,
interpreter start and model load are paid once and only the work itself is timed. The model is the
plain-PyTorch mirror of the diffusers class (tools/model-goldens/kinema_goldens), float32, eval mode,
under torch.no_grad(), with the same weights the other systems run:
  shapes-*  the committed pipeline folders models/shapes-unet3d, models/shapes-latte (f16 -> float32)
  ref-*     MODELS/<workload>/config.json + diffusion_pytorch_model.safetensors written by export_onnx.py
            (seeded default init of benchmarks/configs/{unet3d,latte}/config.json)

Protocol: after loading, one line {"ready": true, "system": "pytorch", "version": ..., "load_s": ...}
(load_s: building the model, reading its weights and preparing the inputs; not the interpreter or torch
import). Then one command per line on stdin, each answered by exactly one JSON line on stdout:
  step          one forward on the standard inputs            -> {"s": seconds of the forward}
  render [PATH] shapes-* only: the workload's regression prompt, 25 DDIM steps, guidance 4.0, cond and
                uncond rows batched into one forward per step -> {"s": seconds, "steps": 25}
                (PATH, optional: also write the final clip [1, C, F, H, W] as raw little-endian float32)
  dump PATH     one forward on the standard inputs, output written as raw little-endian float32 NCTHW
                                                              -> {"ok": true}
  memory        -> {"hwm_mb": VmHWM, "rss_mb": VmRSS} in MiB, from /proc/self/status
  reset_peak    writes "5" to /proc/self/clear_refs, which resets VmHWM -> {"ok": true}
  quit          exit 0, no answer (like the Java workers' WorkerLoop); end of stdin also exits 0
A failing or unknown command answers {"error": "..."} and the worker keeps going. Everything else
(warnings, tracebacks) goes to stderr: file descriptor 1 is pointed at stderr and the protocol writes to
a private copy of the original stdout, so not even native code can interleave with the answers.
No warm-up is done here: the orchestrator decides which calls to discard.

Standard inputs (identical in all three systems, no RNG; computed in float64, then rounded to float32):
  sample[i]  = 0.5 * sin(0.37 * i)   over the flat row-major index i of [B, C, F, H, W]
  context[j] = 0.5 * cos(0.11 * j)   over the flat index j of [B, L, D]
  timestep   = 500.0 for every batch row

Usage: torch_worker.py --root REPO --workload NAME --models DIR [--threads 2]
       NAME: shapes-unet3d, shapes-latte, ref-unet3d, ref-latte
(export_onnx.py imports the workload table, the standard inputs and the model loading from here, so
the exported reference outputs and this worker cannot drift apart.)
"""
import argparse
import json
import math
import os
import sys
import time
from pathlib import Path


# Debian's torch calls the system OpenBLAS, which takes an AVX-512 CPU for an older core unless told its
# SkylakeX kernels apply, and which ignores torch.set_num_threads: both go into the environment before
# torch loads it (kinema_goldens/openblas.py). This worker runs from the repository, next to the mirrors.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "model-goldens"))
from kinema_goldens import openblas  # noqa: E402

openblas.configure(openblas.threads_from_argv(sys.argv[1:]))
import numpy as np  # noqa: E402
import torch  # noqa: E402

# name -> where the weights come from, sample shape [B, C, F, H, W], context shape [B, L, D], and for the
# shapes-* pipelines the regression prompt and seed of render. shapes-*: batch 2 = the two rows
# (unconditional, conditional) of classifier-free guidance; context = the 4-token prompt encoding.
# ref-*: the shapes of torch_denoisers.py / DenoiserBenchmarks.REFERENCES.
WORKLOADS = {
    "shapes-unet3d": {"pipeline": "models/shapes-unet3d", "subfolder": "unet",
                      "sample": (2, 3, 8, 32, 32), "context": (2, 4, 64),
                      "prompt": "red square moving right", "seed": 1},
    "shapes-latte": {"pipeline": "models/shapes-latte", "subfolder": "transformer",
                     "sample": (2, 3, 8, 32, 32), "context": (2, 4, 64),
                     "prompt": "magenta circle moving right", "seed": 5},
    "ref-unet3d": {"config": "benchmarks/configs/unet3d/config.json",
                   "sample": (1, 4, 8, 32, 32), "context": (1, 16, 256)},
    "ref-latte": {"config": "benchmarks/configs/latte/config.json",
                  "sample": (1, 4, 8, 32, 32), "context": (1, 16, 256)},
}
WEIGHTS_FILE = "diffusion_pytorch_model.safetensors"
# config _class_name -> (kinema_goldens module, class)
MIRRORS = {
    "UNet3DConditionModel": ("unet3d", "UNet3DConditionModel"),
    "LatteTransformer3DModel": ("latte", "LatteTransformer3DModel"),
}
STANDARD_TIMESTEP = 500.0
RENDER_STEPS = 25
RENDER_GUIDANCE = 4.0


def use_mirrors(root):
    """Makes tools/model-goldens/kinema_goldens importable."""
    path = str(Path(root) / "tools" / "model-goldens")
    if path not in sys.path:
        sys.path.insert(0, path)


def mirror_class(config):
    import importlib
    module, cls = MIRRORS[config["_class_name"]]
    return getattr(importlib.import_module("kinema_goldens." + module), cls)


def build_mirror(config):
    """The mirror for a diffusers config.json dict (keys starting with "_" are metadata, not arguments)."""
    return mirror_class(config)(**{k: v for k, v in config.items() if not k.startswith("_")})


def check_shapes(name, config):
    """Raises ValueError when the workload's shapes do not fit its config (channels, width, size, frames)."""
    w = WORKLOADS[name]
    _, channels, frames, height, width = w["sample"]
    batch, _, context_width = w["context"]
    latte = config["_class_name"] == "LatteTransformer3DModel"
    expected = {
        "in_channels": (config["in_channels"], channels),
        "context width": (config["caption_channels"] if latte else config["cross_attention_dim"], context_width),
        "batch": (w["sample"][0], batch),
    }
    if config.get("sample_size") is not None:
        expected["height"] = (config["sample_size"], height)
        expected["width"] = (config["sample_size"], width)
    if latte:
        # diffusers adds temp_pos_embed [1, video_length, D] without slicing: F must equal it
        expected["frames"] = (config["video_length"], frames)
    wrong = {k: v for k, v in expected.items() if v[0] != v[1]}
    if wrong:
        raise ValueError(f"{name}: shapes do not fit the config: " +
                         ", ".join(f"{k} config {a} vs workload {b}" for k, (a, b) in wrong.items()))


def output_shape(name, config):
    """[B, out_channels, F, H, W]; a learned-sigma Latte returns 2 * in_channels."""
    b, c, f, h, w = WORKLOADS[name]["sample"]
    out = config.get("out_channels")
    return b, (c if out is None else out), f, h, w


def standard_inputs(name):
    """(sample, timestep, context) float32 tensors, the same in every system (see the module docstring)."""
    w = WORKLOADS[name]
    sample_index = np.arange(math.prod(w["sample"]), dtype=np.float64)
    context_index = np.arange(math.prod(w["context"]), dtype=np.float64)
    sample = (0.5 * np.sin(0.37 * sample_index)).astype(np.float32).reshape(w["sample"])
    context = (0.5 * np.cos(0.11 * context_index)).astype(np.float32).reshape(w["context"])
    timestep = np.full((w["sample"][0],), STANDARD_TIMESTEP, dtype=np.float32)
    return torch.from_numpy(sample), torch.from_numpy(timestep), torch.from_numpy(context)


def load_weights(model, path):
    """Loads a safetensors state_dict (any float dtype) into the model as float32, every key required."""
    from kinema_goldens import safetensors_io
    weights, _ = safetensors_io.load_file(path)
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=True)


def model_source(root, name, models_dir=None):
    """(config.json path, weights path) the worker loads: the committed folder for shapes-*, the files
    export_onnx.py wrote under models_dir for ref-*."""
    w = WORKLOADS[name]
    if "pipeline" in w:
        folder = Path(root) / w["pipeline"] / w["subfolder"]
    else:
        folder = Path(models_dir) / name
    return folder / "config.json", folder / WEIGHTS_FILE


def load_model(root, name, models_dir=None):
    """(float32 eval model, config dict) with the workload's weights."""
    config_path, weights_path = model_source(root, name, models_dir)
    config = json.loads(config_path.read_text())
    check_shapes(name, config)
    model = build_mirror(config).float()
    load_weights(model, weights_path)
    return model.eval(), config


def write_raw(tensor, path):
    """Raw little-endian float32, row-major: what the Java and ONNX Runtime sides read back."""
    Path(path).write_bytes(tensor.detach().contiguous().numpy().astype("<f4", copy=False).tobytes())


# ------------------------------------------------------------------------------------------- text-to-video

class PromptEncoder:
    """Kinema's prompt encoder (tools/train-default-model/train.py PromptEncoder): words -> token ids padded
    to prompt_length with the pad token, encoder_hidden_states = token_embedding[ids] + position_embedding."""

    def __init__(self, folder):
        from kinema_goldens import safetensors_io
        config = json.loads((folder / "config.json").read_text())
        self.vocabulary = config["vocabulary"]
        self.pad = self.vocabulary.index(config["pad_token"])
        self.length = config["prompt_length"]
        weights, _ = safetensors_io.load_file(folder / "model.safetensors")
        self.token_embedding = weights["token_embedding.weight"].float()
        self.position_embedding = weights["position_embedding"].float()

    def tokens(self, prompt):
        words = prompt.split()
        unknown = [w for w in words if w not in self.vocabulary or self.vocabulary.index(w) == self.pad]
        if unknown or len(words) > self.length:
            raise ValueError(f"prompt {prompt!r} is not {self.length} words or fewer of the vocabulary")
        return [self.vocabulary.index(w) for w in words] + [self.pad] * (self.length - len(words))

    def encode(self, prompts):
        """[len(prompts), prompt_length, hidden]; "" is the unconditional (all-pad) prompt."""
        ids = torch.tensor([self.tokens(p) for p in prompts])
        return self.token_embedding[ids] + self.position_embedding


class DDIM:
    """diffusers' DDIMScheduler, eta 0, use_clipped_model_output=True (Kinema's DDIM, and what
    tools/model-goldens/make_render_goldens.py mirrors), for the committed scheduler_config.json:
    squaredcos_cap_v2 betas, v_prediction, trailing spacing, clip_sample (range clip_sample_range),
    set_alpha_to_one."""

    def __init__(self, config, steps):
        expected = {"beta_schedule": "squaredcos_cap_v2", "prediction_type": "v_prediction",
                    "timestep_spacing": "trailing", "steps_offset": 0, "set_alpha_to_one": True}
        wrong = {k: config.get(k) for k, v in expected.items() if config.get(k) != v}
        if wrong:
            raise ValueError(f"scheduler settings not implemented here: {wrong}")
        train_steps = config["num_train_timesteps"]
        # diffusers betas_for_alpha_bar (max_beta 0.999), float32 like its torch.tensor(betas)
        alpha_bar = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = torch.tensor([min(1 - alpha_bar((i + 1) / train_steps) / alpha_bar(i / train_steps), 0.999)
                              for i in range(train_steps)], dtype=torch.float32)
        self.alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
        self.clip = config.get("clip_sample_range", 1.0) if config.get("clip_sample", True) else None
        # trailing: np.round(np.arange(T, 0, -T / steps)).astype(int64) - 1, i.e. 999, 959, ..., 39
        self.timesteps = (np.round(np.arange(train_steps, 0, -train_steps / steps)).astype(np.int64) - 1).tolist()
        self.stride = train_steps // steps

    def step(self, v, t, x):
        """x_{t-1} from the v prediction at timestep t (diffusers DDIMScheduler.step, eta 0)."""
        prev_t = t - self.stride
        ab = self.alphas_cumprod[t]
        ab_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else torch.tensor(1.0)
        x0 = ab.sqrt() * x - (1 - ab).sqrt() * v
        eps = ab.sqrt() * v + (1 - ab).sqrt() * x
        if self.clip is not None:
            x0 = x0.clamp(-self.clip, self.clip)
            # use_clipped_model_output=True: eps re-derived from the clipped x0, as Kinema's ddim_step does.
            # With eps kept as predicted, the first steps' x0 (far outside [-1, 1] from pure noise) is clipped
            # but its eps is not, and these models render no shape at all.
            eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
        return ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps


# ---------------------------------------------------------------------------------------------- the worker

class Worker:
    def __init__(self, root, name, models_dir):
        self.name = name
        self.model, self.config = load_model(root, name, models_dir)
        self.inputs = standard_inputs(name)
        w = WORKLOADS[name]
        self.encoder = self.scheduler_config = None
        if "pipeline" in w:
            pipeline = Path(root) / w["pipeline"]
            self.encoder = PromptEncoder(pipeline / "text_encoder")
            self.scheduler_config = json.loads((pipeline / "scheduler" / "scheduler_config.json").read_text())

    def step(self, _):
        start = time.perf_counter()
        self.model(*self.inputs)
        return {"s": time.perf_counter() - start}

    def dump(self, path):
        if not path:
            raise ValueError("dump needs a PATH")
        write_raw(self.model(*self.inputs), path)
        return {"ok": True}

    def render(self, path):
        if self.encoder is None:
            raise ValueError(f"render needs a text encoder: shapes-* workloads only, not {self.name}")
        w = WORKLOADS[self.name]
        start = time.perf_counter()
        _, channels, frames, height, width = w["sample"]
        scheduler = DDIM(self.scheduler_config, RENDER_STEPS)
        context = self.encoder.encode(["", w["prompt"]])  # rows: unconditional, conditional
        x = torch.randn((1, channels, frames, height, width), generator=torch.Generator().manual_seed(w["seed"]))
        for t in scheduler.timesteps:
            # a learned-sigma model returns 2 * C channels: the first C are the prediction
            v_uncond, v_cond = self.model(torch.cat([x, x]), torch.full((2,), float(t)), context)[:, :channels].chunk(2)
            x = scheduler.step(v_uncond + RENDER_GUIDANCE * (v_cond - v_uncond), t, x)
        seconds = time.perf_counter() - start
        if path:
            write_raw(x, path)
        return {"s": seconds, "steps": len(scheduler.timesteps)}

    def memory(self, _):
        fields = {}
        with open("/proc/self/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    fields[key] = int(value.split()[0]) / 1024.0  # kB -> MiB
        return {"hwm_mb": fields["VmHWM"], "rss_mb": fields["VmRSS"]}

    def reset_peak(self, _):
        try:
            with open("/proc/self/clear_refs", "w") as clear_refs:
                clear_refs.write("5")
        except OSError as e:
            return {"ok": False, "error": f"cannot reset the peak RSS: {e}"}
        return {"ok": True}

    def answer(self, line):
        command, _, argument = line.strip().partition(" ")
        handlers = {"step": self.step, "dump": self.dump, "render": self.render, "memory": self.memory,
                    "reset_peak": self.reset_peak}
        if command not in handlers:
            return {"error": f"unknown command {command!r}; expected one of {sorted(handlers) + ['quit']}"}
        try:
            return handlers[command](argument.strip())
        except Exception as e:  # the orchestrator gets the error and the worker stays usable
            import traceback
            traceback.print_exc(file=sys.stderr)
            return {"error": f"{command}: {type(e).__name__}: {e}"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, required=True, help="the repository root")
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--models", type=Path, required=True,
                        help="export_onnx.py's --out folder (the ref-* weights are read from there)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    # Protocol lines go to a private duplicate of stdout; fd 1 itself now leads to stderr.
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def reply(obj):
        protocol.write(json.dumps(obj) + "\n")
        protocol.flush()

    if "pipeline" not in WORKLOADS[args.workload]:
        _, weights = model_source(args.root, args.workload, args.models)
        if not weights.is_file():
            print(f"torch_worker: {weights} is missing: run benchmarks/peers/export_onnx.py --root REPO "
                  f"--out {args.models} --workloads {args.workload} first (it writes the {args.workload} "
                  "weights all three systems share)", file=sys.stderr)
            return 2
    torch.set_num_threads(args.threads)
    use_mirrors(args.root)
    with torch.no_grad():
        start = time.perf_counter()
        worker = Worker(args.root, args.workload, args.models)
        reply({"ready": True, "system": "pytorch", "version": torch.__version__,
               "load_s": time.perf_counter() - start})
        for line in iter(sys.stdin.readline, ""):
            if line.strip() == "quit":
                return 0
            reply(worker.answer(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
