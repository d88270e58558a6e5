"""OpenBLAS settings for the PyTorch tools; call configure() before the first `import torch`.

Debian's torch calls the system BLAS: install libopenblas0-pthread (the reference libblas3 is ~70x slower
here). On AVX-512 OpenBLAS does not pick its SkylakeX kernels by itself, and it sizes its thread pool when
torch loads it, so both are set through the environment first. (benchmarks/peers/torch_ops.py and
torch_denoisers.py carry their own copy: they run alone, extracted from the benchmarks jar;
torch_worker.py runs from the repository and imports this.)
"""
import os


def configure(threads):
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    if "OPENBLAS_CORETYPE" not in os.environ:
        try:
            with open("/proc/cpuinfo") as cpuinfo:
                if " avx512f" in cpuinfo.read():
                    os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
        except OSError:
            pass


def threads_from_argv(argv, default="2"):
    """The value of a --threads N / --threads=N option, read before argparse runs (OpenBLAS sizes its
    thread pool when torch loads it, so the option is needed before the script's own parsing)."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return default
