"""The kernel manager the build uses (see :mod:`alsmsc.build.kernels` for why): IPC sockets in a private folder
instead of TCP ports, and the kernel's own log in a file instead of the build's output."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid

from jupyter_client.manager import AsyncKernelManager

from alsmsc.build import kernels


class IPCKernelManager(AsyncKernelManager):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        # the socket files are this prefix plus "-N"; a private folder (0700) keeps other users out; Unix socket paths
        # must stay under 108 bytes, hence the short names
        self._ipc_folder = tempfile.mkdtemp(prefix="alsmsc-k-")
        self.ip = os.path.join(self._ipc_folder, uuid.uuid4().hex[:8])

    async def start_kernel(self, **kw) -> None:
        # Cell output and errors come back as messages; the kernel's stderr is ipykernel's own log (shutdown notices,
        # a handler's traceback when a timed-out kernel is stopped). It goes to the build's kernel log, not the terminal.
        log = kernels.log_path()
        log_file = open(log, "ab") if log else None  # noqa: SIM115 - closed below, once the kernel holds its own copy
        kw.setdefault("stderr", log_file or subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.DEVNULL)
        try:
            await super()._async_start_kernel(**kw)
        finally:
            if log_file:
                log_file.close()

    def cleanup_ipc_files(self) -> None:
        super().cleanup_ipc_files()
        try:
            os.rmdir(self._ipc_folder)
        except OSError:
            pass
