"""Sensitivity analyses as papermill runs: `alsmsc run NOTEBOOK -p NAME=VALUE --out DIR`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from alsmsc.analyses import synthesis

from .conftest import ROOT, alsmsc


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_parameterised_run_leaves_the_book_and_published_outputs_untouched(built_project: Path, tmp_path: Path):
    html, generated = built_project / "_build" / "html", built_project / "_build" / "generated"
    before = (_digest(html), _digest(generated))
    out = tmp_path / "runs" / "dl"
    proc = alsmsc(built_project, "run", "evidence_synthesis", "-p", "tau2_method=DL", "-p", "knha=false", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (_digest(html), _digest(generated)) == before
    record = json.loads((out / "run.json").read_text())
    assert record["set_by_you"] == {"tau2_method": "DL", "knha": False}
    assert record["parameters"]["pre_post_correlation"] == 0.5  # every parameter is recorded, defaults too
    desc = json.loads((built_project / "data" / "datapackage.json").read_text())
    assert record["dataset_version"] == desc["version"] and len(record["dataset_hash"]) == 64
    numbers = json.loads((out / "outputs" / "numbers.json").read_text())["numbers"]
    assert numbers["synthesis_model"] == "random-effects model (DL)"  # the run used the parameters
    published = json.loads((generated / "evidence_synthesis" / "numbers.json").read_text())["numbers"]
    assert published["synthesis_model"] == "random-effects model (REML, Knapp-Hartung)"
    assert (out / "evidence_synthesis.ipynb").is_file() and str(out) in proc.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["-p", "tau2=DL"], "evidence_synthesis has no parameter 'tau2'; its parameters: tau2_method, knha,"),
        (["-p", "tau2_method=XX"], "parameter tau2_method: 'XX' is not allowed; allowed: REML, DL, PM, FE"),
        (["-p", "knha=maybe"], "parameter knha: 'maybe' is not true or false"),
        (["-p", "pre_post_correlation=2"], "parameter pre_post_correlation: 2 is outside its range, 0 to 0.99"),
        (["-p", "min_studies=two"], "parameter min_studies: 'two' is not a whole number"),
        (["-p", "data_dir=/etc"], "parameter data_dir is set by the pipeline, not by -p"),
        (["-p", "knha"], "-p 'knha': write NAME=VALUE"),
        (["-p", "knha=true", "-p", "knha=false"], "parameter knha is given twice"),
        (["--out", "_build/html/x"], "is inside the published outputs, the book or the sources"),
    ],
)
def test_a_wrong_parameter_gets_a_one_line_error_before_anything_runs(tmp_path: Path, args: list[str], message: str):
    out = ["--out", str(tmp_path / "run")] if "--out" not in args else []
    proc = alsmsc(ROOT, "run", "evidence_synthesis", *args, *out)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not (tmp_path / "run").exists()


def test_a_run_does_not_overwrite_a_folder_that_is_not_a_run(tmp_path: Path):
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    proc = alsmsc(ROOT, "run", "evidence_synthesis", "-p", "knha=false", "--out", str(keep))
    assert proc.returncode == 2 and "is not an earlier run" in proc.stderr
    assert (keep / "notes.txt").read_text() == "mine"


def test_settings_refuse_values_outside_the_model():
    with pytest.raises(ValueError, match="tau2_method 'XX' is not one of FE, DL, HE, SJ, ML, REML, EB, PM"):
        synthesis.Settings(tau2_method="XX")
    with pytest.raises(ValueError, match="min_studies 1 must be a whole number of at least 2"):
        synthesis.Settings(min_studies=1)
    with pytest.raises(ValueError, match="pre_post_correlation 1.0 must be at least 0 and below 1"):
        synthesis.Settings(pre_post_correlation=1.0)
    assert synthesis.Settings(tau2_method="PM", knha=False).label() == "random-effects model (PM)"
    assert synthesis.Settings().label() == "random-effects model (REML, Knapp-Hartung)"


@pytest.mark.slow
def test_the_declared_sensitivity_runs_are_built_and_shown(built_project: Path):
    import yaml

    spec = yaml.safe_load((built_project / "analysis" / "sensitivity.yml").read_text())
    folder = built_project / "_build" / "generated" / "sensitivity"
    for run in spec["runs"]:
        record = json.loads((folder / "runs" / run["name"] / "run.json").read_text())
        assert record["set_by_you"] == (run["parameters"] or {})  # each declared run ran with its own parameters
    table = (folder / "tables" / "tbl_sensitivity.csv").read_text().splitlines()[0]
    page = (built_project / "_build" / "html" / "clinical-trials.html").read_text(encoding="utf-8")
    import html

    for run in spec["runs"]:
        assert run["label"] in table and html.escape(run["label"]) in page
    numbers = json.loads((folder / "numbers.json").read_text())["numbers"]
    assert numbers["n_sensitivity_runs"] == len(spec["runs"])
    assert 0 <= numbers["n_sensitivity_analyses_moved"] <= numbers["n_sensitivity_analyses"]


def test_a_declared_run_with_a_wrong_parameter_stops_the_build_with_its_name(tmp_path: Path):
    from .conftest import build, copy_project

    project = copy_project(tmp_path / "p")
    grid = project / "analysis" / "sensitivity.yml"
    grid.write_text(grid.read_text().replace("{tau2_method: PM}", "{tau2_method: XX}"))
    result = build(project, check=False)
    assert result["returncode"] == 1
    assert "run 3 (paule_mandel): parameter tau2_method: 'XX' is not allowed; allowed: REML, DL, PM, FE" in result["output"]
    assert not (project / "_build" / "generated" / "sensitivity").exists()
