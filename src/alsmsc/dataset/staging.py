"""Change data/ all at once: commands that edit the data (`new-study`, `release`) work on a copy beside it and swap
the copy in with one rename, so a kill at any instant (even SIGKILL) leaves data/ exactly as it was or exactly as
the command meant it; nothing half-written, no row whose checksums already match it without having been checked."""

from __future__ import annotations

import shutil
from pathlib import Path

from alsmsc.dataset.problems import Problem
from alsmsc.files.atomic import atomic_write_bytes, exchange_dirs

STAGE_NAME = ".data.staging"  # beside data/, so the swap is a rename on one file system (in .gitignore)


class StagedData:
    """``with StagedData(data) as stage: ...edit stage.path...; stage.commit()``. Without ``commit`` (a refusal, an
    error, Ctrl-C) data/ is untouched. A folder left by a killed command is removed by the next one."""

    def __init__(self, data: Path):
        self.data = Path(data)
        self.path = self.data.with_name(STAGE_NAME)

    def __enter__(self) -> StagedData:
        if self.path.exists():
            shutil.rmtree(self.path)
        shutil.copytree(self.data, self.path, symlinks=False)
        return self

    def commit(self) -> None:
        if not exchange_dirs(self.path, self.data):  # now data/ is the new folder, and the old one waits at self.path
            _write_back(self.path, self.data)

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def relabel(self, problems: list[Problem]) -> list[Problem]:
        """Problems found in the copy, addressed as data/ (where the contributor will fix them)."""
        prefix = self.path.name + "/"
        return [Problem(self.data.name + "/" + p.file.split(prefix, 1)[1], p.row, p.column, p.message) if prefix in p.file else p for p in problems]


def _write_back(stage: Path, data: Path) -> None:
    """Where folders cannot be swapped in one step: the changed files one by one, the checksums (datapackage.json)
    last, so an interruption between two writes leaves checksums that do not match and `validate` says so; a failure
    or Ctrl-C restores every file written."""
    changed = [
        p.name for p in sorted(stage.iterdir()) if p.is_file() and (not (data / p.name).is_file() or (data / p.name).read_bytes() != p.read_bytes())
    ]
    changed.sort(key=lambda name: name == "datapackage.json")
    originals = {name: (data / name).read_bytes() for name in changed if (data / name).is_file()}
    done: list[str] = []
    try:
        for name in changed:
            atomic_write_bytes(data / name, (stage / name).read_bytes())  # atomic: a failed write leaves the old file
            done.append(name)
    except BaseException:
        for name in done:
            if name in originals:
                atomic_write_bytes(data / name, originals[name])
            else:
                (data / name).unlink(missing_ok=True)
        raise
