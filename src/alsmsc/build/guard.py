"""One command that writes the project at a time, and a clean stop on Ctrl-C or SIGTERM.

The lock is an OS lock (``flock``, through filelock) on ``_build/.lock``: the kernel releases it when its holder ends,
however it ends, so a killed build never leaves a stale lock. Beside it, ``_build/.lock.holder.json`` names the holder
(pid, command, start time) for the message a second command prints.

A signal becomes :class:`Interrupted` in the main thread. It unwinds the task runner, which saves the state of every
step that completed (doit's ``finally``); :func:`stop` then stops every process the command started (notebook kernels,
Sphinx, Chromium) and ends the process at once with 128 + the signal's number. Ending with ``os._exit`` is deliberate:
worker threads may still be unwinding from the processes just stopped, and must not print or write anything more.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import NoReturn

from alsmsc.files.atomic import atomic_write_text
from alsmsc.files.layout import Layout

LOCK = ".lock"
HOLDER = ".lock.holder.json"
KEEP_ON_CLEAN = (LOCK, HOLDER)  # `alsmsc clean` must not unlink a lock it holds: a new file would be a second lock
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Busy(Exception):
    """Another command holds the project; the message names it."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived. A BaseException, so that no ``except Exception`` on the way up can swallow it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def holder(layout: Layout) -> str:
    """Who holds the lock, in words, from the file the holder wrote beside it."""
    try:
        info = json.loads((layout.build / HOLDER).read_text(encoding="utf-8"))
        return f"pid {int(info['pid'])} (`{info['command']}`, started {info['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another alsmsc command (it has not yet said which)"


@contextmanager
def exclusive(layout: Layout, command: str, wait: float) -> Iterator[None]:
    """Hold the project for ``command``. Waits up to ``wait`` seconds for another holder (saying so on one line),
    then raises :class:`Busy`; ``wait`` 0 refuses at once."""
    from filelock import FileLock, Timeout

    layout.build.mkdir(parents=True, exist_ok=True)
    path = layout.build / LOCK
    # thread_local=False: the build's worker threads run under the lock the main thread took
    lock = FileLock(path, thread_local=False, fallback_to_soft=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        other = _named_holder(layout, lock)
        busy = (
            f"{layout.rel(path)}: the project is being written by {other}; one command that writes it at a time: "
            f"try again when it has finished, or wait for it with --wait SECONDS"
        )
        if wait <= 0:
            raise Busy(busy) from None
        print(f"alsmsc: waiting up to {wait:g} s for {other} to finish", file=sys.stderr, flush=True)
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise Busy(busy.replace("is being written", f"was still being written after {wait:g} s")) from None
    try:
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        atomic_write_text(layout.build / HOLDER, json.dumps({"pid": os.getpid(), "command": command, "started": started}) + "\n")
        yield
    finally:
        _forget_holder(layout)
        lock.release()


def _named_holder(layout: Layout, lock) -> str:
    """The holder in words. A holder writes its note just after taking the lock, so a command that arrives in between
    gives it a moment (up to 5 s, while the lock is still held) rather than say it does not know who."""
    import time

    deadline = time.monotonic() + 5
    while not (layout.build / HOLDER).is_file() and time.monotonic() < deadline:
        if not _held_elsewhere(lock):  # the other command has ended meanwhile: nobody to name
            break
        time.sleep(0.05)
    return holder(layout)


def _held_elsewhere(lock) -> bool:
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def _forget_holder(layout: Layout) -> None:
    """Remove the holder file if this process wrote it (never another holder's)."""
    path = layout.build / HOLDER
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` in the main thread; a second signal during the stop is ignored."""
    fired: list[int] = []

    def handler(signum, frame):
        if fired:
            return
        fired.append(signum)
        raise Interrupted(signum)

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def stop(stopped: Interrupted, message: str, layout: Layout | None = None, grace: float = 5.0) -> NoReturn:
    """Say ``message`` on one line, stop every process this one started, and end with 128 + the signal number.

    Output is closed right after the message, so nothing a dying worker thread or library logs can follow it. Called
    while the project lock is still held: the lock is released by the kernel only when this process is gone, so a
    waiting command never starts beside a half-stopped one."""
    import psutil

    for s in SIGNALS:
        signal.signal(s, signal.SIG_IGN)
    print(message, file=sys.stderr, flush=True)
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        children = psutil.Process().children(recursive=True)
        for child in children:
            try:
                child.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(children, timeout=grace)
        for child in alive:
            try:
                child.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(alive, timeout=grace)
        if layout is not None:
            _forget_holder(layout)
    finally:
        os._exit(stopped.exit_code)
