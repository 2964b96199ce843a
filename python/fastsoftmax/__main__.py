"""Command line: ``python -m fastsoftmax info``, ``python -m fastsoftmax bench``,
``python -m fastsoftmax --version`` and ``python -m fastsoftmax --cflags --libs``
(flags to build native code against the C library bundled in the package)."""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import sys
from typing import List, Optional, Sequence

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
    print(f"dtypes       {', '.join(supported_dtypes())} (fastsoftmax.scipy also takes integers"
          " and float16, as SciPy does)")
    for i, line in enumerate(fused_options()):
        print(f"{'fused' if i == 0 else '':<13}{line}")
    print(f"kernels      {', '.join(fastsoftmax.KERNELS)}")
    print(f"compiler     {_core.compiler}")
    print(f"build flags  {_core.build_flags.strip() or '(none)'}")
    print(f"isa tables   {_core.isa_folders or '(scalar only)'}")
    return 0


#: dtypes ``info`` probes (ml_dtypes' bfloat16 too when it is installed)
_DTYPE_CANDIDATES = ("float16", "bfloat16", "float32", "float64")
#: parameters that are plain plumbing, not fused options
_PLUMBING = {"x", "axis", "out", "algorithm", "keepdims"}


def supported_dtypes() -> List[str]:
    """The input dtypes ``fastsoftmax.softmax`` computes in, found by trying
    each candidate on a 4-element array (so the list follows the build)."""
    found = []
    for name in _DTYPE_CANDIDATES:
        try:
            dtype = np.dtype(name)
        except TypeError:
            try:
                import ml_dtypes  # noqa: F401  (registers bfloat16 with NumPy)
                dtype = np.dtype(name)
            except (ImportError, TypeError):
                continue
        try:
            fastsoftmax.softmax(np.zeros(4, dtype))
        except TypeError:
            continue
        found.append(name)
    return found


def fused_options() -> List[str]:
    """One line per public function that takes options fused into its pass
    (keyword parameters beyond the axis / out= plumbing), read from the
    signatures, so the list follows what the package has."""
    lines = []
    for name in fastsoftmax.__all__:
        fn = getattr(fastsoftmax, name)
        if not inspect.isfunction(fn) or name.startswith(("get_", "set_")):
            continue
        params = [p for p, v in inspect.signature(fn).parameters.items()
                  if v.kind is inspect.Parameter.KEYWORD_ONLY and p not in _PLUMBING]
        if params:
            lines.append(f"{name}({', '.join(p + '=' for p in params)})")
    return lines


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


DESCRIPTION = """\
fastsoftmax: fast, accurate softmax and log-softmax for CPUs.

commands:
  info     version, ISA, threads, dtypes, fused options, kernels, build
  bench    throughput and accuracy against NumPy, SciPy (and PyTorch and
           ONNX Runtime when installed); --plot FILE.png draws the run

The C library bundled in the package: --cflags and --libs print the flags
to compile and link against it, e.g.
  cc main.c $(python -m fastsoftmax --cflags --libs) -o main"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastsoftmax", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"fastsoftmax {fastsoftmax.__version__}"
                                f" (library {_core.library_version})")
    parser.add_argument("--cflags", action="store_true",
                        help="print the compiler flags for the bundled C library (-I...)")
    parser.add_argument("--libs", action="store_true",
                        help="print the linker flags for the bundled C library (file and rpath)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("info", help="version, ISA, threads, dtypes, fused options, kernels, build",
                   description="Print the version, the ISA in use and the ones available, "
                   "threads, dtypes, fused options, kernels and build flags.")
    bench = sub.add_parser("bench", help="throughput and accuracy against NumPy and SciPy",
                           description="Time fastsoftmax against NumPy and SciPy (PyTorch and "
                           "ONNX Runtime too when installed) on this machine, and check the "
                           "accuracy of everything against a float64 reference.")
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
