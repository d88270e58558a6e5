"""Plain-PyTorch mirrors of diffusers video denoisers, used to write golden files for Kinema's model tests.

Each architecture lives in its own module and registers a ``make_goldens(out_root)`` function in
``make_model_goldens.py``. Shared building blocks (safetensors I/O, deterministic init, embeddings,
attention, resnet, transformer wrappers) live in the other modules so new architectures can reuse them.
"""
