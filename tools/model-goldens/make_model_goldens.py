#!/usr/bin/python3
"""Writes golden files for Kinema's model tests from independent plain-PyTorch mirrors of diffusers models.

Usage:  /usr/bin/python3 tools/model-goldens/make_model_goldens.py ARCH [ARCH ...] [--out DIR]
        ARCH: one of the names in ARCHITECTURES (or "all"). Output goes to DIR/ARCH/ (default DIR:
        java/src/test/resources/models). Deterministic: a second run writes byte-identical files.

To add an architecture, create kinema_goldens/<arch>.py with a `make_goldens(out_root) -> list[str]`
function (returning log lines) and register it below.
"""
import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from kinema_goldens import latte, unet3d  # noqa: E402
from kinema_goldens import animatediff, svd_mixing  # noqa: E402

ARCHITECTURES = {
    "unet3d": unet3d.make_goldens,
    "latte": latte.make_goldens,
    "animatediff": animatediff.make_goldens,
    "svd_mixing": svd_mixing.make_goldens,
}

DEFAULT_OUT = HERE.parent.parent / "java" / "src" / "test" / "resources" / "models"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("arch", nargs="+", help=f"architectures: {', '.join(ARCHITECTURES)} or all")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output root (default: %(default)s)")
    args = parser.parse_args(argv)
    names = list(ARCHITECTURES) if args.arch == ["all"] else args.arch
    for name in names:
        if name not in ARCHITECTURES:
            parser.error(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    for name in names:
        for line in ARCHITECTURES[name](args.out):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
