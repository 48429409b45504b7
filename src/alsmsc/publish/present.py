"""What a chapter shows: the tables, figures and numbers the analysis notebooks generated, read back for display.

Chapters present; they never compute. A chapter names the notebooks it reads (``Results("trials_overview", ...)``,
the same list as ``alsmsc: reads`` in its front matter) and asks for outputs by key; a key that none of them produced,
or that two of them produced, is an error that says which.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from alsmsc.files.layout import Layout, find_root
from alsmsc.formats import escape

DATASET_FILES = ("datapackage.json", "CHANGELOG.md", "README.md")  # served with the CSV files under dataset/


class Shown:
    """Generated HTML (already escaped when it was written) shown as a cell's output."""

    def __init__(self, html_text: str, label: str):
        self.html_text, self.label = html_text, label

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html_text, "text/plain": f"[{self.label}]"}


class Results:
    """The outputs of some analysis notebooks, as ``_build/generated/<notebook>/`` holds them."""

    def __init__(self, *notebooks: str, root: Path | None = None):
        self.layout = Layout(root or find_root())
        self.generated = self.layout.generated
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

    def downloads(self) -> Shown:
        """The dataset as the book serves it (dataset/ next to the pages): every file with its size and checksum."""
        from alsmsc import dataset

        desc = dataset.read_descriptor(self.layout.datapackage)
        rows = []
        for res in desc["resources"]:
            path = self.layout.data / res["path"]
            with path.open(encoding="utf-8") as fh:
                n = sum(1 for _ in fh) - 1
            rows.append((res["path"], res.get("title") or res["name"], f"{n:,} rows", res.get("hash", "").split(":")[-1]))
        for name in DATASET_FILES:
            rows.append(
                (
                    name,
                    {
                        "datapackage.json": "schemas, version and checksums",
                        "CHANGELOG.md": "what changed in each version",
                        "README.md": "how the data are organised",
                    }[name],
                    "",
                    dataset.file_sha256(self.layout.data / name),
                )
            )
        body = "".join(
            f'<tr><td><a href="dataset/{escape.html(f)}" download>{escape.html(f)}</a></td><td>{escape.html(what)}</td>'
            f"<td>{escape.html(size)}</td><td><code>{escape.html(sha[:16])}…</code></td></tr>\n"
            for f, what, size, sha in rows
        )
        version = escape.html(desc.get("version", ""))
        pdf = escape.html(self.layout.pdf.name)
        return Shown(
            f'<p class="alsmsc-pdf-link">The whole book in one file, to read offline or print: the <a href="pdf/{pdf}">PDF edition</a> '
            "(contents, page numbers and every table and figure of this version).</p>\n"
            f'<div class="alsmsc-table-scroll" role="region" tabindex="0" aria-label="dataset files">\n'
            f'<table class="alsmsc-table"><caption>Dataset version {version}: every file, as served by this book '
            f"(SHA-256 checksums also in datapackage.json)</caption>\n<thead><tr><th>File</th><th>What it holds</th>"
            f"<th>Size</th><th>SHA-256</th></tr></thead>\n<tbody>\n{body}</tbody></table>\n</div>",
            "dataset downloads",
        )

    def citation(self) -> Shown:
        """How to cite: the dataset version and date from CITATION.cff, as BibTeX and as the CFF file itself."""
        cff = (self.layout.root / "CITATION.cff").read_text(encoding="utf-8")

        def field(name: str) -> str:
            m = re.search(rf"(?m)^{name}:\s*\"?(.*?)\"?\s*$", cff)
            return m.group(1) if m else ""

        author = re.search(r'(?m)^\s*-\s*name:\s*"?(.*?)"?\s*$', cff)
        version, date = field("version"), field("date-released")
        bibtex = (
            f"@misc{{alsmsc_review_{version.replace('.', '_')},\n  title = {{{field('title')}}},\n"
            f"  author = {{{{{author.group(1) if author else ''}}}}},\n  year = {{{date[:4]}}},\n  version = {{{version}}},\n"
            f"  note = {{Dataset version {version}, released {date}; the Status page gives the git commit of this copy}}\n}}"
        )
        return Shown(
            f'<div class="alsmsc-cite"><p>Cite the dataset version you used: <strong>{escape.html(version)}</strong>, released '
            f"{escape.html(date)}. The Status page gives the git commit that built this copy.</p>\n"
            f"<details open><summary>BibTeX</summary><pre>{escape.html(bibtex)}</pre></details>\n"
            f"<details><summary>CITATION.cff</summary><pre>{escape.html(cff)}</pre></details></div>",
            "how to cite",
        )
