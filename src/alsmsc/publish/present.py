"""What a chapter shows: the tables, figures and numbers the analysis notebooks generated, read back for display.

Chapters present; they never compute. A chapter names the notebooks it reads (``Results("trials_overview", ...)``,
the same list as ``alsmsc: reads`` in its front matter) and asks for outputs by key; a key that none of them produced,
or that two of them produced, is an error that says which.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alsmsc.files.layout import Layout, find_root


class Shown:
    """Generated HTML (already escaped when it was written) shown as a cell's output."""

    def __init__(self, html_text: str, label: str):
        self.html_text, self.label = html_text, label

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html_text, "text/plain": f"[{self.label}]"}


class Results:
    """The outputs of some analysis notebooks, as ``_build/generated/<notebook>/`` holds them."""

    def __init__(self, *notebooks: str, root: Path | None = None):
        self.generated = Layout(root or find_root()).generated
        missing = [nb for nb in notebooks if not (self.generated / nb / "numbers.json").is_file()]
        if missing:
            raise FileNotFoundError(f"no generated results for {', '.join(missing)} under {self.generated}; run `make book` (or `alsmsc run`) first")
        self.notebooks = notebooks
        self.numbers: dict[str, Any] = {}
        for nb in notebooks:
            self.numbers.update(json.loads((self.generated / nb / "numbers.json").read_text(encoding="utf-8"))["numbers"])

    def _find(self, folder: str, key: str, suffix: str) -> Path:
        found = [self.generated / nb / folder / f"{key}{suffix}" for nb in self.notebooks]
        found = [p for p in found if p.is_file()]
        if len(found) != 1:
            where = "none of" if not found else "more than one of"
            raise KeyError(f"{folder[:-1]} {key!r}: {where} the notebooks this chapter reads ({', '.join(self.notebooks)}) produced it")
        return found[0]

    def table(self, key: str) -> Shown:
        return Shown(self._find("tables", key, ".html").read_text(encoding="utf-8"), f"table {key}")

    def figure(self, key: str) -> Shown:
        return Shown(self._find("figures", key, ".html").read_text(encoding="utf-8"), f"figure {key}")

    def number(self, key: str) -> Any:
        if key not in self.numbers:
            raise KeyError(f"number {key!r}: none of the notebooks this chapter reads ({', '.join(self.notebooks)}) produced it")
        return self.numbers[key]
