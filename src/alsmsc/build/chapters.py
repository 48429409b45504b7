"""Executable chapters: MyST Markdown notebooks in ``book/chapters/`` that present what the analysis notebooks made.

A chapter's front matter names the notebooks it reads (``alsmsc: reads: [...]``). The build checks that every number
it pastes (``{n}`key```, ``{fact}`id```) and every chart it shows exists in exactly one of them, runs the chapter with
its folder as working directory, and writes the executed notebook to ``book/<name>.ipynb``: the page the book renders
and the file a reader downloads. The task graph re-runs a chapter when its text, the package code it imports or the
outputs of a notebook it reads change; jupyter-cache alone would miss the last.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from alsmsc.build import kernels
from alsmsc.files.layout import Layout

ROLE = re.compile(r"\{(n|fact)\}`([^`]+)`")
CHART = re.compile(r"^```\{chart\}\s+(\S+)", re.M)
# pasted from data/datapackage.json itself and from the build's status step (_generated/status.json), not from a notebook
DATASET_KEYS = ("dataset_version", "build_commit")
# Files a chapter reads through alsmsc.publish.present besides notebook outputs, by the call that reads them
EXTRA_INPUTS = {"results.citation(": ("CITATION.cff",), "results.downloads(": ("data/datapackage.json",)}


class ChapterError(Exception):
    """A chapter cannot be built; the message names the file and line."""


@dataclass(frozen=True)
class Chapter:
    name: str
    source: Path
    reads: tuple[str, ...]

    def code(self) -> str:
        return "\n".join(c.source for c in read(self.source).cells if c.cell_type == "code")

    def extra_inputs(self, layout: Layout) -> list[Path]:
        code = self.code()
        return [layout.root / f for call, files in EXTRA_INPUTS.items() if call in code for f in files]


def read(path: Path):
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), path=path)


def discover(layout: Layout, known_notebooks: set[str]) -> list[Chapter]:
    """The chapters, each with the results it reads: analysis notebooks, or the sensitivity table of the declared
    runs (alsmsc.build.runs.SENSITIVITY)."""
    from alsmsc.build.runs import SENSITIVITY

    known_notebooks = set(known_notebooks) | {SENSITIVITY}
    found = []
    for path in sorted(layout.chapters.glob("*.md")):
        meta = read(path).metadata
        reads = (meta.get("alsmsc") or {}).get("reads")
        if not isinstance(reads, list) or not all(isinstance(r, str) for r in reads):
            raise ChapterError(f"{layout.rel(path)}:1: the front matter needs `alsmsc: reads: [...]`, the analysis notebooks it presents")
        unknown = sorted(set(reads) - known_notebooks)
        if unknown:
            raise ChapterError(
                f"{layout.rel(path)}:1: `alsmsc: reads` names {', '.join(unknown)}; known notebooks: {', '.join(sorted(known_notebooks))}"
            )
        if "kernelspec" not in meta:
            raise ChapterError(f"{layout.rel(path)}:1: the front matter needs a `kernelspec` (python3) to be run as a notebook")
        found.append(Chapter(path.stem, path, tuple(reads)))
    return found


def check_keys(layout: Layout, chapter: Chapter) -> None:
    """Every pasted number and every chart comes from exactly one notebook the chapter reads."""
    numbers, figures = {key: ["the dataset"] for key in DATASET_KEYS}, {}
    for nb in chapter.reads:
        out = layout.generated / nb
        for key in json.loads((out / "numbers.json").read_text(encoding="utf-8"))["numbers"]:
            numbers.setdefault(key, []).append(nb)
        for fig in (out / "figures").glob("*.html"):
            figures.setdefault(fig.stem, []).append(nb)
    problems = []
    text = chapter.source.read_text(encoding="utf-8")
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in ROLE.finditer(line):
            role, key = m.groups()
            key = f"fact_{key}" if role == "fact" else key
            problems += _where(layout, chapter, lineno, f"{{{role}}}`{m.group(2)}`", numbers.get(key, []))
        for m in CHART.finditer(line):
            problems += _where(layout, chapter, lineno, f"chart {m.group(1)}", figures.get(m.group(1), []))
    if problems:
        raise ChapterError("\n".join(problems))


def _where(layout: Layout, chapter: Chapter, lineno: int, what: str, sources: list[str]) -> list[str]:
    if len(sources) == 1:
        return []
    if not sources:
        why = f"no notebook it reads ({', '.join(chapter.reads)}) produced it; add the notebook to `alsmsc: reads` or fix the key"
    else:
        why = f"more than one notebook produced it ({', '.join(sources)}); keys must be unique"
    return [f"{layout.rel(chapter.source)}:{lineno}: {what}: {why}"]


def execute(layout: Layout, chapter: Chapter, timeout: int = kernels.CELL_TIMEOUT) -> None:
    """Run the chapter in book/ and write book/<name>.ipynb atomically; on failure the previous page stays."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    from alsmsc.files.atomic import atomic_write_text
    from alsmsc.publish import reproducible

    check_keys(layout, chapter)
    nb = read(chapter.source)
    nb.metadata["alsmsc"] = {"reads": list(chapter.reads), "source": layout.rel(chapter.source)}
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=kernels.MANAGER,
        resources={"metadata": {"path": str(layout.book)}},
        record_timing=False,
    )
    try:
        client.execute()
    except CellTimeoutError:
        raise ChapterError(f"{layout.rel(chapter.source)}: {kernels.timed_out(timeout)}; the previous page is unchanged") from None
    except CellExecutionError as exc:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # the kernel colours its traceback
        raise ChapterError(f"{layout.rel(chapter.source)}: a code cell failed; the previous page is unchanged:\n{plain}") from None
    reproducible.clean(nb, layout.root, renumber=True)  # the MyST reader gives cells random ids
    atomic_write_text(layout.executed_chapter(chapter.name), nbformat.writes(nb) + "\n")
