"""Command line: ``python -m fastsoftmax info`` and ``python -m fastsoftmax bench``."""

from __future__ import annotations

import argparse
import platform
import sys

import numpy as np

import fastsoftmax
from fastsoftmax import _core


def info() -> int:
    print(f"fastsoftmax {fastsoftmax.__version__} (library {_core.library_version})")
    print(f"python       {platform.python_version()} on {platform.machine()} {platform.system()}")
    print(f"numpy        {np.__version__}")
    env = _core.environment_error()
    active = "(unusable: FASTSOFTMAX_ISA " + env + ")" if env else fastsoftmax.isa()
    print(f"isa          {active}")
    print(f"detected     {fastsoftmax.detected_isa()}")
    print(f"available    {', '.join(fastsoftmax.available_isas())}")
    print(f"algorithms   {', '.join(fastsoftmax.ALGORITHMS)}")
    print(f"kernels      {', '.join(fastsoftmax.KERNELS)}")
    print(f"compiler     {_core.compiler}")
    print(f"build flags  {_core.build_flags.strip() or '(none)'}")
    print(f"isa tables   {_core.isa_folders or '(scalar only)'}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastsoftmax", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, detected ISA, kernels, compiler and flags")
    bench = sub.add_parser("bench", help="throughput and accuracy against NumPy and SciPy")
    from fastsoftmax import _bench

    _bench.add_arguments(bench)
    args = parser.parse_args(argv)
    if args.command == "info":
        return info()
    return _bench.run(args)


if __name__ == "__main__":
    sys.exit(main())
