"""Incremental builds: a step re-runs when, and only when, something it depends on changed.

Each test starts by settling the build (a build that may re-run what the previous test changed), then makes its own
change. The edits are made to a copy of the project; they are fixture changes, never published.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest

from .conftest import ROOT, alsmsc, build, copy_project

pytestmark = [pytest.mark.slow, pytest.mark.fixture_data]
NOTEBOOKS = {"notebook:trials_overview", "notebook:records_overview"}  # the two used to show selective re-runs


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("incremental") / "project")
    cold = build(root)
    assert cold["ok"], cold["output"]
    assert NOTEBOOKS <= set(cold["ran"])
    right_after = build(root)  # the first build after a cold one must already be a no-op
    assert right_after["ran"] == [], right_after["ran"]
    return root


def settle(root: Path) -> None:
    assert build(root)["ok"]


def page_text(root: Path, page: str) -> str:
    html = (root / "_build" / "html" / page).read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def numbers(root: Path, notebook: str) -> dict:
    return json.loads((root / "_build" / "generated" / notebook / "numbers.json").read_text())["numbers"]


def rewrite_csv(path: Path, keep, update=lambda r: r) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(update(r) for r in rows if keep(r))


def test_nothing_changed_nothing_runs(project):
    settle(project)
    again = build(project)
    assert again["ran"] == [], again["ran"]
    assert {"validate", "book", *NOTEBOOKS} <= set(again["reused"])


def test_data_change_reruns_exactly_the_notebooks_that_read_it(project):
    settle(project)
    before = numbers(project, "trials_overview")["n_participants_once"]
    # Fixture edit: one more participant in one trial with results (only data/trials.csv changes).
    target = next(
        t
        for t in csv.DictReader((project / "data" / "trials.csv").open())
        if t["results"] == "peer_reviewed" and t["n_enrolled"] and not t["overlaps_with"]
    )
    rewrite_csv(
        project / "data" / "trials.csv",
        lambda r: True,
        update=lambda r: {**r, "n_enrolled": str(int(r["n_enrolled"]) + 1)} if r["trial_id"] == target["trial_id"] else r,
    )
    alsmsc(project, "rehash", check=True)
    result = build(project)
    assert result["ok"], result["output"]
    from alsmsc.build import pipeline
    from alsmsc.files.layout import Layout

    readers = {f"notebook:{nb.name}" for nb in pipeline.discover(Layout(project)) if "trials" in nb.resources}
    assert {"notebook:trials_overview", "notebook:evidence_synthesis", "notebook:review_apparatus"} <= readers
    assert "notebook:records_overview" not in readers and "notebook:background_facts" not in readers
    assert {r for r in result["ran"] if r.startswith("notebook:")} == readers  # exactly the notebooks that read it
    from alsmsc.build import chapters

    rerun = {r.split(":", 1)[1] for r in readers}
    chapter_readers = {
        f"chapter:{c.name}"
        for c in chapters.discover(Layout(project), {nb.name for nb in pipeline.discover(Layout(project))})
        if rerun & set(c.reads)
    }
    assert "chapter:background" not in chapter_readers and "chapter:clinical-trials" in chapter_readers
    assert {r for r in result["ran"] if r.startswith("chapter:")} == chapter_readers  # and exactly the chapters that read those
    assert {"validate", "book"} <= set(result["ran"])
    # The chapter pastes the new number: it re-ran, and Sphinx re-rendered its page.
    after = numbers(project, "trials_overview")["n_participants_once"]
    assert after == before + 1
    assert f"enrolled {after} people" in page_text(project, "clinical-trials.html")


def test_referenced_table_change_reruns_both_notebooks(project):
    settle(project)
    path = project / "data" / "studies.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",abstract,", ",full_text,", 1), encoding="utf-8")  # one record now counts as full text
    alsmsc(project, "rehash", check=True)
    result = build(project)
    assert result["ok"], result["output"]
    assert NOTEBOOKS <= set(result["ran"])  # every notebook reads studies, directly or through a foreign key


def test_chapter_text_change_executes_no_notebook(project):
    settle(project)
    chapter = project / "book" / "chapters" / "etiology.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nFixture sentence added by the incremental-build test.\n", encoding="utf-8")
    result = build(project)
    assert result["ok"], result["output"]
    assert "book" in result["ran"]
    assert not {r for r in result["ran"] if r.startswith("notebook:")}, result["ran"]
    assert {r for r in result["ran"] if r.startswith("chapter:")} == {"chapter:etiology"}  # only the edited chapter re-runs
    assert "Fixture sentence added by the incremental-build test." in page_text(project, "etiology.html")


def _generated_digests(root: Path) -> dict[str, str]:
    base = root / "_build" / "generated"
    files = [
        p
        for p in base.rglob("*")
        if p.is_file() and p.parent.name in ("tables", "figures") or p.name in ("numbers.json", "references.bib", "data_dictionary.md")
    ]
    return {str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_forced_rebuild_is_byte_identical(project):
    settle(project)
    first = _generated_digests(project)
    assert any(k.endswith(".vl.json") for k in first) and any(k.endswith(".csv") for k in first)
    result = build(project, "--force")
    assert result["ok"] and NOTEBOOKS <= set(result["ran"])
    assert _generated_digests(project) == first


def test_failing_notebook_stops_the_build_and_keeps_previous_outputs(project):
    settle(project)
    executed = project / "_build" / "generated" / "notebooks" / "records_overview.ipynb"
    numbers_file = project / "_build" / "generated" / "records_overview" / "numbers.json"
    html = project / "_build" / "html" / "methods.html"
    kept = {p: p.read_bytes() for p in (executed, numbers_file, html)}
    nb_path = project / "analysis" / "records_overview.ipynb"
    original = nb_path.read_text(encoding="utf-8")
    nb = json.loads(original)
    nb["cells"].insert(
        3, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ["raise RuntimeError('fixture failure')"]}
    )
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    try:
        result = build(project, check=False)
        assert result["returncode"] == 1
        assert "notebook:records_overview" in result["failed"]
        assert "analysis/records_overview.ipynb failed in cell" in result["output"]
        assert "RuntimeError: fixture failure" in result["output"]
        assert "book" not in result["ran"]
        for path, content in kept.items():
            assert path.read_bytes() == content, f"{path} changed although the build failed"
        assert not list((project / "_build" / "generated").glob(".staging/*"))
    finally:
        nb_path.write_text(original, encoding="utf-8")


def test_interrupted_build_leaves_nothing_a_later_build_would_trust(tmp_path):
    """Kill a build while a notebook runs (as Ctrl-C or a crash would); the next build must redo that work."""
    import os
    import signal
    import subprocess
    import sys
    import time

    root = copy_project(tmp_path / "p")
    env = {**os.environ, "ALSMSC_ROOT": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "alsmsc", "build", "-q"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    staging = root / "_build" / "generated" / ".staging"
    deadline = time.monotonic() + 120
    while not (staging.exists() and any(staging.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert staging.exists(), "the build never reached a notebook"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole group: the build and its kernels
    proc.wait()
    executed = root / "_build" / "generated" / "notebooks"
    finished = {p.stem for p in executed.glob("*.ipynb")}
    for p in executed.glob("*.ipynb"):  # whatever is there is complete (written to staging, then renamed into place)
        assert json.loads(p.read_text())["cells"]
    result = build(root)
    assert result["ok"], result["output"]
    unfinished = {f"notebook:{p.stem}" for p in (root / "analysis").glob("*.ipynb") if p.stem not in finished}
    assert unfinished and unfinished <= set(result["ran"])  # nothing half-done was taken as up to date
    assert not list(staging.glob("*"))  # the staging leftovers of the killed run are gone
    for nb in executed.glob("*.ipynb"):
        assert json.loads(nb.read_text())["metadata"]["papermill"]["exception"] is None


def test_each_step_is_keyed_on_the_modules_it_imports():
    """From the import graph, not a hand-kept list: the CLI or the registry client re-runs no notebook, the
    bibliography step re-runs when its own module changes, and a chapter depends on the presenting module."""
    from alsmsc.build import chapters, imports, pipeline
    from alsmsc.files.layout import Layout

    layout = Layout(ROOT)
    src = layout.package_src.parent
    pkg = layout.package_src
    for nb in pipeline.discover(layout):
        deps = set(pipeline.code_deps(layout, notebook=nb.path))
        assert str(pkg / "publish" / "outputs.py") in deps, nb.name
        assert not {str(pkg / "cli" / "main.py"), str(pkg / "registry" / "clinicaltrials_gov.py"), str(pkg / "build" / "pipeline.py")} & deps
    assert str(pkg / "analyses" / "preclinical.py") in pipeline.code_deps(layout, notebook=layout.analysis / "preclinical_overview.ipynb")
    assert str(pkg / "analyses" / "preclinical.py") not in pipeline.code_deps(layout, notebook=layout.analysis / "records_overview.ipynb")
    bib = pipeline.code_deps(layout, module="alsmsc.publish.bibliography")
    assert str(pkg / "publish" / "bibliography.py") in bib and str(pkg / "dataset" / "package.py") in bib
    chapter = next(c for c in chapters.discover(layout, {nb.name for nb in pipeline.discover(layout)}) if c.name == "preclinical")
    assert pkg / "publish" / "present.py" in imports.closure(chapter.code(), src)
