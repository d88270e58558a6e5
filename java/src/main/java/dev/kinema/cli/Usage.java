package dev.kinema.cli;

import java.util.List;

/** Usage text of every command. */
final class Usage {
    static final List<String> COMMANDS = List.of("render", "op", "forward", "convert", "demo", "backends", "version", "help");

    private static final String RENDER = """
            kinema render [--prompt TEXT [--model DIR] [--negative TEXT]] [options]
              Renders text-to-video with a pipeline folder (model_index.json, unet/ or transformer/,
              text_encoder/, scheduler/); default models/shapes-unet3d, the embedded shapes U-Net, whose
              prompts read "<colour> <shape> moving <direction>". Without --prompt it renders the
              regression set (fixed prompts and seeds on both embedded models). Writes into --out, per
              render, PNG frames, video.gif, video.mp4 and video.safetensors (the float output), plus
              contact_sheet.png and manifest.json (model hash, settings, backend, per-frame SHA-256,
              flicker index, timings). Progress on stderr.
              --frames N      frames (default: the model's; longer clips use sliding temporal windows)
              --size N        frame height and width in pixels (default: the model's)
              --steps N       sampler steps (default 25)
              --sampler S     ddim (default), ddpm, euler, euler_karras
              --guidance W    classifier-free guidance scale (default 4; 1 = none)
              --eta E         DDIM eta (default 0)
              --seed N        noise seed (default 0; the regression set has its own)
              --backend ID    auto (default), cpu, cuda, cuda-emu
              --threads N     host threads for cpu/cuda-emu (0 = all cores)
              --out DIR       output directory (default renders); a non-empty directory that no render
                              wrote is refused unless --force
            kinema render --check DIR [--backend ID] [--psnr DB] [--out DIR] [--force]
              Re-renders what DIR/manifest.json describes and compares every frame with DIR's float
              output by PSNR (default threshold 40 dB; identical renders score infinity). Exit 0 when
              all frames reach it, 1 otherwise, writing a diff sheet (golden, new, amplified
              difference) to --out (default renders/check). The backend defaults to the manifest's.
            """;
    private static final String OP = """
            kinema op NAME --in IN.safetensors --out OUT.safetensors [options]
              Runs one op (conv_spatial, conv_temporal, ddim_step) on the f32 tensors of IN, named as in
              OPS.md (x, w, b, residual, out_c, out_u, noise), and writes its outputs (y, and x0 for
              ddim_step) as f32 to OUT, with the op, backend and attributes in __metadata__.
              Attributes come from IN's __metadata__ (every key except "op"; an "op" key must name NAME)
              and from --attr, which wins. Tensors in IN named like outputs (y, x0) are not inputs: they
              are expected values, compared with the results (e.g. golden files).
              --attr KEY=VALUE   an op attribute, e.g. --attr stride=2 (repeatable)
              --backend ID       auto (default), cpu, cuda, cuda-emu
              --threads N        host threads for cpu/cuda-emu (0 = all cores)
              --force            replace OUT if it exists
              --check            exit 1 unless the outputs match IN's expected values within tolerance
            """;
    private static final String FORWARD = """
            kinema forward --model M --in IO.safetensors --out OUT.safetensors [options]
              One denoiser forward pass. M is a .kinema file (see convert) or a diffusers model folder
              (config.json + diffusion_pytorch_model.safetensors, or its .index.json shards) of a
              UNet3DConditionModel, UNetMotionModel, LatteTransformer3DModel, or a UNet2DConditionModel
              with --motion-adapter. IO holds diffusers' inputs as f32: sample (NCTHW, as the pipelines
              pass it), timestep ([B] or one value) and encoder_hidden_states [B, L, D]; OUT gets
              output, in sample's layout, with the architecture and backend in __metadata__.
              --weights PATH             the checkpoint, when it is not beside the config
              --motion-adapter DIR       a MotionAdapter folder (or its config.json) for a 2D U-Net
              --motion-adapter-weights PATH   its checkpoint, when it is not beside its config
              --spatial-attention MODE   per_frame (default), first, sparse_causal, all: what each spatial
                                         self-attention of a U-Net attends to (Text2Video-Zero,
                                         Tune-A-Video, ControlVideo)
              --backend ID               auto (default), cpu, cuda, cuda-emu
              --threads N                host threads for cpu/cuda-emu (0 = all cores)
              --force                    replace OUT if it exists
            """;
    private static final String CONVERT = """
            kinema convert --model M --out FILE.kinema [--weights PATH] [--motion-adapter DIR]
                           [--motion-adapter-weights PATH] [--spatial-attention MODE] [--force]
              Writes a diffusers checkpoint (as for forward) as one .kinema model file: its configs, its
              graph at a reference shape and its weights, aligned for mapping. The checkpoint is checked
              first: keys missing, unexpected or of the wrong shape are reported together.
            """;
    private static final String DEMO = """
            kinema demo [--backend ID]
              Runs every op on seeded random inputs at a few shapes on each available backend (or only
              on ID), prints the max abs error against the float64 reference and the agreement between
              backends; exit 0 when all are within the OPS.md tolerance, 1 otherwise.
            """;
    private static final String BACKENDS = """
            kinema backends
              Lists the backends and whether each can run here (and if not, why).
            """;
    private static final String VERSION = """
            kinema version
              Prints the version.
            """;
    private static final String HELP = """
            kinema help [COMMAND]
              Prints the usage of all commands, or of one.
            """;

    private Usage() {}

    static String overview() {
        return "usage: kinema COMMAND [ARGS]   (exit 0 ok, 1 check failed, 2 bad request, 3 internal error)\n\n"
                + RENDER + "\n" + OP + "\n" + FORWARD + "\n" + CONVERT + "\n" + DEMO + "\n" + BACKENDS + "\n" + VERSION + "\n" + HELP;
    }

    /** The usage of one command, or null for an unknown one. */
    static String of(String command) {
        return switch (command) {
            case "render" -> RENDER;
            case "op" -> OP;
            case "forward" -> FORWARD;
            case "convert" -> CONVERT;
            case "demo" -> DEMO;
            case "backends" -> BACKENDS;
            case "version" -> VERSION;
            case "help" -> HELP;
            default -> null;
        };
    }
}
