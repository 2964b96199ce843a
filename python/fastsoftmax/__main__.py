"""Command line: ``python -m fastsoftmax info``, ``python -m fastsoftmax bench``,
and ``python -m fastsoftmax --cflags --libs`` (flags to build native code
against the C library bundled in the package)."""

from __future__ import annotations

import argparse
import os
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
    llc_env = os.environ.get("FASTSOFTMAX_LLC_BYTES")
    print(f"llc          {_core.llc_bytes() >> 10} KiB (AUTO's cache-relative rules"
          + (f"; FASTSOFTMAX_LLC_BYTES={llc_env})" if llc_env else ")"))
    threads_env = os.environ.get("FASTSOFTMAX_NUM_THREADS")
    print(f"threads      {fastsoftmax.get_num_threads()} (same results at any count"
          + (f"; FASTSOFTMAX_NUM_THREADS={threads_env})" if threads_env else ")"))
    print("dtypes       float32, float64")
    print(f"kernels      {', '.join(fastsoftmax.KERNELS)}")
    print(f"compiler     {_core.compiler}")
    print(f"build flags  {_core.build_flags.strip() or '(none)'}")
    print(f"isa tables   {_core.isa_folders or '(scalar only)'}")
    return 0


def build_flags(cflags: bool, libs: bool) -> str:
    """Compiler and linker flags for the bundled C library, pkg-config style.

    Parameters
    ----------
    cflags : bool
        Include ``-I<fastsoftmax.get_include()>``.
    libs : bool
        Include the library file itself (linked by path, since the wheel
        holds only the file named after its SONAME) and an rpath to its
        directory, so that the binary runs without ``LD_LIBRARY_PATH``.

    Returns
    -------
    str
        The flags, space-separated, in the order ``cflags`` then ``libs``.
    """
    flags = []
    if cflags:
        flags.append("-I" + fastsoftmax.get_include())
    if libs:
        library = fastsoftmax.get_library()
        flags += [library, "-Wl,-rpath," + os.path.dirname(library)]
    return " ".join(flags)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastsoftmax", description=__doc__)
    parser.add_argument("--cflags", action="store_true",
                        help="print the compiler flags for the bundled C library (-I...)")
    parser.add_argument("--libs", action="store_true",
                        help="print the linker flags for the bundled C library (file and rpath)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("info", help="version, detected ISA, kernels, compiler and flags")
    bench = sub.add_parser("bench", help="throughput and accuracy against NumPy and SciPy")
    from fastsoftmax import _bench

    _bench.add_arguments(bench)
    args = parser.parse_args(argv)
    if args.cflags or args.libs:
        if args.command is not None:
            parser.error("--cflags/--libs do not combine with a command")
        try:
            print(build_flags(args.cflags, args.libs))
        except FileNotFoundError as exc:
            print(f"python -m fastsoftmax: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command is None:
        parser.error("a command (info, bench) or --cflags/--libs is required")
    if args.command == "info":
        return info()
    return _bench.run(args)


if __name__ == "__main__":
    sys.exit(main())
