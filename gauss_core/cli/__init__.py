"""The `gauss` command: one entry point, one subcommand per capability.

Each module listed in COMMAND_MODULES defines `register(subparsers)`, which adds its subcommand and
sets `func(args) -> int` on the parser. Modules are imported lazily so that `gauss --help` stays fast
and a missing optional dependency only breaks its own subcommand.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from gauss_core.errors import GaussError

COMMAND_MODULES: tuple[str, ...] = (
    "gauss_core.cli.ligands_cmd",
    "gauss_core.cli.train_cmd",
    "gauss_core.cli.model_cmd",
    "gauss_core.cli.label_cmd",
    "gauss_core.cli.complex_cmd",
    "gauss_core.cli.queue_cmd",
    "gauss_core.cli.sample_cmd",
    "gauss_core.cli.evaluate_cmd",
    "gauss_core.cli.suggest_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gauss",
        description="GAUSS Studio: design Dy(III) single-molecule-magnet ligands with the GAUSS-II VAE.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # One torch thread per process: measured fastest on the 2-core target machine.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except GaussError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; work finished so far is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `gauss queue list | head`: the reader left; not an error worth a traceback
        # point stdout at devnull so the interpreter's final flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
