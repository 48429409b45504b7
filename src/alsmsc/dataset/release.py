"""`alsmsc release X.Y.Z`: a new dataset version with a changelog written from the actual diff and a drift check.

The previous release is the last commit in which data/datapackage.json carried the current version (found with
`git log -S`), so no copy of old data is kept in the repository.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alsmsc import dataset
from alsmsc.dataset import descriptor
from alsmsc.dataset.staging import StagedData
from alsmsc.files.atomic import atomic_write_text
from alsmsc.files.layout import Layout
from alsmsc.formats.escape import markdown as md

SEMVER = re.compile(descriptor.SEMVER)  # used with fullmatch: "1.2.3\n" is not a version
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ReleaseError(Exception):
    pass


@dataclass
class TableDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, str, str, str]] = field(default_factory=list)  # key, column, old, new

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _git(layout: Layout, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=layout.root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def previous_release_commit(layout: Layout, version: str) -> str:
    """The newest commit whose datapackage.json has "version": version."""
    for commit in _git(layout, "log", "--format=%H", "-S", f'"version": "{version}"', "--", "data/datapackage.json").split():
        desc = json.loads(_git(layout, "show", f"{commit}:data/datapackage.json"))
        if desc.get("version") == version:
            return commit
    raise ReleaseError(f"no commit has data/datapackage.json at version {version}; commit the current release first")


def export_data(layout: Layout, commit: str, dest: Path) -> Path:
    """The data/ folder as it was at ``commit``, written to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in _git(layout, "ls-tree", "--name-only", commit, "data/").split():
        (dest / Path(name).name).write_bytes(
            subprocess.run(["git", "show", f"{commit}:{name}"], cwd=layout.root, capture_output=True, check=True).stdout
        )
    return dest


def _key(row, pk: list[str]) -> str:
    return " / ".join(str(row[c]) for c in pk)


def diff_tables(old_dir: Path, new_dir: Path) -> dict[str, TableDiff]:
    old_desc = dataset.resources(dataset.read_descriptor(old_dir / "datapackage.json"))
    new_desc = dataset.read_descriptor(new_dir / "datapackage.json")
    out = {}
    for res in new_desc["resources"]:
        name = res["name"]
        pk = res["schema"].get("primaryKey") or [res["schema"]["fields"][0]["name"]]
        new = pd.read_csv(new_dir / res["path"], dtype=str, keep_default_na=False, encoding="utf-8-sig")
        old = (
            pd.read_csv(old_dir / old_desc[name]["path"], dtype=str, keep_default_na=False, encoding="utf-8-sig")
            if name in old_desc and (old_dir / old_desc[name]["path"]).exists()
            else new.iloc[0:0]
        )
        if not set(pk) <= set(old.columns):  # the table's key changed (a new data model): old rows by their own key
            old_pk = old_desc[name]["schema"].get("primaryKey") or [old_desc[name]["schema"]["fields"][0]["name"]]
            out[name] = TableDiff(
                added=sorted({_key(r, pk) for _, r in new.iterrows()}), removed=sorted({_key(r, old_pk) for _, r in old.iterrows()})
            )
            continue
        old_rows = {_key(r, pk): r for _, r in old.iterrows()}
        new_rows = {_key(r, pk): r for _, r in new.iterrows()}
        d = TableDiff(added=sorted(set(new_rows) - set(old_rows)), removed=sorted(set(old_rows) - set(new_rows)))
        for key in sorted(set(old_rows) & set(new_rows)):
            for col in new.columns:
                before = old_rows[key].get(col, "")
                if before != new_rows[key][col]:
                    d.changed.append((key, col, before, new_rows[key][col]))
        out[name] = d
    new_names = {r["name"] for r in new_desc["resources"]}
    for name, res in old_desc.items():  # a table the new version no longer has: every row removed
        if name not in new_names and (old_dir / res["path"]).exists():
            old = pd.read_csv(old_dir / res["path"], dtype=str, keep_default_na=False, encoding="utf-8-sig")
            pk = res["schema"].get("primaryKey") or [res["schema"]["fields"][0]["name"]]
            out[name] = TableDiff(removed=sorted({_key(r, pk) for _, r in old.iterrows()}))
    return out


MAX_CHANGES = 40  # changed cells listed per table; added and removed rows are always listed in full


