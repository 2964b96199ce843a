"""Threads: how many the library's calls may use, and threadpoolctl support.

Every call whose work is at least 16K elements splits its rows across the
threads, and a row of 128K elements or more is cut into chunks whose partial
states merge in chunk order. The cut depends on the shape only, so results
are bitwise identical at every thread count.
"""

from __future__ import annotations

import contextlib
import operator
from typing import Iterator

from . import _core

__all__ = ["get_num_threads", "set_num_threads", "threads"]

_MAX_THREADS = 256


def get_num_threads() -> int:
    """The number of threads fastsoftmax's calls may use (at least 1).

    The default is the ``FASTSOFTMAX_NUM_THREADS`` environment variable if
    it is a positive integer, else the CPUs this process may run on (its
    affinity mask and cgroup CPU quota, not the machine's CPU count).
    """
    return int(_core.get_num_threads())


def set_num_threads(n: int) -> None:
    """Set the number of threads fastsoftmax's calls may use, process-wide.

    Parameters
    ----------
    n : int
        1 to 256; 0 restores the default (see :func:`get_num_threads`).

    Raises
    ------
    TypeError
        ``n`` is not an integer.
    ValueError
        ``n`` is negative or above 256.

    Notes
    -----
    Calls of fewer than 16K elements always run on the calling thread. A call
    made while another one is using the threads runs on its own thread, so
    several Python threads calling at once never oversubscribe the CPUs.
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"n must be an int, got {type(n).__name__}") from None
    if not 0 <= n <= _MAX_THREADS:
        raise ValueError(f"n must be in [0, {_MAX_THREADS}] (0 restores the default); got {n}")
    _core.set_num_threads(n)


@contextlib.contextmanager
def threads(n: int) -> Iterator[int]:
    """Context manager: use ``n`` threads inside the block, then restore the
    previous count. The setting is process-wide (like
    ``threadpoolctl.threadpool_limits``), not per Python thread.

    Examples
    --------
    >>> import numpy as np, fastsoftmax
    >>> x = np.zeros((4, 1 << 17), dtype=np.float32)
    >>> with fastsoftmax.threads(1):
    ...     y1 = fastsoftmax.softmax(x)
    >>> bool((y1 == fastsoftmax.softmax(x)).all())   # any thread count, same bits
    True
    """
    previous = get_num_threads()
    set_num_threads(n)
    try:
        yield get_num_threads()
    finally:
        set_num_threads(previous)


def _register_threadpoolctl() -> None:
    """Make threadpoolctl see fastsoftmax: ``threadpool_info()`` lists it
    (user_api "fastsoftmax") and ``threadpool_limits(n)`` limits it. Done at
    import when threadpoolctl is installed (it is optional)."""
    try:
        import threadpoolctl
    except ImportError:
        return
    register = getattr(threadpoolctl, "register", None)
    base = getattr(threadpoolctl, "LibController", None)
    if register is None or base is None:  # threadpoolctl < 3.3
        return

    class FastsoftmaxController(base):
        user_api = "fastsoftmax"
        internal_api = "fastsoftmax"
        filename_prefixes = ("_core",)
        check_symbols = ("fastsoftmax_threadpool_get_num_threads",
                         "fastsoftmax_threadpool_set_num_threads")

        def get_num_threads(self):
            return self.dynlib.fastsoftmax_threadpool_get_num_threads()

        def set_num_threads(self, num_threads):
            self.dynlib.fastsoftmax_threadpool_set_num_threads(int(num_threads))

        def get_version(self):
            return _core.__version__

        def set_additional_attributes(self):
            pass

    register(FastsoftmaxController)


_register_threadpoolctl()
