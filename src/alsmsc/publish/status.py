"""The status page's data: dataset version and hash, git commit, package versions, per-notebook execution."""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata

from alsmsc import dataset
from alsmsc.files.atomic import write_if_changed
from alsmsc.files.layout import Layout

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
        row = {"notebook": nb.name, "reads": ", ".join(nb.resources), "status": "not run", "seconds": "", "finished": "", "dataset_hash": ""}
        if path.is_file():
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("papermill", {})
            row["status"] = "failed" if meta.get("exception") else "ok"
            row["seconds"] = f"{meta.get('duration', 0):.1f}"
            row["finished"] = (meta.get("end_time") or "")[:19].replace("T", " ")
            row["dataset_hash"] = str(meta.get("parameters", {}).get("dataset_hash", ""))[:12]
        rows.append(row)
    return rows


def render(layout: Layout, notebooks) -> str:
    desc = dataset.read_descriptor(layout.datapackage)
    env = environment_key(layout)
    lines = [
        "| item | value |",
        "|---|---|",
        f"| Dataset | `{desc['name']}` version **{desc.get('version', '?')}** |",
        f"| Dataset content hash (sha256) | `{dataset.package_hash(layout.data)}` |",
        f"| Git commit | `{env['commit']}` |",
        "",
        "## Data files",
        "",
        "| file | rows | sha256 |",
        "|---|---|---|",
    ]
    for res in desc["resources"]:
        path = layout.data / res["path"]
        rows = max(0, len(path.read_text(encoding="utf-8-sig").splitlines()) - 1) if path.is_file() else 0
        lines.append(f"| `data/{res['path']}` | {rows} | `{dataset.file_sha256(path)[:16]}…` |")
    lines += [
        "",
        "## Analysis notebooks",
        "",
        "Executed by the pipeline with papermill; times are each notebook's own last execution "
        "(a notebook is re-run only when its code, parameters or the data it reads change).",
        "",
        "| notebook | status | seconds | last executed (UTC) | reads | data hash |",
        "|---|---|---|---|---|---|",
    ]
    for r in notebook_rows(layout, notebooks):
        lines.append(
            f"| [{r['notebook']}](/_generated/notebooks/{r['notebook']}.ipynb) | {r['status']} | {r['seconds']} | "
            f"{r['finished']} | {r['reads']} | `{r['dataset_hash']}` |"
        )
    lines += ["", "## Software", "", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in env["versions"].items()]
    return "\n".join(lines) + "\n"


def write(layout: Layout, notebooks) -> None:
    write_if_changed(layout.generated / "status.md", render(layout, notebooks))
    # what the book pastes about this copy ({n}`build_commit` in the how-to-cite box)
    write_if_changed(layout.generated / "status.json", json.dumps({"build_commit": git_commit(layout)}, indent=1, sort_keys=True) + "\n")
