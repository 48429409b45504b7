"""How the build runs notebooks and chapters: kernels on IPC, and a time limit per cell.

jupyter_client defaults to TCP on 127.0.0.1: five ports per kernel that any local process could connect to, a warning
from every kernel ("Kernel is running over TCP without encryption"), and, with two builds at once, port collisions
that leave a kernel dead. :mod:`alsmsc.build.ipc_kernel` starts them on IPC sockets in a private temporary folder,
removed with the kernel. This module stays import-light (no jupyter_client), so a no-op build does not pay for it.
"""

from __future__ import annotations

# papermill and nbclient take the class by its import path
MANAGER = "alsmsc.build.ipc_kernel.IPCKernelManager"
# a cell that runs longer than this fails the build with the notebook's name (a notebook may hang on bad input; the
# slowest real cell takes seconds). `alsmsc build --cell-timeout SECONDS` changes it.
CELL_TIMEOUT = 600


def timed_out(seconds: int) -> str:
    return f"a cell ran longer than {seconds} s and was stopped (change the limit with `alsmsc build --cell-timeout SECONDS`)"


_log: list[str] = []


def log_to(path) -> None:
    """Where kernels started from now on write their own log: the build empties _build/.state/kernels.log and
    points here, so the file holds the last build's kernel messages only."""
    open(path, "wb").close()
    _log[:] = [str(path)]


def log_path() -> str | None:
    return _log[0] if _log else None
