"""Where things live. Every path in the project is derived from the project root here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def find_root(start: Path | None = None) -> Path:
    """The project root: $ALSMSC_ROOT, else the nearest parent holding both pyproject.toml and data/."""
    env = os.environ.get("ALSMSC_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "data").is_dir():
            return candidate
    raise FileNotFoundError(
        f"no ALS-MSC project found at or above {here} (looked for pyproject.toml next to data/); run from inside the repository or set ALSMSC_ROOT"
    )


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def discover(cls, start: Path | None = None) -> Layout:
        return cls(find_root(start))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def datapackage(self) -> Path:
        return self.data / "datapackage.json"

    @property
    def analysis(self) -> Path:
        return self.root / "analysis"

    @property
    def book(self) -> Path:
        return self.root / "book"

    @property
    def config(self) -> Path:
        return self.root / "_config.yml"

    @property
    def chapters(self) -> Path:
        """The chapter sources: MyST Markdown notebooks that present generated results."""
        return self.book / "chapters"

    def executed_chapter(self, name: str) -> Path:
        """Where the build writes a chapter after running it: the page the book renders and readers download."""
        return self.book / f"{name}.ipynb"

    @property
    def build(self) -> Path:
        return self.root / "_build"

    @property
    def generated(self) -> Path:
        """The one folder of generated tables, figures, numbers and executed notebooks."""
        return self.build / "generated"

    @property
    def executed(self) -> Path:
        return self.generated / "notebooks"

    @property
    def html(self) -> Path:
        return self.build / "html"

    @property
    def singlehtml(self) -> Path:
        """The book as one page, printed into the PDF edition."""
        return self.build / "singlehtml"

    @property
    def pdf(self) -> Path:
        """The PDF edition (the HTML book serves a copy under pdf/)."""
        return self.build / "pdf" / "als-msc-living-review.pdf"

    @property
    def state(self) -> Path:
        """Task-runner state (content hashes of every step's inputs)."""
        return self.build / "state"

    @property
    def package_src(self) -> Path:
        return self.root / "src" / "alsmsc"

    def notebooks(self) -> list[Path]:
        return sorted(self.analysis.glob("*.ipynb"))

    SOURCE_ITEMS = ("pyproject.toml", "_config.yml", "CITATION.cff", "data", "analysis", "book", "src")

    def copy_sources(self, dest: Path) -> Layout:
        """Copy what a build needs (no .venv, no _build) to ``dest``; for tests and benchmarks that must not touch
        the working tree."""
        import shutil

        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        common = shutil.ignore_patterns("__pycache__", "*.egg-info")

        def ignore(folder, names):  # executed chapters (book/NAME.ipynb) are build outputs, not sources
            skip = set(common(folder, names))
            if Path(folder) == self.book:
                skip |= {n for n in names if n.endswith(".ipynb")}
            return skip

        for item in self.SOURCE_ITEMS:
            src = self.root / item
            if src.is_dir():
                shutil.copytree(src, dest / item, symlinks=True, ignore=ignore)
            else:
                shutil.copy2(src, dest / item)
        return Layout(dest)

    def rel(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)
