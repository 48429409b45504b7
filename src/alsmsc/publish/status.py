"""The status page's data: dataset version and hash, git commit, package versions, per-notebook execution."""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from urllib.parse import quote

from alsmsc import dataset
from alsmsc.files.atomic import write_if_changed
from alsmsc.files.layout import Layout
from alsmsc.formats.escape import code
from alsmsc.formats.escape import markdown as md

KEY_PACKAGES = [
    "alsmsc",
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "sphinxcontrib-bibtex",
    "altair",
    "vl-convert-python",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "papermill",
    "frictionless",
    "doit",
]


def git_commit(layout: Layout) -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=layout.root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=layout.root, capture_output=True, text=True
        ).stdout.strip()
        return commit + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def environment_key(layout: Layout) -> dict:
    """What the status page shows besides its file inputs; doit re-runs the step when it changes."""
    return {"commit": git_commit(layout), "versions": versions()}


def notebook_rows(layout: Layout, notebooks) -> list[dict]:
    rows = []
    for nb in notebooks:
        path = nb.executed(layout)
        row = {"notebook": nb.name, "reads": ", ".join(nb.resources), "status": "not run", "dataset_hash": ""}
        if path.is_file():
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("papermill", {})
            row["status"] = "failed" if meta.get("exception") else "ok"
            row["dataset_hash"] = str(meta.get("parameters", {}).get("dataset_hash", ""))[:12]
        rows.append(row)
    return rows


def render(layout: Layout, notebooks) -> str:
    """The Status page; every value from the data, the descriptor or the environment passes formats.escape."""
    desc = dataset.read_descriptor(layout.datapackage)
    env = environment_key(layout)
    lines = [
        "| item | value |",
        "|---|---|",
        f"| Dataset | {code(desc['name'])} version **{md(desc.get('version', '?'))}** |",
        f"| Dataset content hash (sha256) | {code(dataset.package_hash(layout.data))} |",
        f"| Git commit | {code(env['commit'])} |",
        "",
        "## Data files",
        "",
        "| file | rows | sha256 |",
        "|---|---|---|",
    ]
    for res in desc["resources"]:
        path = layout.data / res["path"]
        rows = max(0, len(path.read_text(encoding="utf-8-sig").splitlines()) - 1) if path.is_file() else 0
        lines.append(f"| {code('data/' + res['path'])} | {rows} | {code(dataset.file_sha256(path)[:16] + '…')} |")
    lines += [
        "",
        "## Analysis notebooks",
        "",
        "Executed by the pipeline with papermill; a notebook is re-run only when its code, parameters or the data it "
        "reads (data hash) change. No clock time is shown: two builds of the same inputs give identical pages "
        "(`alsmsc build` prints how long each step took).",
        "",
        "| notebook | status | reads | data hash |",
        "|---|---|---|---|",
    ]
    for r in notebook_rows(layout, notebooks):
        # notebook names are file names of analysis/ (a pattern-free string): text and link target both escaped
        link = f"[{md(r['notebook'])}](/_generated/notebooks/{quote(r['notebook'])}.ipynb)"
        lines.append(f"| {link} | {md(r['status'])} | {md(r['reads'])} | {code(r['dataset_hash'])} |")
    lines += ["", "## Software", "", "| package | version |", "|---|---|"]
    lines += [f"| {md(k)} | {md(v)} |" for k, v in env["versions"].items()]
    return "\n".join(lines) + "\n"


def write(layout: Layout, notebooks) -> None:
    write_if_changed(layout.generated / "status.md", render(layout, notebooks))
    # what the book pastes about this copy ({n}`build_commit` in the how-to-cite box)
    write_if_changed(layout.generated / "status.json", json.dumps({"build_commit": git_commit(layout)}, indent=1, sort_keys=True) + "\n")