def changelog_entry(version: str, date: str, diffs: dict[str, TableDiff], flags: list[dict]) -> str:
    """The changelog section for a release. Every value from the data (keys, column names, cell values, drift reasons)
    goes through ``formats.escape.markdown``: the What's new page renders this Markdown, so a record id such as
    ``<img onerror=...>`` must reach it as text."""
    event = "Material update" if flags else "Update"
    summary = []
    for name, d in diffs.items():
        if not d.empty:
            summary.append(f"{md(name)}: {len(d.added)} added, {len(d.removed)} removed, {len({k for k, *_ in d.changed})} changed")
    lines = [
        f"## {version} — {date}",  # both checked against strict patterns above: no markup can pass
        "",
        "| Date | Event | Description |",
        "|---|---|---|",
        f"| {date} | {event} | {'; '.join(summary) or 'no data changes'} |",
        "",
    ]
    if flags:
        lines += ["**Material update.** The conclusions may have changed:", ""]
        lines += [f"- {md(f['comparison'])}: {md(f['reason'])}" for f in flags] + [""]
    for name, d in diffs.items():
        if d.empty:
            continue
        lines += [f"### Table {md(name)}", ""]
        lines += [f"- added: {md(k)}" for k in d.added]
        lines += [f"- removed: {md(k)}" for k in d.removed]
        for key, col, old, new in d.changed[:MAX_CHANGES]:
            lines.append(f"- changed {md(key)} · {md(col)}: {_short(old)} → {_short(new)}")
        if len(d.changed) > MAX_CHANGES:
            lines.append(f"- … and {len(d.changed) - MAX_CHANGES} more changed cells (the field-by-field diff is in the git history)")
        lines.append("")
    return "\n".join(lines)


def _short(value: str, limit: int = 80) -> str:
    text = (value or "(blank)").replace("\n", " ")
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return "“" + md(text) + "”"


def check_date(date: str) -> str:
    """A real calendar date written YYYY-MM-DD (``2026-13-45`` and ``2026-1-5`` are refused)."""
    if not isinstance(date, str) or not DATE.fullmatch(date):
        raise ReleaseError(f"release date {date!r} must be written YYYY-MM-DD, e.g. 2026-12-01")
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        raise ReleaseError(f"release date {date} is not a calendar date (month 01-12, a day the month has)") from None
    return date


# (previous data folder, current data folder, threshold) -> flags; the analyses layer supplies it (the dataset layer
# cannot know what a pooled estimate is)
DriftCheck = Callable[[Path, Path, float], list[dict]]


def release(
    layout: Layout, version: str, date: str | None = None, threshold: float = 0.10, previous: str | None = None, drift: DriftCheck | None = None
) -> tuple[str, list[dict]]:
    """Bump the dataset version. Every argument is checked first; the data are rehashed, validated, diffed and bumped in
    a copy of data/ that replaces it in one step (dataset.staging), so a refusal, a failure or a kill at any point
    leaves data/ as it was."""
    if not isinstance(version, str) or not SEMVER.fullmatch(version):
        raise ReleaseError(f"version {version!r} is not X.Y.Z (three whole numbers without leading zeros, e.g. 1.4.0)")
    if date is not None:
        check_date(date)
    if not (0 < threshold < 1):
        raise ReleaseError(f"threshold {threshold!r} must be a fraction between 0 and 1 (0.10 flags a 10% change)")
    desc = dataset.read_descriptor(layout.datapackage)
    current = desc.get("version", "0.0.0")
    if tuple(map(int, version.split("."))) <= tuple(map(int, current.split("."))):
        raise ReleaseError(f"version {version} must be greater than the current {current}")
    cff = layout.root / "CITATION.cff"
    with StagedData(layout.data) as stage:  # data/ changes in one step at stage.commit(), or not at all
        data = stage.path
        dataset.rehash(data)  # the release records the data as they are now
        problems = stage.relabel(dataset.validate(data))
        if problems:
            raise ReleaseError("the data are not valid; fix these first:\n" + "\n".join(map(str, problems)))
        date = date or dt.date.today().isoformat()
        with tempfile.TemporaryDirectory(prefix="alsmsc-release-") as tmp:
            commit = previous or previous_release_commit(layout, current)
            old = json.loads(_git(layout, "show", f"{commit}:data/datapackage.json"))
            if old.get("version") != current:
                raise ReleaseError(f"commit {commit} has data version {old.get('version')!r}, not the current {current}")
            before = export_data(layout, commit, Path(tmp) / "previous")
            diffs = diff_tables(before, data)
            flags = drift(before, data, threshold) if drift else []
        entry = changelog_entry(version, date, diffs, flags)
        desc = dataset.read_descriptor(data / "datapackage.json")
        desc["version"], desc["created"] = version, f"{date}T00:00:00Z"
        dataset.write_descriptor(data / "datapackage.json", desc)
        changelog = data / "CHANGELOG.md"
        head, _, rest = (changelog.read_text(encoding="utf-8") if changelog.exists() else "# Changelog\n").partition("\n## ")
        atomic_write_text(changelog, head.rstrip() + "\n\n" + entry + ("\n## " + rest if rest else ""))
        new_cff = None
        if cff.exists():
            text = re.sub(r"(?m)^version: .*$", f"version: {version}", cff.read_text(encoding="utf-8"))
            new_cff = re.sub(r"(?m)^date-released: .*$", f"date-released: {date}", text)
        stage.commit()
    if new_cff is not None:  # outside data/: written after it (a kill in between leaves only the citation file behind)
        atomic_write_text(cff, new_cff)
    return entry, flags
